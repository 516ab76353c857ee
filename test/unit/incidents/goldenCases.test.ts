import { parseDataset } from '../../../src/evals/dataset';
import { draftGoldenDataset, recoverVariables } from '../../../src/incidents/goldenCases';
import { parsePromptFile } from '../../../src/registry/promptFile';
import { renderPrompt } from '../../../src/registry/render';

const spec = parsePromptFile(
  `
name: support
version: 1.1.0
owner: team
model: gpt-4o-mini-2024-07-18
variables:
  question: { type: string }
  context: { type: string }
  tier: { type: enum, values: [free, pro] }
  limit: { type: number }
  formal: { type: boolean }
  note: { type: string, required: false }
template:
  system: "You answer {{tier}} customers (at most {{limit}} words, formal: {{formal}}). Context: {{context}}"
  user: "{{question}}{{note}} (again: {{question}})"
`,
  'support.yaml',
).spec;

describe('recoverVariables', () => {
  it('finds the variables that rendered the messages, typed as declared, whatever they contain', () => {
    const vars = {
      question: 'Why (really) does $5 cost [more]? ^_^ {{not a placeholder}}',
      context: 'Refunds take 5 days.\nLine two.',
      tier: 'pro',
      limit: 120,
      formal: false,
    };
    const { messages } = renderPrompt(spec, vars);
    expect(recoverVariables(spec, messages)).toEqual(vars);
    // Conversation messages after the template's are left out of the match.
    expect(recoverVariables(spec, [...messages, { role: 'assistant', content: 'hi' }])).toEqual(vars);
  });

  it('refuses messages that did not come from this template, or values that do not fit their type', () => {
    const { messages } = renderPrompt(spec, { question: 'q', context: 'c', tier: 'free', limit: 3, formal: true });
    expect(recoverVariables(spec, [{ ...messages[0]!, content: 'You are a pirate.' }, messages[1]!])).toBeUndefined();
    expect(recoverVariables(spec, [messages[1]!])).toBeUndefined();
    const notANumber = [
      { ...messages[0]!, content: messages[0]!.content.replace('at most 3', 'at most three') },
      messages[1]!,
    ];
    expect(recoverVariables(spec, notANumber)).toBeUndefined();
    // The repeated question must be the same both times.
    expect(recoverVariables(spec, [messages[0]!, { role: 'user', content: 'q (again: other)' }])).toBeUndefined();
  });
});

describe('recoverVariables on hostile text', () => {
  it("gives up on a tenant's text built to be split many ways, instead of hanging the CLI", () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const many = parsePromptFile(
      `name: many\nversion: 1.0.0\nowner: t\nmodel: m\nvariables: { ${names.map((n) => `${n}: { type: string }`).join(', ')} }\ntemplate: { user: "${names.map((n) => `{{${n}}}x`).join('')}y" }\n`,
      'many.yaml',
    ).spec;
    // Every "x" could end every value, and the text never ends in "y": a backtracking match never returns.
    expect(recoverVariables(many, [{ role: 'user', content: `${'x'.repeat(150_000)}z` }])).toBeUndefined();
    expect(recoverVariables(many, [{ role: 'user', content: `${'x\u0000'.repeat(90_000)}` }])).toBeUndefined();
    // The same template still recovers an honest rendering.
    const vars = Object.fromEntries(names.map((n) => [n, `value ${n}`]));
    expect(recoverVariables(many, renderPrompt(many, vars).messages)).toEqual(vars);
  });
});

describe('draftGoldenDataset', () => {
  it('writes a dataset the eval runner loads, one case per recoverable answer, and says why the others were left out', () => {
    const vars = {
      question: 'How long do refunds take?',
      context: 'Refunds take 5 days.',
      tier: 'free',
      limit: 50,
      formal: true,
    };
    const answer = (requestId: string) => ({
      requestId,
      at: '2026-01-01T00:00:00.000Z',
      version: '1.1.0',
      score: 0.1,
      traceId: 'trace-1',
      input: vars.question,
      output: 'I cannot help with that.',
    });
    const draft = draftGoldenDataset({ id: 7, prompt: 'support' }, [
      { answer: answer('req_a'), messages: renderPrompt(spec, vars).messages, spec },
      { answer: answer('req_b'), messages: null, spec },
      { answer: answer('req_c'), messages: [{ role: 'user', content: 'hello' }], spec },
    ]);
    expect(draft).toMatchObject({ name: 'support-incident-7', cases: 1 });
    expect(draft.skipped).toEqual([
      { requestId: 'req_b', why: 'its stored body is gone (expired or purged)' },
      { requestId: 'req_c', why: "its messages do not match its version's template" },
    ]);
    const dataset = parseDataset(draft.yaml, 'draft.yaml');
    expect(dataset.prompt).toBe('support');
    expect(dataset.cases).toHaveLength(1);
    expect(dataset.cases[0]).toMatchObject({ id: 'incident-7-req_a', vars });
    expect(draft.yaml).toContain('bad_output: I cannot help with that.');
  });
});
