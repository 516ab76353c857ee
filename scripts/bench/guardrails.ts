/**
 * Event-loop time of the input guards and the log writer's redaction on hostile 1 MB bodies, side by
 * side with a 1 MB body of plain prose (the friendly case). Each row is the median of a few runs of
 * everything the hot path does to one request's text: normalise, PII scan, injection
 * patterns (the log writer does not scan redacted input again). Goal: every hostile body well under 100 ms.
 *
 *   npm run bench:guardrails [-- --runs 5]
 *
 * Prints a table and writes bench-results/guardrails.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkInput } from '../../src/guardrails/inputGuards';
import { numberFlag } from './flags';

const SIZE = 1024 * 1024;
const RUNS = numberFlag('runs', 5);
const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

const BODIES: Record<string, string> = {
  'plain prose (friendly)': fill('Where is my parcel? It was due on Monday and the tracking page has not moved. '),
  'e-mail local part, no @': fill('a'),
  'dotted run, no @': fill('a.'),
  'many @, no domain': fill('a@'),
  digits: fill('4'),
  'digit groups': fill('4111 '),
  'blank lines': fill('\n '),
  'full-width digits': fill('４１１１'),
  'zero-width spaced digits': fill('4\u200b'),
  emoji: fill('\u{1F642}'),
  CJK: fill('\u4F60\u597D'),
  'injection words': fill('ignore all previous '),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const rows = Object.entries(BODIES).map(([name, text]) => {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    checkInput([{ role: 'user', content: text }], { pii: 'redact', injection: 'flag' });
    // The log writer does not scan input the guard already redacted; it scans the answer (small here).
    times.push(performance.now() - started);
  }
  return {
    body: name,
    bytes: Buffer.byteLength(text),
    medianMs: Number(median(times).toFixed(1)),
    maxMs: Number(Math.max(...times).toFixed(1)),
  };
});

console.log(`| 1 MB body (${RUNS} runs) | median ms | max ms |`);
console.log('|---|---|---|');
for (const row of rows) console.log(`| ${row.body} | ${row.medianMs} | ${row.maxMs} |`);
const worst = Math.max(...rows.slice(1).map((r) => r.maxMs));
console.log(`\nworst hostile body: ${worst} ms of event-loop time (goal: well under 100 ms)`);
const out = path.join(__dirname, '..', '..', 'bench-results', 'guardrails.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ runs: RUNS, rows, worstHostileMs: worst }, null, 2)}\n`);
