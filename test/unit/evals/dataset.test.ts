import { InputError } from '../../../src/errors';
import { loadDataset, parseDataset } from '../../../src/evals/dataset';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function problem(text: string, origin = 'd.yaml'): string {
  try {
    parseDataset(text, origin);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected the dataset to be refused');
}

const native = `
name: demo
floors: { pass_rate: 0.9 }
defaults:
  assert: [{ type: not-is-refusal }]
cases:
  - id: one
    vars: { question: Q1 }
    expected: "30 days"
    assert: [{ type: icontains }]
  - vars: { question: Q2 }
    assert: [{ type: llm-rubric, value: Be nice, threshold: 0.6, weight: 2, metric: niceness }]
`;

describe('datasets', () => {
  it('reads our YAML, with defaults, ids, expected values and aliases', () => {
    const d = parseDataset(native, 'demo.yaml');
    expect(d.name).toBe('demo');
    expect(d.floors).toEqual({ pass_rate: 0.9 });
    expect(d.cases.map((c) => c.id)).toEqual(['one', 'case-2']);
    expect(d.cases[0]!.assertions.map((a) => [a.type, a.negated, a.value, a.metric])).toEqual([
      ['is-refusal', true, undefined, 'not-is-refusal'],
      ['icontains', false, '30 days', 'icontains'],
    ]);
    expect(d.cases[1]!.assertions[1]).toMatchObject({ type: 'rubric', threshold: 0.6, weight: 2, metric: 'niceness' });
    expect(d.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('has a content hash that changes with the cases and gate, not the file name', () => {
    expect(parseDataset(native, 'a.yaml').hash).toBe(parseDataset(native, 'b.yaml').hash);
    expect(parseDataset(native.replace('Q2', 'Q3'), 'a.yaml').hash).not.toBe(parseDataset(native, 'a.yaml').hash);
    expect(parseDataset(native.replace('0.9', '0.8'), 'a.yaml').hash).not.toBe(parseDataset(native, 'a.yaml').hash);
  });

  it('reads JSONL, one case per line', () => {
    const d = parseDataset(
      '{"id":"a","vars":{"q":"x"},"assert":[{"type":"contains","value":"x"}]}\n\n{"id":"b","vars":{},"assert":[{"type":"is-json"}]}\n',
      'set.jsonl',
    );
    expect(d.cases.map((c) => c.id)).toEqual(['a', 'b']);
    expect(d.name).toBe('set');
  });

  it('reads promptfoo test files', () => {
    const d = parseDataset(
      `
prompts: [prompt.txt]
providers: [openai:gpt-4o-mini]
defaultTest:
  assert:
    - type: not-icontains
      value: as an AI
tests:
  - description: Refund window
    vars: { question: How long? }
    assert:
      - type: icontains
        value: 30 days
      - type: llm-rubric
        value: mentions the window
`,
      'promptfooconfig.yaml',
    );
    expect(d.cases[0]!.id).toBe('refund-window');
    expect(d.cases[0]!.assertions.map((a) => a.type)).toEqual(['icontains', 'icontains', 'rubric']);
  });

  it('loads the example dataset', () => {
    const d = loadDataset(path.join(__dirname, '..', '..', '..', 'examples', 'datasets', 'support-answer.yaml'));
    expect(d.cases.length).toBeGreaterThanOrEqual(12);
    expect(d.prompt).toBe('support-answer');
  });

  it.each([
    ['malformed YAML', 'cases: [oops', /is not valid YAML/],
    ['no cases', 'name: x\ncases: []', /- cases: a dataset needs at least one case/],
    [
      'an unknown assertion type',
      'cases:\n  - id: c1\n    assert: [{ type: python, value: "1" }]',
      /case "c1" \(cases\[0\]\) assert\[0\]\.type: unknown assertion type "python"/,
    ],
    [
      'a missing value',
      'cases:\n  - id: c1\n    assert: [{ type: contains }]',
      /case "c1" \(cases\[0\]\) assert\[0\]\.value: expected a string value/,
    ],
    [
      'a bad regex',
      'cases:\n  - id: c1\n    assert: [{ type: regex, value: "(" }]',
      /assert\[0\]\.value: invalid regular expression/,
    ],
    [
      'a wrong-typed field',
      'cases:\n  - id: c1\n    vars: [1]\n    assert: [{ type: is-json }]',
      /case "c1" \(cases\[0\]\) is invalid:\n {2}- vars:/,
    ],
    ['no assertions', 'cases:\n  - id: c1\n    vars: {}', /case "c1" \(cases\[0\]\): no assertions/],
    [
      'an assertion key promptfoo would act on (a per-assertion provider)',
      'cases:\n  - id: c1\n    assert: [{ type: rubric, value: ok, provider: openai:gpt-4o }]',
      /case "c1" \(cases\[0\]\) is invalid:\n {2}- assert\.0: this assertion has "provider", which Flightdeck does not read/,
    ],
    [
      'a misspelt dataset key',
      'flors: { pass_rate: 0.9 }\ncases:\n  - { id: a, assert: [{ type: is-json }] }',
      /this dataset has "flors"/,
    ],
    [
      'a case key it would ignore',
      'cases:\n  - { id: a, provider: x, assert: [{ type: is-json }] }',
      /this case has "provider", which Flightdeck does not read/,
    ],
    [
      'javascript that does not compile',
      'cases:\n  - id: c1\n    assert: [{ type: javascript, value: "output.includes(" }]',
      /case "c1" \(cases\[0\]\) assert\[0\]\.value: not valid JavaScript/,
    ],
    [
      'an assertion transform that does not compile',
      'cases:\n  - id: c1\n    assert: [{ type: contains, value: a, transform: "output.split(" }]',
      /case "c1" \(cases\[0\]\) assert\[0\]\.transform: not valid JavaScript/,
    ],
    [
      'a case transform that does not compile',
      'cases:\n  - id: c1\n    options: { transform: "}" }\n    assert: [{ type: is-json }]',
      /case "c1" \(cases\[0\]\) options\.transform: not valid JavaScript/,
    ],
    [
      'duplicate ids',
      'cases:\n  - { id: a, assert: [{ type: is-json }] }\n  - { id: a, assert: [{ type: is-json }] }',
      /case id "a" appears more than once/,
    ],
  ])('refuses %s, naming the case and field', (_name, text, message) => {
    expect(problem(text)).toMatch(message);
  });

  it('names the line of a bad JSONL case', () => {
    expect(problem('{"id":"a","assert":[{"type":"is-json"}]}\n{oops', 'x.jsonl')).toMatch(
      /^x\.jsonl:2: not valid JSON/,
    );
  });
});

describe("promptfoo's transforms", () => {
  it("keeps options.transform (the test's, else defaultTest's) and each assertion's transform; they change the dataset's hash", () => {
    const suite = (transform: string) => `
defaultTest:
  options: { transform: "output.trim()" }
tests:
  - vars: { q: a }
    options: { transform: "${transform}" }
    assert:
      - { type: contains-any, value: [Paris], transform: "output.split(',')" }
  - vars: { q: b }
    assert: [{ type: javascript, value: "output.length > 0" }]
`;
    const d = parseDataset(suite('output.toUpperCase()'), 'pf.yaml');
    expect(d.cases[0]!.transform).toBe('output.toUpperCase()');
    expect(d.cases[0]!.assertions[0]!.transform).toBe("output.split(',')");
    expect(d.cases[1]!.transform).toBe('output.trim()');
    expect(d.cases[1]!.assertions[0]).toMatchObject({ type: 'javascript', value: 'output.length > 0' });
    expect(parseDataset(suite('output.toLowerCase()'), 'pf.yaml').hash).not.toBe(d.hash);
  });
});

describe('tests without assertions', () => {
  it('are kept in promptfoo files (for review, as promptfoo does), refused in ours', () => {
    expect(parseDataset('tests:\n  - vars: { q: hi }\n', 'pf.yaml').cases[0]!.assertions).toEqual([]);
    expect(problem('cases:\n  - id: c1\n    vars: {}')).toMatch(/no assertions/);
  });
});

describe("promptfoo's defaultTest.vars and file:// variables", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fd-vars-'));
  writeFileSync(path.join(dir, 'context.txt'), 'Items can be returned within 30 days.');
  writeFileSync(path.join(dir, 'user.json'), '{"name": "Ada", "tier": "gold"}');
  writeFileSync(path.join(dir, 'helper.py'), 'print(1)');
  const suite = (vars: string) => `
defaultTest:
  vars: { tone: friendly, context: file://context.txt }
tests:
  - vars: ${vars}
    metadata: { owner: support }
    assert: [{ type: is-json }]
`;

  it('gives every case the default vars (its own win) and reads file:// values relative to the dataset', () => {
    const d = parseDataset(suite('{ tone: formal, user: file://user.json }'), path.join(dir, 'promptfooconfig.yaml'));
    expect(d.cases[0]!.vars).toEqual({
      tone: 'formal',
      context: 'Items can be returned within 30 days.',
      user: { name: 'Ada', tier: 'gold' },
    });
  });

  it('refuses binary files (NUL bytes) and files over 1 MiB', () => {
    writeFileSync(path.join(dir, 'blob.bin'), Buffer.from([0x68, 0x00, 0x69]));
    writeFileSync(path.join(dir, 'huge.txt'), 'x'.repeat(1024 * 1024 + 1));
    expect(problem(suite('{ q: file://blob.bin }'), path.join(dir, 'p.yaml'))).toMatch(
      /vars\.q: .*blob\.bin is not a text file/,
    );
    expect(problem(suite('{ q: file://huge.txt }'), path.join(dir, 'p.yaml'))).toMatch(
      /vars\.q: .*huge\.txt is over 1024 KiB/,
    );
  });

  it('refuses code files and files that are not there, naming the variable', () => {
    expect(problem(suite('{ q: file://helper.py }'), path.join(dir, 'p.yaml'))).toMatch(
      /vars\.q: file:\/\/helper\.py is code/,
    );
    expect(problem(suite('{ q: file://missing.txt }'), path.join(dir, 'p.yaml'))).toMatch(
      /vars\.q: cannot read .*missing\.txt \(ENOENT\)/,
    );
  });
});
