import OpenAI from 'openai';
import type { Pool } from '../db/pool';
import type { RunningGateway } from '../gateway/gateway';
import { createTenant } from '../tenants/tenantStore';
import { SUPPORT_CONTEXT } from './backgroundTraffic';
import { table } from './output';

const QUESTIONS = [
  'How long do I have to return an item?',
  'When will my refund arrive?',
  'Is shipping free?',
  'Can I return a gift? My card is 4111 1111 1111 1111.',
];

export interface TrafficSummary {
  tenant: string;
  apiKey: string;
  rows: Array<[string, string, string, string, number, string, number]>;
}

/**
 * What an app does: the official openai client pointed at the gateway, calling a registered prompt
 * by name. Half-way, the primary model's provider starts failing (a simulator fault), and the
 * prompt's fallback takes over. Returns the traffic as the request log saw it.
 */
export async function sendDemoTraffic(
  pool: Pool,
  gateway: RunningGateway,
  simulatorUrl: string,
  adminToken?: string,
  requests = 16,
): Promise<TrafficSummary> {
  const tenant = `demo-app-${Date.now().toString(36)}`;
  const { apiKey } = await createTenant(pool, { id: tenant, tier: 'free', experimentsOptIn: false, actor: 'demo' });
  const client = new OpenAI({ apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  for (let i = 0; i < requests; i++) {
    if (i === requests / 2) {
      await fetch(`${simulatorUrl}/admin/faults`, {
        method: 'POST',
        headers: adminToken ? { authorization: `Bearer ${adminToken}` } : {},
        body: JSON.stringify({ kind: 'overloaded', model: 'gpt-4o-mini-2024-07-18', count: 3 }),
      });
    }
    const body = {
      model: 'prompt:support-answer',
      messages: [],
      variables: { question: QUESTIONS[i % QUESTIONS.length], context: SUPPORT_CONTEXT },
      user: `user-${i}`,
    };
    if (i % 4 === 3) {
      const stream = await client.chat.completions.create({ ...body, stream: true } as never);
      for await (const _chunk of stream as unknown as AsyncIterable<unknown>) void _chunk;
    } else {
      await client.chat.completions.create(body as never);
    }
  }
  await gateway.log.flush();
  const { rows } = await pool.query<{
    prompt_version: string;
    variant: string;
    model: string;
    fallback: boolean;
    n: string;
    cost: string;
    redacted: string;
  }>(
    `SELECT prompt_version, variant, model, fallback_used AS fallback, count(*) AS n, sum(cost_usd) AS cost,
            count(*) FILTER (WHERE guardrail_decision = 'redact') AS redacted
     FROM requests WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4 ORDER BY 4, 3`,
    [tenant],
  );
  return {
    tenant,
    apiKey,
    rows: rows.map((r) => [
      r.prompt_version,
      r.variant,
      r.model,
      r.fallback ? 'yes' : 'no',
      Number(r.n),
      `$${Number(r.cost).toFixed(6)}`,
      Number(r.redacted),
    ]),
  };
}

export function describeTraffic(summary: TrafficSummary, gatewayUrl: string): string {
  return [
    table(['VERSION', 'VARIANT', 'MODEL', 'FALLBACK', 'REQUESTS', 'COST', 'PII REDACTED'], summary.rows),
    '',
    `Call it yourself (tenant ${summary.tenant}):`,
    `  curl ${gatewayUrl}/v1/chat/completions -H 'authorization: Bearer ${summary.apiKey}' \\`,
    `    -d '{"model":"prompt:support-answer","messages":[],"variables":{"question":"Is shipping free?","context":"${SUPPORT_CONTEXT}"}}'`,
  ].join('\n');
}
