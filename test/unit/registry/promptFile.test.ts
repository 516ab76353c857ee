import { InputError } from '../../../src/errors';
import { MAX_TEMPLATE_CHARS, parsePromptFile } from '../../../src/registry/promptFile';
import { contentHash } from '../../../src/registry/contentHash';
import { parseDuration } from '../../../src/model/rolloutSteps';

const valid = `
name: support-answer
version: 1.0.0
owner: support
model: gpt-4o-mini-2024-07-18
params: { temperature: 0.2, max_tokens: 100 }
variables:
  question: { type: string, max_length: 100 }
  tone: { type: enum, values: [friendly, formal], default: friendly }
template:
  system: Be {{tone}}.
  user: "Question: {{ question }}"
`;

function problem(yaml: string): string {
  try {
    parsePromptFile(yaml, 'p.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected the file to be refused');
}

describe('prompt files', () => {
  it('parses a valid file with defaults filled in', () => {
    const { spec } = parsePromptFile(valid, 'p.yaml');
    expect(spec.name).toBe('support-answer');
    expect(spec.variables.question).toMatchObject({ type: 'string', required: true });
    expect(spec.fallbacks).toEqual([]);
    expect(spec.allow_alias).toBe(false);
  });

  it('names the file and position for malformed YAML', () => {
    expect(problem('name: [unclosed\nversion: 1')).toMatch(/^p\.yaml is not valid YAML/);
  });

  it('names the field and what was expected', () => {
    expect(problem(valid.replace('version: 1.0.0', 'version: one'))).toMatch(
      /p\.yaml is invalid:\n {2}- version: expected a semantic version/,
    );
    expect(problem(valid.replace('owner: support\n', ''))).toMatch(/- owner:/);
    expect(problem(valid.replace('temperature: 0.2', 'temperature: "hot"'))).toMatch(/- params\.temperature:/);
    expect(problem(valid.replace('type: string', 'type: text'))).toMatch(/- variables\.question\.type/);
    expect(problem(valid.replace('name: support-answer', 'name: Support Answer'))).toMatch(
      /- name: expected lowercase/,
    );
    expect(problem(valid.replace('owner: support', 'owner: support\nsurprise: 1'))).toMatch(/surprise/);
  });

  it('refuses a template that uses an undeclared variable', () => {
    expect(problem(valid.replace('{{ question }}', '{{ question }} {{customer}}'))).toMatch(
      /- template: uses \{\{customer\}\} but no variable "customer" is declared/,
    );
  });

  it('refuses a template over the size limit', () => {
    const huge = valid.replace('Be {{tone}}.', `Be {{tone}}. ${'x'.repeat(MAX_TEMPLATE_CHARS)}`);
    expect(problem(huge)).toMatch(/over the limit of 32768 characters/);
  });

  it('hashes content, not metadata or key order', () => {
    const a = parsePromptFile(valid, 'a.yaml').spec;
    const b = parsePromptFile(valid.replace('owner: support', 'owner: someone-else'), 'b.yaml').spec;
    const reordered = parsePromptFile(
      valid.replace('params: { temperature: 0.2, max_tokens: 100 }', 'params: { max_tokens: 100, temperature: 0.2 }'),
      'c.yaml',
    ).spec;
    const changed = parsePromptFile(valid.replace('Be {{tone}}.', 'Please be {{tone}}.'), 'd.yaml').spec;
    expect(contentHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash(b)).toBe(contentHash(a));
    expect(contentHash(reordered)).toBe(contentHash(a));
    expect(contentHash(changed)).not.toBe(contentHash(a));
  });
});

describe("a prompt file's rollout policy", () => {
  it("reads durations and a prompt file's rollout policy, which is not part of the content hash", () => {
    expect(['30s', '10m', '1.5h', '2d', '10', 'm'].map(parseDuration)).toEqual([
      30_000,
      600_000,
      5_400_000,
      172_800_000,
      undefined,
      undefined,
    ]);
    const base = 'name: p\nversion: 1.0.0\nowner: t\nmodel: gpt-4o-mini-2024-07-18\ntemplate: { user: hi }\n';
    const withPolicy = parsePromptFile(
      `${base}rollout: { steps: "1:10m,50:approve,100", analysis_interval: 30s }\n`,
      'p.yaml',
    );
    expect(withPolicy.spec.rollout).toEqual({ steps: '1:10m,50:approve,100', analysis_interval: '30s' });
    expect(contentHash(withPolicy.spec)).toBe(contentHash(parsePromptFile(base, 'p.yaml').spec));
    expect(() => parsePromptFile(`${base}rollout: { steps: "5:1m,1:1m,100" }\n`, 'p.yaml')).toThrow(
      /rollout.steps.*weights must grow/s,
    );
    expect(() => parsePromptFile(`${base}rollout: { analysis_interval: 10 }\n`, 'p.yaml')).toThrow(/analysis_interval/);
  });
});
