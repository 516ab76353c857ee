import { scanPii } from '../../src/guardrails/pii';
import { PII_CORPUS } from '../fixtures/piiCorpus';

describe('PII detectors on a labelled corpus (evasions and look-alikes)', () => {
  const results = PII_CORPUS.map(({ text, kinds }) => ({ text, kinds, found: scanPii(text).found }));
  const positives = results.filter((r) => r.kinds.length);
  const negatives = results.filter((r) => !r.kinds.length);
  const caught = positives.filter((r) => r.kinds.every((k) => r.found.includes(k)));
  const falseAlarms = negatives.filter((r) => r.found.length);

  it('reports recall and false positives', () => {
    const recall = caught.length / positives.length;
    // Printed so a change to a detector shows its effect in the test output.
    console.log(
      `PII corpus: recall ${(recall * 100).toFixed(1)}% (${caught.length}/${positives.length}), false positives ${falseAlarms.length}/${negatives.length}`,
    );
    expect(positives.filter((r) => !caught.includes(r)).map((r) => r.text)).toEqual([]);
    expect(falseAlarms.map((r) => `${r.text} -> ${r.found.join(',')}`)).toEqual([]);
  });

  it('sends no digit of a caught card, SSN or address on: the redacted text holds none of it', () => {
    for (const { text, kinds } of positives) {
      const { redacted } = scanPii(text);
      if (kinds.includes('card')) expect(redacted).not.toMatch(/1111|4444|0005|1881/);
      if (kinds.includes('email')) expect(redacted.toLowerCase()).not.toMatch(/example/);
    }
  });
});
