import type { Pool } from '../db/pool';
import { GUARDRAIL_IDS } from '../guardrails/guardrailIds';
import { listIncidents, type IncidentRecord } from '../incidents/incidentStore';
import { listAlerts, type MonitorAlert } from '../monitoring/alertStore';
import { buildCostReport, firstDay, loadCostRows, type CostReport } from '../monitoring/costReport';
import { histogramQuantile, LATENCY_BOUNDS_MS } from '../monitoring/histogram';

/** A rollout as Temporal reports it (the console's caller asks Temporal; the console never connects itself). */
export interface RolloutStage {
  prompt: string;
  workflowId: string;
  stage: string;
  weightPercent: number;
}

/** A prompt with traffic on a candidate or a shadow: the route table, and the rollout's stage when Temporal answered. */
export interface LiveRollout {
  prompt: string;
  candidateVersion: string | null;
  weightPercent: number;
  shadowVersion: string | null;
  stage: string | null;
  workflowId: string | null;
  updatedAt: Date;
}

/** Service levels of one prompt over the last 24 hours, from the hour rollups. */
export interface PromptSlo {
  prompt: string;
  requests: number;
  availability: number;
  p50Ms: number | null;
  p99Ms: number | null;
  ttftP99Ms: number | null;
  /** Share of requests over 10 s (the model-latency objective: at most 1%). */
  slowShare: number;
  /** Answers flagged as refusals or failing their JSON schema, per request (objective: at most 5%). */
  badAnswerShare: number;
  status: 'meeting' | 'missing' | 'too little traffic';
  missing: string[];
}

export interface RecentError {
  requestId: string;
  ts: Date;
  tenant: string | null;
  prompt: string | null;
  model: string | null;
  status: number;
  errorClass: string | null;
  traceId: string | null;
}

export interface ConsoleData {
  generatedAt: string;
  days: number;
  dayLabels: string[];
  tenantCost: CostReport;
  featureCost: CostReport;
  alerts: MonitorAlert[];
  /** Open incidents, newest first. */
  incidents: IncidentRecord[];
  rollouts: LiveRollout[];
  /** Why stages are missing, when Temporal did not answer. */
  rolloutsNote: string | null;
  slo: PromptSlo[];
  recentErrors: RecentError[];
}

/** Objectives the console measures against: the built-in monitors' (availability 99%, 99% within 10 s, 95% good answers). */
const OBJECTIVES = {
  availability: 0.99,
  slowShare: 0.01,
  slowMs: 10_000 as const,
  badAnswerShare: 0.05,
  minRequests: 20,
};

/** Every day label of the range, oldest first (days without traffic included, so charts keep their scale). */
export function dayLabels(now: Date, days: number): string[] {
  const first = firstDay(now, days).getTime();
  return Array.from({ length: days }, (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10));
}

async function promptSlos(pool: Pool, now: Date): Promise<PromptSlo[]> {
  const since = new Date(now.getTime() - 86_400_000);
  const flags = [GUARDRAIL_IDS.outputRefusal, GUARDRAIL_IDS.outputJsonSchema]
    .map((id) => `coalesce((guardrail_decisions->>'${id}:flag')::bigint, 0)`)
    .join(' + ');
  const { rows } = await pool.query<{
    prompt: string;
    requests: number;
    server_errors: number;
    bad: number;
    latency: number[];
    ttft: number[];
  }>(
    `WITH scoped AS (
       SELECT * FROM request_rollups_all WHERE grain = 'hour' AND bucket >= date_trunc('hour', $1::timestamptz) AND NOT synthetic AND prompt_name <> ''),
     counts AS (
       SELECT prompt_name, sum(requests)::float8 AS requests, sum(server_errors)::float8 AS server_errors, sum(${flags})::float8 AS bad
       FROM scoped GROUP BY prompt_name),
     buckets AS (
       SELECT prompt_name, i, sum(l)::float8 AS l, sum(t)::float8 AS t
       FROM scoped, unnest(latency_hist, ttft_hist) WITH ORDINALITY u(l, t, i) GROUP BY prompt_name, i),
     hists AS (
       SELECT prompt_name, array_agg(l ORDER BY i) AS latency, array_agg(t ORDER BY i) AS ttft FROM buckets GROUP BY prompt_name)
     SELECT c.prompt_name AS prompt, c.requests, c.server_errors, c.bad, h.latency, h.ttft
     FROM counts c JOIN hists h USING (prompt_name) ORDER BY c.requests DESC LIMIT 50`,
    [since],
  );
  const slowFrom = LATENCY_BOUNDS_MS.indexOf(OBJECTIVES.slowMs) + 1;
  return rows.map((row) => {
    const latency = row.latency.map(Number);
    const slow = latency.slice(slowFrom).reduce((a, b) => a + b, 0);
    const slo = {
      prompt: row.prompt,
      requests: row.requests,
      availability: row.requests ? 1 - row.server_errors / row.requests : 1,
      p50Ms: histogramQuantile(latency, 0.5) ?? null,
      p99Ms: histogramQuantile(latency, 0.99) ?? null,
      ttftP99Ms: histogramQuantile(row.ttft.map(Number), 0.99) ?? null,
      slowShare: row.requests ? slow / row.requests : 0,
      badAnswerShare: row.requests ? row.bad / row.requests : 0,
    };
    const missing = [
      slo.availability < OBJECTIVES.availability ? `availability under ${OBJECTIVES.availability * 100}%` : '',
      slo.slowShare > OBJECTIVES.slowShare ? `over ${OBJECTIVES.slowShare * 100}% slower than 10 s` : '',
      slo.badAnswerShare > OBJECTIVES.badAnswerShare ? `over ${OBJECTIVES.badAnswerShare * 100}% bad answers` : '',
    ].filter(Boolean);
    const status: PromptSlo['status'] =
      row.requests < OBJECTIVES.minRequests ? 'too little traffic' : missing.length ? 'missing' : 'meeting';
    return { ...slo, status, missing };
  });
}

