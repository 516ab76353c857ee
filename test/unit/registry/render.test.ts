import { InputError } from '../../../src/errors';
import { parsePromptFile } from '../../../src/registry/promptFile';
import { renderPrompt } from '../../../src/registry/render';

const { spec } = parsePromptFile(
  `
name: r
version: 1.0.0
owner: o
model: gpt-4o-mini-2024-07-18
variables:
  question: { type: string, max_length: 20 }
  count: { type: number, min: 1, max: 5, integer: true }
  loud: { type: boolean, required: false }
  tone: { type: enum, values: [friendly, formal], default: formal }
  note: { type: string, required: false }
template:
  system: Be {{tone}}.{{note}}
  user: "{{question}} x{{count}} loud={{loud}}"
`,
  'r.yaml',
);

function renderError(vars: Record<string, unknown>): string {
  try {
    renderPrompt(spec, vars);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected a render error');
}

describe('typed rendering', () => {
  it('fills placeholders and defaults, and builds the messages', () => {
    const rendered = renderPrompt(spec, { question: 'Why?', count: 2, loud: true });
    expect(rendered.system).toBe('Be formal.');
    expect(rendered.user).toBe('Why? x2 loud=true');
    expect(rendered.messages).toEqual([
      { role: 'system', content: 'Be formal.' },
      { role: 'user', content: 'Why? x2 loud=true' },
    ]);
  });

  it('names a missing variable', () => {
    expect(renderError({ count: 1 })).toMatch(/"question" is required \(string\)/);
  });

  it('names an extra variable and lists the declared ones', () => {
    expect(renderError({ question: 'q', count: 1, colour: 'red' })).toMatch(
      /"colour" is not a declared variable \(declared: question, count, loud, tone, note\)/,
    );
  });

  it('names wrong types and bounds, all at once', () => {
    const message = renderError({ question: 42, count: 9, loud: 'yes', tone: 'rude' });
    expect(message).toMatch(/"question" must be a string, got number 42/);
    expect(message).toMatch(/"count" must be <= 5/);
    expect(message).toMatch(/"loud" must be true or false/);
    expect(message).toMatch(/"tone" must be one of friendly, formal/);
    expect(renderError({ question: 'q', count: 1.5 })).toMatch(/"count" must be an integer/);
    expect(renderError({ question: 'x'.repeat(21), count: 1 })).toMatch(/at most 20 characters/);
  });
});
