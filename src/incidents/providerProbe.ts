import type { Pool } from '../db/pool';
import { drillFaultFor } from '../drills/drillFaults';
import type { ProviderDirectory } from '../providers/directory';

export interface ProbeResult {
  ok: boolean;
  ms: number;
  error?: string;
}

/**
 * One small call to a model at its own provider, not through the gateway (whose override sends the
 * model's calls elsewhere while the incident lasts): is the primary answering again?
 */
export async function probeModel(
  providers: ProviderDirectory,
  model: string,
  timeoutMs = 10_000,
): Promise<ProbeResult> {
  const started = Date.now();
  try {
    await providers.forModel(model).complete({
      model,
      messages: [{ role: 'user', content: 'Reply with OK.' }],
      maxTokens: 5,
      timeoutMs,
    });
    return { ok: true, ms: Date.now() - started };
  } catch (error) {
    return { ok: false, ms: Date.now() - started, error: String((error as Error).message).slice(0, 300) };
  }
}

/**
 * The model as `tenant` sees it: a drill's fault on it fails the probe as the provider would (a
 * drill's playbook then waits for the drill to lift it); without a tenant, the provider itself.
 */
export async function probeModelAs(
  pool: Pool,
  providers: ProviderDirectory,
  model: string,
  tenant?: string,
): Promise<ProbeResult> {
  const fault = tenant ? await drillFaultFor(pool, tenant, model) : undefined;
  if (fault) return { ok: false, ms: 0, error: `switched off for tenant ${tenant} by drill ${fault.drill}` };
  return probeModel(providers, model);
}
