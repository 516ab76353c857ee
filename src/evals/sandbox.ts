import { Script, createContext } from 'node:vm';

/** How long one expression may run: an assertion or transform in a dataset is a line of code, not a job. */
export const SANDBOX_TIMEOUT_MS = 250;

// A dataset's snippets run once per case: compile each once (bounded, like any memo of input).
const compiled = new Map<string, Script>();
const MAX_COMPILED = 500;

/**
 * promptfoo's code forms: an expression (`output.includes('x')`), or a function body with `return`
 * (several lines, or a line that returns). Compiled once per dataset load, so a syntax error is
 * reported with the file, not in the middle of a run.
 */
export function compileSnippet(code: string): Script {
  let script = compiled.get(code);
  if (!script) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    script = compile(code);
    compiled.set(code, script);
  }
  return script;
}

function compile(code: string): Script {
  // An expression may end in a semicolon, as promptfoo's own examples write them.
  const body = /\breturn\b/.test(code) ? code : `return (${code.trim().replace(/;+$/, '')}\n);`;
  // Everything that could run the snippet's code (getters, toJSON, a thrown object's message)
  // happens in here, under the time limit; what comes out is one string.
  return new Script(
    `(function () {
      try {
        const result = (function () { 'use strict';\n${body}\n})();
        if (result && typeof result.then === 'function') return JSON.stringify({ error: 'asynchronous code is not supported here: return a value, not a promise' });
        return JSON.stringify(result === undefined ? {} : { value: result });
      } catch (error) {
        return JSON.stringify({ error: String(error && error.message ? error.message : error) });
      }
    })()`,
    { filename: 'dataset snippet' },
  );
}

/**
 * Run dataset code (a `javascript` assertion, a `transform`) with `output` and `context` and
 * nothing else: no `require`, no `process`, no timers, a time limit. The values go in as JSON text
 * and are parsed inside, so the code touches no object of ours (whose constructors would lead back
 * to this process). Node's vm is no boundary against a determined attacker: datasets are the team's
 * own files, and this keeps an honest mistake (or a copied snippet) from reaching the machine.
 */
export function runSnippet(script: Script, values: { output: unknown; context: unknown }): unknown {
  // `eval` and `Function` stay allowed: they only reach this context's own globals, and the
  // Temporal worker's promise hook (isolate-wide) builds a Function in whatever context made a promise.
  const sandbox = createContext(Object.create(null) as object, { codeGeneration: { strings: true, wasm: false } });
  const setup = new Script(
    `globalThis.output = JSON.parse(${JSON.stringify(JSON.stringify(values.output ?? null))});
     globalThis.context = JSON.parse(${JSON.stringify(JSON.stringify(values.context ?? null))});`,
  );
  setup.runInContext(sandbox, { timeout: SANDBOX_TIMEOUT_MS });
  let text: unknown;
  try {
    text = script.runInContext(sandbox, { timeout: SANDBOX_TIMEOUT_MS });
  } catch (error) {
    // Only our own errors reach here (the time limit, a failure to start): the snippet's are caught inside.
    throw new Error(`the code did not finish: ${(error as Error).message}`);
  }
  const outcome = JSON.parse(String(text)) as { value?: unknown; error?: string };
  if (outcome.error !== undefined) throw new Error(outcome.error);
  return outcome.value;
}
