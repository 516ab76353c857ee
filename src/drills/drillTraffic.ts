import OpenAI from 'openai';

export interface DrillAnswer {
  /** Milliseconds since the traffic began. */
  at: number;
  /** The model that answered, or the HTTP status (0: no answer at all). */
  model?: string;
  status: number;
}

export interface TrafficSummary {
  sent: number;
  failed: number;
  /** When the backup first answered, and the last failure (ms since the traffic began). */
  firstBackupAt?: number;
  lastFailureAt?: number;
  /** Failures after the backup first answered: the mitigation should have ended them. */
  failedAfterBackup: number;
  servedBy: Record<string, number>;
}

/** Fold the answers seen into the drill's numbers (pure: the unit tests reach it). */
export function summarizeTraffic(answers: readonly DrillAnswer[], backup: string): TrafficSummary {
  const summary: TrafficSummary = { sent: answers.length, failed: 0, failedAfterBackup: 0, servedBy: {} };
  for (const a of answers) {
    if (a.model) summary.servedBy[a.model] = (summary.servedBy[a.model] ?? 0) + 1;
    if (a.model === backup && summary.firstBackupAt === undefined) summary.firstBackupAt = a.at;
    if (!a.model) {
      summary.failed += 1;
      summary.lastFailureAt = a.at;
      if (summary.firstBackupAt !== undefined) summary.failedAfterBackup += 1;
    }
  }
  return summary;
}

/**
 * Synthetic calls to `model` through a gateway at `requestsPerSecond`, with the official openai
 * client, until `enough` says the answers seen suffice or `maxSeconds` pass. `beat` is called
 * about once a second (the activity's heartbeat, which also carries its cancellation).
 */
export async function driveTraffic(options: {
  gatewayUrl: string;
  apiKey: string;
  model: string;
  requestsPerSecond: number;
  maxSeconds: number;
  enough: (answers: readonly DrillAnswer[]) => boolean;
  beat?: (answers: readonly DrillAnswer[]) => void;
  signal?: AbortSignal;
}): Promise<DrillAnswer[]> {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: `${options.gatewayUrl}/v1`,
    maxRetries: 0,
    timeout: 15_000,
  });
  const answers: DrillAnswer[] = [];
  const started = Date.now();
  const gapMs = 1000 / options.requestsPerSecond;
  const inFlight = new Set<Promise<void>>();
  let lastBeat = 0;
  for (let i = 0; ; i++) {
    if (options.signal?.aborted || options.enough(answers)) break;
    const elapsed = Date.now() - started;
    if (elapsed > options.maxSeconds * 1000) break;
    const call = client.chat.completions
      .create(
        { model: options.model, max_tokens: 16, messages: [{ role: 'user', content: `Drill call ${i}: reply OK.` }] },
        { signal: options.signal },
      )
      .then(
        (answer) => void answers.push({ at: Date.now() - started, model: answer.model, status: 200 }),
        (error: { status?: number }) => void answers.push({ at: Date.now() - started, status: error.status ?? 0 }),
      )
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
    if (elapsed - lastBeat >= 1000) {
      lastBeat = elapsed;
      options.beat?.(answers);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (i + 1) * gapMs - Date.now())));
  }
  await Promise.allSettled([...inFlight]);
  return answers.sort((a, b) => a.at - b.at);
}

/** The prompt version a gateway serves the tenant now (its answer's x-flightdeck-prompt-version), or why not. */
export async function servedVersion(gatewayUrl: string, apiKey: string, prompt: string): Promise<string> {
  const client = new OpenAI({ apiKey, baseURL: `${gatewayUrl}/v1`, maxRetries: 0, timeout: 10_000 });
  const { response } = await client.chat.completions
    .create({ model: `prompt:${prompt}`, messages: [], max_tokens: 8 } as never)
    .withResponse();
  return response.headers.get('x-flightdeck-prompt-version') ?? 'none';
}
