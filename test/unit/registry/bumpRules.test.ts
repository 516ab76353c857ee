import { bumpViolation, requiredBump } from '../../../src/registry/bumpRules';
import { parsePromptFile, type PromptSpec } from '../../../src/registry/promptFile';

const base = `
name: greet
version: 1.0.0
owner: team
model: gpt-4o-mini-2024-07-18
params: { temperature: 0.2 }
variables:
  who: { type: string }
template:
  user: Hello {{who}}
`;

function spec(yaml: string, edits: (s: PromptSpec) => void = () => undefined): PromptSpec {
  const parsed = structuredClone(parsePromptFile(yaml, 'greet.yaml').spec);
  edits(parsed);
  return parsed;
}

describe('bump rules', () => {
  const v1 = spec(base);

  it('needs a major bump when a variable is added, removed or changes type', () => {
    const added = spec(base, (s) => (s.variables.lang = { type: 'string', required: true }));
    expect(requiredBump(v1, added)).toMatchObject({ kind: 'major' });
    const retyped = spec(base, (s) => (s.variables.who = { type: 'number', required: true }));
    expect(requiredBump(v1, retyped)?.reasons).toEqual(['variable "who" changed shape']);
    const optional = spec(base, (s) => (s.variables.who!.required = false));
    expect(requiredBump(v1, optional)?.kind).toBe('major');
  });

  it('needs a minor bump for model, params or output changes', () => {
    expect(
      requiredBump(
        v1,
        spec(base, (s) => (s.model = 'gpt-4o-2024-08-06')),
      )?.kind,
    ).toBe('minor');
    expect(
      requiredBump(
        v1,
        spec(base, (s) => (s.params.temperature = 0.9)),
      )?.kind,
    ).toBe('minor');
  });

  it('needs a patch bump for template wording', () => {
    expect(
      requiredBump(
        v1,
        spec(base, (s) => (s.template.user = 'Hi {{who}}')),
      )?.kind,
    ).toBe('patch');
  });

  it('needs nothing when only metadata changed', () => {
    expect(
      requiredBump(
        v1,
        spec(base, (s) => (s.description = 'new words')),
      ),
    ).toBeUndefined();
  });

  it('refuses a version that is not higher, naming the version to use', () => {
    expect(bumpViolation(v1, spec(base))).toMatch(/not higher than the latest registered version 1\.0\.0; use 1\.0\.1/);
  });

  it('refuses a bump that is too small, naming the bump it needed', () => {
    const next = spec(base, (s) => {
      s.version = '1.0.1';
      s.model = 'gpt-4o-2024-08-06';
    });
    expect(bumpViolation(v1, next)).toMatch(
      /needs a minor bump from 1\.0\.0, so use 1\.1\.0 or higher \(got 1\.0\.1\)/,
    );
    const major = spec(base, (s) => {
      s.version = '1.1.0';
      s.variables.extra = { type: 'boolean', required: true };
    });
    expect(bumpViolation(v1, major)).toMatch(/major bump.*2\.0\.0/);
  });

  it('accepts a large enough bump', () => {
    expect(
      bumpViolation(
        v1,
        spec(base, (s) => ((s.version = '1.0.1'), (s.template.user = 'Hi {{who}}'))),
      ),
    ).toBeUndefined();
    expect(
      bumpViolation(
        v1,
        spec(base, (s) => ((s.version = '2.0.0'), (s.variables.x = { type: 'boolean', required: false }))),
      ),
    ).toBeUndefined();
  });
});
