import { GUARDRAIL_IDS } from './guardrailIds';
import type { OutputRule } from '../config/gatewayConfig';
import { timed, type GuardrailRecord } from './decision';
import { validateJsonSchema } from './jsonSchema';
import { isRefusal } from './refusal';

const compiledRules = new WeakMap<OutputRule, RegExp[]>();

function patternsOf(rule: OutputRule): RegExp[] {
  let patterns = compiledRules.get(rule);
  if (!patterns) {
    patterns = rule.patterns.map((p) => new RegExp(p, 'i'));
    compiledRules.set(rule, patterns);
  }
  return patterns;
}

export interface OutputGuardResult {
  records: GuardrailRecord[];
  blocked?: { id: string; message: string };
}

/** After the call: banned categories by rule, JSON-schema validity when the prompt declares one, refusals. */
export function checkOutput(text: string, rules: readonly OutputRule[], schema: object | undefined): OutputGuardResult {
  const records: GuardrailRecord[] = [];
  let blocked: OutputGuardResult['blocked'];
  timed('output.policy', records, () => {
    const rule = rules.find((r) => patternsOf(r).some((p) => p.test(text)));
    if (!rule) return { decision: 'allow' as const };
    if (rule.action === 'block')
      blocked = { id: rule.id, message: `The answer was withheld by output policy ${rule.id} (${rule.category})` };
    return { decision: rule.action, detail: `${rule.id}: ${rule.category}` };
  });
  if (schema) {
    timed(GUARDRAIL_IDS.outputJsonSchema, records, () => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return { decision: 'flag' as const, detail: 'not JSON' };
      }
      const result = validateJsonSchema(schema, value);
      return result.valid
        ? { decision: 'allow' as const }
        : { decision: 'flag' as const, detail: result.errors.slice(0, 3).join('; ') };
    });
  }
  timed(GUARDRAIL_IDS.outputRefusal, records, () =>
    isRefusal(text) ? { decision: 'flag' as const, detail: 'refusal' } : { decision: 'allow' as const },
  );
  return { records, blocked };
}
