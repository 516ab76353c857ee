import type { PromptGatewaySpec } from '../registry/promptFile';

const compiled = new Map<string, RegExp>();

function patternOf(source: string): RegExp {
  let pattern = compiled.get(source);
  if (!pattern) {
    pattern = new RegExp(source, 'i');
    compiled.set(source, pattern);
  }
  return pattern;
}

/**
 * The cheaper model a simple request should go to, if a rule matches: every condition a rule
 * states must hold (input size at most its bound, user text matching its pattern).
 */
export function costRoutedModel(
  rules: PromptGatewaySpec['cost_routing'],
  inputTokens: number,
  userText: string,
): string | undefined {
  for (const rule of rules) {
    if (rule.max_input_tokens !== undefined && inputTokens > rule.max_input_tokens) continue;
    if (rule.pattern !== undefined && !patternOf(rule.pattern).test(userText)) continue;
    return rule.model;
  }
  return undefined;
}
