import type { Pool } from '../../src/db/pool';
import { cost } from '../../src/providers/pricing';
import { waitFor } from './waitFor';
import { startSimulator } from '../../src/simulator/server';
import { createTenant } from '../../src/tenants/tenantStore';

/**
 * A runaway tenant on the live stack (part of `bench:incidents`): its usual pace is one request a
 * second (28 days of hour rollups at the dollars one request costs, and the last hour's minutes), then a loop
 * sends 20 a second. The monitor pass (its schedule, every minute) must raise `tenant-cost-spike`,
 * whose cost-runaway playbook throttles the tenant. Reported: minutes from the loop's start to the
 * throttle, and the dollars the loop spent before it.
 */
export interface RunawayTrial {
  usualUsdPerHour: number;
  startToThrottleSeconds: number;
  spentBeforeThrottleUsd: number;
  /** What the loop would have spent in an hour unthrottled. */
  runawayUsdPerHour: number;
  throttleRpm: number | null;
  timeline: Array<{ step: string; atSeconds: number }>;
}

const MODEL = 'gpt-4o-2024-08-06';
const TENANT = 'bench-runaway';
/** About 2,000 input tokens: a support app stuffing its context. */
const QUESTION = `Where is my parcel? ${'Order history line. '.repeat(450)}`;
const LOOP_RATE = 20;

/**
 * The tenant and its 28 days of usual spend, written before the stack starts (a worker reads the
 * hour's baselines once, at its start). One request's dollars come from an in-process simulator
 * answering the same request, priced as the gateway prices it.
 */
export async function seedRunawayTenant(pool: Pool): Promise<{ apiKey: string; usualUsdPerHour: number }> {
  const sim = await startSimulator({ port: 0 });
  let usd = 0;
  try {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`http://127.0.0.1:${sim.port}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: QUESTION }] }),
        headers: { authorization: 'Bearer sim', 'content-type': 'application/json' },
      });
      const { usage } = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
      usd += cost(MODEL, {
        inputTokens: usage.prompt_tokens,
        cachedInputTokens: 0,
        outputTokens: usage.completion_tokens,
      }).usd;
    }
  } finally {
    await sim.close();
  }
  const usualUsdPerHour = (usd / 5) * 3600;
  const { apiKey } = await createTenant(pool, { id: TENANT, tier: 'free', experimentsOptIn: false, actor: 'bench' });
  await pool.query(
    `INSERT INTO request_rollups
     SELECT 'hour', date_trunc('hour', now()) - h * interval '1 hour', $1, 'chat', '', '', 'direct', $2, 'openai', false,
       3600, 0, 0, '{}', 3600 * 2000, 0, 3600 * 100, $3 * (0.9 + (h % 5) * 0.05), 0, '{}', 0,
       array_fill(0::bigint, ARRAY[13]), array_fill(0::bigint, ARRAY[13]), ''
     FROM generate_series(1, 28 * 24) h`,
    [TENANT, MODEL, usualUsdPerHour],
  );
  return { apiKey, usualUsdPerHour };
}

export async function runawayTrial(
  pool: Pool,
  gatewayUrl: string,
  tenant: { apiKey: string; usualUsdPerHour: number },
  log: (line: string) => void,
): Promise<RunawayTrial> {
  const { apiKey, usualUsdPerHour } = tenant;
  // Its usual pace up to the loop's start (the last hour's minutes): a tenant at 20x its baseline,
  // not one that was silent for an hour first (the spike rule's window would then hold no usual spend).
  await pool.query(
    `INSERT INTO request_rollups
     SELECT 'minute', date_trunc('minute', now()) - m * interval '1 minute', $1, 'chat', '', '', 'direct', $2, 'openai',
       false, 60, 0, 0, '{}', 60 * 2000, 0, 60 * 100, $3 / 60.0, 0, '{}', 0,
       array_fill(0::bigint, ARRAY[13]), array_fill(0::bigint, ARRAY[13]), '1k-8k'
     FROM generate_series(1, 60) m`,
    [TENANT, MODEL, usualUsdPerHour],
  );
  const send = () =>
    fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: QUESTION }] }),
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'x-flightdeck-feature': 'chat',
      },
    })
      .then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      })
      .catch(() => 0);
  log(`  runaway: usual spend $${usualUsdPerHour.toFixed(2)}/h (one request a second); the loop sends ${LOOP_RATE}/s…`);

  const startedAt = new Date();
  const inFlight = new Set<Promise<number>>();
  let throttledAt: Date | undefined;
  const timer = setInterval(() => {
    const call = send().then((status) => {
      if (status === 429) throttledAt ??= new Date();
      return status;
    });
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
  }, 1000 / LOOP_RATE);
  try {
    await waitFor('runaway trial', async () => throttledAt, 10 * 60_000);
  } finally {
    clearInterval(timer);
    await Promise.all(inFlight);
  }
  const spent = await waitFor(
    'runaway trial',
    async () => {
      const { rows } = await pool.query<{ usd: string; n: string }>(
        `SELECT coalesce(sum(cost_usd), 0) AS usd, count(*) AS n FROM requests
       WHERE tenant_id = $1 AND ts >= $2 AND ts < $3 AND status = 200`,
        [TENANT, startedAt, throttledAt],
      );
      return Number(rows[0]!.n) > 0 ? Number(rows[0]!.usd) : undefined;
    },
    30_000,
  );
  const { rows: throttled } = await pool.query<{ throttle_rpm: number | null }>(
    'SELECT throttle_rpm FROM tenants WHERE id = $1',
    [TENANT],
  );
  const { rows: steps } = await pool.query<{ step: string; at: Date }>(
    `SELECT e.step, e.at FROM incident_events e JOIN incidents i ON i.id = e.incident_id
     WHERE i.kind = 'cost-runaway' ORDER BY e.at`,
  );
  return {
    usualUsdPerHour,
    startToThrottleSeconds: Math.round((throttledAt!.getTime() - startedAt.getTime()) / 1000),
    spentBeforeThrottleUsd: spent,
    runawayUsdPerHour: usualUsdPerHour * LOOP_RATE,
    throttleRpm: throttled[0]?.throttle_rpm ?? null,
    timeline: steps.map((s) => ({
      step: s.step,
      atSeconds: Math.round((s.at.getTime() - startedAt.getTime()) / 1000),
    })),
  };
}
