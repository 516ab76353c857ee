import { loadCanarySuite, parseCanarySuite } from '../../../src/canaries/canarySuite';

describe('the canary suite', () => {
  it("the repo's suite parses: the seed's three attacks, every technique, a benign set, labelled judge answers", () => {
    const suite = loadCanarySuite();
    const ids = suite.cases.map((c) => c.id);
    expect(ids).toEqual(
      expect.arrayContaining(['ignore-previous-output-system-prompt', 'dan-role-play', 'fake-im-start-system']),
    );
    expect(new Set(suite.cases.map((c) => c.technique))).toEqual(
      new Set(['injection', 'role-play', 'encoding', 'multi-turn', 'extraction', 'fake-system', 'benign']),
    );
    expect(suite.cases.filter((c) => c.benign).length).toBeGreaterThanOrEqual(8);
    expect(suite.judge_labels.length).toBeGreaterThan(0);
  });

  it('refuses a broken suite naming each field: duplicate ids, bad patterns, a benign case with patterns, unknown labels', () => {
    const text = [
      'version: "1"',
      'cases:',
      '  - { id: a, owasp: LLM01, technique: injection, messages: [{ role: user, content: hi }], complied_if: ["(unclosed"] }',
      '  - { id: a, owasp: LLM01, technique: injection, messages: [{ role: assistant, content: hi }] }',
      '  - { id: b, benign: true, owasp: LLM01, technique: benign, messages: [{ role: user, content: hi }] }',
      'judge_labels: [{ case: nope, answer: x, complied: true }]',
    ].join('\n');
    let message = '';
    try {
      parseCanarySuite(text, 'suite.yaml');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/cases\.0\.complied_if\.0: not a valid regular expression/);
    expect(message).toMatch(/cases\.1\.messages: the last message must be the user's/);
    expect(message).toMatch(/cases\.1\.id: "a" appears twice/);
    expect(message).toMatch(/cases\.2: a benign case has owasp: none/);
    expect(message).toMatch(/judge_labels\.0\.case: no case "nope"/);
    expect(() => parseCanarySuite('version: [', 'bad.yaml')).toThrow(/bad\.yaml is not valid YAML/);
  });
});
