import { lazy } from '../util/lazy';

// mathjs takes ~0.6 s to load; the CLI loads it only when it first computes something.
export const math = lazy(() => require('mathjs') as typeof import('mathjs'));
