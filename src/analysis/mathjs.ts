// mathjs takes ~0.6 s to load; the CLI loads it only when it first computes something.
let mathjs: typeof import('mathjs') | undefined;

export const math = (): typeof import('mathjs') => (mathjs ??= require('mathjs') as typeof import('mathjs'));
