import { ibanValid, luhnValid, scanPii } from '../../../src/guardrails/pii';
import { PII_CORPUS } from '../../fixtures/piiCorpus';

describe('PII detection', () => {
  it('knows card numbers by their Luhn checksum, with or without separators', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(scanPii('card 4111-1111-1111-1111 ok')).toEqual({ redacted: 'card [REDACTED:card] ok', found: ['card'] });
    expect(scanPii('card 5500 0000 0000 0004').found).toEqual(['card']);
    // Order numbers and timestamps that fail the checksum stay as they are.
    expect(scanPii('order 1234567890123456 shipped').found).toEqual([]);
  });

  it('validates IBANs with the mod-97 check', () => {
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
    expect(scanPii('pay to DE89 3704 0044 0532 0130 00 today')).toEqual({
      redacted: 'pay to [REDACTED:iban] today',
      found: ['iban'],
    });
  });

  it('finds US SSNs, e-mail addresses and phone numbers, and leaves ordinary text alone', () => {
    expect(scanPii('SSN 123-45-6789').found).toEqual(['ssn']);
    expect(scanPii('SSN 000-45-6789').found).toEqual([]); // no such area number
    expect(scanPii('mail jane.doe+x@example.co.uk now').redacted).toBe('mail [REDACTED:email] now');
    expect(scanPii('call (415) 555-2671 or +44 020 7946 0958').found).toEqual(['phone']);
    expect(scanPii('call +1 415-555-2671').redacted).toBe('call [REDACTED:phone]');
    expect(scanPii('Version 1.2.3 shipped on 2026-11-23 to 42 users.')).toEqual({
      redacted: 'Version 1.2.3 shipped on 2026-11-23 to 42 users.',
      found: [],
    });
  });
});

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
