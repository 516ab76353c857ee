import { promiseHooks } from 'node:v8';
import { compileSnippet, runSnippet } from '../../../src/evals/sandbox';

const run = (code: string, output: unknown = 'Hello, World!', vars: Record<string, unknown> = {}) =>
  runSnippet(compileSnippet(code), { output, context: { vars } });

describe('the sandbox for dataset code (javascript assertions, transforms)', () => {
  it("runs promptfoo's forms: an expression, or a function body that returns", () => {
    expect(run("output.includes('Hello')")).toBe(true);
    expect(run('output.length * 2')).toBe(26);
    // promptfoo's self-grading example ends its expression with a semicolon
    expect(run('Math.max(0, Math.min(1, 1 - (output.length - 100) / 900));')).toBe(1);
    expect(
      run("if (output.length > 3) {\n  return { pass: true, score: 0.7, reason: 'long' };\n}\nreturn false;"),
    ).toEqual({
      pass: true,
      score: 0.7,
      reason: 'long',
    });
    expect(run("output.split(',').map((s) => s.trim())", 'a, b')).toEqual(['a', 'b']);
    expect(run('context.vars.city.toUpperCase()', 'x', { city: 'paris' })).toBe('PARIS');
    expect(run('output.items[1]', { items: [1, 2] })).toBe(2);
  });

  it('gives the code nothing of this process: no require, no process, no timers, no way back through constructors', () => {
    expect(run('typeof require')).toBe('undefined');
    expect(run('typeof process')).toBe('undefined');
    expect(run('typeof setTimeout')).toBe('undefined');
    // A constructor's constructor is this context's Function: it sees this context's globals only.
    expect(() => run("output.constructor.constructor('return process')()")).toThrow('process is not defined');
    expect(() => run("output.constructor.constructor('return require')()")).toThrow('require is not defined');
    expect(run("typeof eval('globalThis.process')")).toBe('undefined');
    expect(() => run("this.constructor.constructor('return process')()")).toThrow();
  });

  it('stops code that does not finish, wherever it hides (a loop, a getter, a thrown object)', () => {
    expect(() => run('(() => { while (true) {} })()')).toThrow(/did not finish.*timed out/);
    expect(() => run('({ get then() { while (true) {} } })')).toThrow(/did not finish/);
    expect(() => run('(() => { throw { get message() { while (true) {} } }; })()')).toThrow(/did not finish/);
  });

  it("reports the code's own errors, and refuses promises", () => {
    expect(() => run("(() => { throw new Error('no city'); })()")).toThrow('no city');
    expect(() => run('Promise.resolve(1)')).toThrow(/asynchronous code is not supported/);
    expect(() => compileSnippet('output.includes(')).toThrow(/Unexpected token/);
  });

  it('runs promise-making code beside a Temporal worker (whose promise hook visits every context)', () => {
    // What the worker's isolate-wide hook does (@temporalio/worker vm-shared getActivator): build a
    // Function in the promise's own context to look for its activator.
    const stop = promiseHooks.createHook({
      init: (promise: Promise<unknown>) => {
        (promise.constructor.constructor as FunctionConstructor)('return globalThis.__TEMPORAL_ACTIVATOR__')();
      },
    });
    try {
      expect(() => run('(async () => 1)()')).toThrow(/asynchronous code is not supported/);
      expect(run('[1, 2].map((n) => n * 2)')).toEqual([2, 4]);
    } finally {
      stop();
    }
  });
});
