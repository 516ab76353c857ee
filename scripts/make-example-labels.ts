/**
 * Writes examples/labels/support-judge-labels.jsonl: 60 labelled judge examples built from the
 * support-answer dataset, for `flightdeck eval calibrate`. They are illustrative labels written
 * by rule (a right answer scores high; off-topic, invented, refused or truncated answers low), to
 * show the format and exercise calibration; replace them with your own people's labels.
 *   npx tsx scripts/make-example-labels.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadDataset } from '../src/evals/dataset';

const ROOT = path.join(__dirname, '..');
const dataset = loadDataset(path.join(ROOT, 'examples', 'datasets', 'support-answer.yaml'));
const rubric = "Answers the customer's question using only the context.";
const lines: string[] = [];

for (const c of dataset.cases.filter((c) => c.id !== 'unknown-answer')) {
  const question = String(c.vars.question);
  const context = String(c.vars.context);
  const sentences = context.split(/(?<=\.)\s+/);
  const value = c.assertions.find((a) => a.type.startsWith('icontains') || a.type === 'contains')?.value;
  const expected = String(Array.isArray(value) ? value[0] : (value ?? '')).toLowerCase();
  const right = sentences.find((s) => s.toLowerCase().includes(expected)) ?? sentences[0]!;
  const wrong = sentences.find((s) => s !== right) ?? 'Please contact us for details.';
  const examples: Array<[string, string, number]> = [
    ['right', right, 0.95],
    ['right-reworded', `Good question! ${right}`, 0.85],
    ['off-topic', wrong, 0.2],
    [
      'invented',
      right.replace(/\d+/g, (d) => String(Number(d) * 3 + 7)).replace(/\.$/, ' and you also get a $499 voucher.'),
      0.1,
    ],
    ['refusal', "I'm sorry, but I can't help with that request.", 0.0],
    ['truncated', right.split(' ').slice(0, 3).join(' '), 0.3],
  ];
  for (const [kind, output, score] of examples) {
    lines.push(
      JSON.stringify({
        id: `${c.id}-${kind}`,
        kind: 'rubric',
        rubric,
        question,
        context,
        output,
        human_score: score,
        human_pass: score >= 0.5,
      }),
    );
  }
}
const out = path.join(ROOT, 'examples', 'labels', 'support-judge-labels.jsonl');
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(`wrote ${lines.length} labels to ${path.relative(process.cwd(), out)}`);