async function liveRoutes(pool: Pool): Promise<LiveRollout[]> {
  const { rows } = await pool.query<{
    prompt_name: string;
    candidate_version: string | null;
    candidate_weight_bp: number;
    shadow_version: string | null;
    updated_at: Date;
  }>(
    `SELECT prompt_name, candidate_version, candidate_weight_bp, shadow_version, updated_at FROM routes
     WHERE (candidate_version IS NOT NULL AND candidate_weight_bp > 0) OR shadow_version IS NOT NULL
     ORDER BY updated_at DESC`,
  );
  return rows.map((row) => ({
    prompt: row.prompt_name,
    candidateVersion: row.candidate_version,
    weightPercent: row.candidate_weight_bp / 100,
    shadowVersion: row.shadow_version,
    stage: null,
    workflowId: null,
    updatedAt: row.updated_at,
  }));
}

async function recentErrors(pool: Pool, now: Date): Promise<RecentError[]> {
  const { rows } = await pool.query<{
    request_id: string;
    ts: Date;
    tenant_id: string | null;
    prompt_name: string | null;
    model: string | null;
    status: number;
    error_class: string | null;
    trace_id: string | null;
  }>(
    `SELECT request_id, ts, tenant_id, prompt_name, model, status, error_class, trace_id FROM requests
     WHERE ts >= $1::timestamptz - interval '1 day' AND ts <= $1 AND status >= 500 AND NOT synthetic
     ORDER BY ts DESC LIMIT 20`,
    [now],
  );
  return rows.map((row) => ({
    requestId: row.request_id,
    ts: row.ts,
    tenant: row.tenant_id,
    prompt: row.prompt_name,
    model: row.model,
    status: row.status,
    errorClass: row.error_class,
    traceId: row.trace_id,
  }));
}

/**
 * Everything the console page shows, read from the rollups and small tables (never the raw log
 * beyond a day of errors), and the rollouts' stages from `stages` (Temporal, asked by the caller).
 */
export async function loadConsoleData(
  pool: Pool,
  options: { days: number; now?: Date; stages: () => Promise<RolloutStage[]> },
): Promise<ConsoleData> {
  const now = options.now ?? new Date();
  const query = { tenant: undefined, sinceDays: options.days, includeSynthetic: false, maxCostPerCallUsd: 0.05, now };
  const report = async (by: CostReport['by']) => {
    const rows = await loadCostRows(pool, { ...query, by });
    return buildCostReport(rows.days, rows.usage, { ...query, by });
  };
  const [tenantCost, featureCost, alerts, incidents, routes, slo, errors] = await Promise.all([
    report(['tenant']),
    report(['tenant', 'feature']),
    listAlerts(pool, { limit: 50 }),
    listIncidents(pool, { limit: 50 }),
    liveRoutes(pool),
    promptSlos(pool, now),
    recentErrors(pool, now),
  ]);
  let rolloutsNote: string | null = null;
  let stages: RolloutStage[] = [];
  try {
    stages = await options.stages();
  } catch (error) {
    rolloutsNote = `Rollout stages unknown: ${(error as Error).message.split('\n')[0]}`;
  }
  const byPrompt = new Map(stages.map((s) => [s.prompt, s]));
  const rollouts = routes.map((route) => {
    const stage = byPrompt.get(route.prompt);
    return stage ? { ...route, stage: stage.stage, workflowId: stage.workflowId } : route;
  });
  // A rollout whose route shows no traffic yet (the gate is still running, or it holds at 0%).
  for (const stage of stages)
    if (!routes.some((r) => r.prompt === stage.prompt))
      rollouts.push({
        prompt: stage.prompt,
        candidateVersion: null,
        weightPercent: stage.weightPercent,
        shadowVersion: null,
        stage: stage.stage,
        workflowId: stage.workflowId,
        updatedAt: now,
      });
  return {
    generatedAt: now.toISOString(),
    days: options.days,
    dayLabels: dayLabels(now, options.days),
    tenantCost,
    featureCost,
    alerts,
    incidents,
    rollouts,
    rolloutsNote,
    slo,
    recentErrors: errors,
  };
}
