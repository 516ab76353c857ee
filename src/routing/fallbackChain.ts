import { providerNameFor, type ProviderConfig } from '../providers/config';

/** One place a call can go: a provider and the model id it is asked for. */
export interface Target {
  provider: string;
  model: string;
}

export function targetKey(target: Target): string {
  return `${target.provider}/${target.model}`;
}

/**
 * A target written as "provider/model" names its provider (the same model at two providers);
 * a bare model id gets its provider from the providers file's model rules.
 */
export function parseTarget(text: string, config: ProviderConfig): Target {
  const slash = text.indexOf('/');
  if (slash > 0 && config.providers[text.slice(0, slash)])
    return { provider: text.slice(0, slash), model: text.slice(slash + 1) };
  return { provider: providerNameFor(config, text), model: text };
}

/** The ordered targets for a call: the primary, then each fallback, without repeats. */
export function fallbackChain(primary: string, fallbacks: readonly string[], config: ProviderConfig): Target[] {
  const seen = new Set<string>();
  const chain: Target[] = [];
  for (const text of [primary, ...fallbacks]) {
    const target = parseTarget(text, config);
    if (seen.has(targetKey(target))) continue;
    seen.add(targetKey(target));
    chain.push(target);
  }
  return chain;
}
