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
