import { z } from 'zod';
import type { Pool } from '../db/pool';
import type { ProviderDirectory } from '../providers/directory';
import { fetchUsageReport, type ReportedUsage } from '../providers/usageReports';
import { raiseAlert, resolveRecovered } from './alertStore';
import type { ReconciliationSettings } from './monitorRules';

/** What our request log says one provider served one model over the day. */
export interface LoggedUsage {
  requests: number;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
}

export interface ReconciliationLine {
  model: string;
  ours: LoggedUsage | null;
  theirs: ReportedUsage | null;
  /** theirs − ours, in tokens. */
  inputDifference: number;
  outputDifference: number;
  matches: boolean;
}

export interface ProviderReconciliation {
  provider: string;
  status: 'reconciled' | 'differs' | 'unavailable' | 'failed';
  reason?: string;
  ourCostUsd: number;
  theirCostUsd: number | null;
  costMatches: boolean | null;
  lines: ReconciliationLine[];
}

export interface ReconciliationResult {
  day: string;
  providers: ProviderReconciliation[];
  raised: number;
  resolved: number;
}

const RULE_ID = 'usage-reconciliation';
const DAY_MS = 86_400_000;

/** Within tolerance: the difference is under the relative bound of the larger side, or under the absolute floor. */
export function withinTolerance(ours: number, theirs: number, relative: number, floor: number): boolean {
  const difference = Math.abs(theirs - ours);
  return difference <= floor || difference <= relative * Math.max(ours, theirs);
}

/** Our log against the provider's report, model by model (a model on one side only is a line too). */
export function compareUsage(
  ours: ReadonlyMap<string, LoggedUsage>,
  theirs: ReadonlyMap<string, ReportedUsage>,
  settings: ReconciliationSettings,
): ReconciliationLine[] {
  const models = [...new Set([...ours.keys(), ...theirs.keys()])].sort();
  return models.map((model) => {
    const o = ours.get(model) ?? null;
    const t = theirs.get(model) ?? null;
    const input = [o?.inputTokens ?? 0, t?.inputTokens ?? 0] as const;
    const output = [o?.outputTokens ?? 0, t?.outputTokens ?? 0] as const;
    return {
      model,
      ours: o,
      theirs: t,
      inputDifference: input[1] - input[0],
      outputDifference: output[1] - output[0],
      matches:
        withinTolerance(...input, settings.tolerance, settings.min_tokens) &&
        withinTolerance(...output, settings.tolerance, settings.min_tokens),
    };
  });
}

/** Per provider and model: what the day's rows say was sent to providers (cache hits never reached one). */
async function loggedUsage(pool: Pool, day: Date) {
  const { rows } = await pool.query<{
    provider: string;
    model: string;
    requests: number;
    input_tokens: number;
    cached_tokens: number;
    output_tokens: number;
    cost: number;
  }>(
    `SELECT provider, model, count(*) FILTER (WHERE output_tokens > 0 OR input_tokens > 0)::float8 AS requests,
       sum(input_tokens)::float8 AS input_tokens, sum(cached_tokens)::float8 AS cached_tokens,
       sum(output_tokens)::float8 AS output_tokens, sum(cost_usd)::float8 AS cost
     FROM requests WHERE ts >= $1 AND ts < $2 AND NOT cache_hit AND provider IS NOT NULL AND model IS NOT NULL
     GROUP BY provider, model`,
    [day, new Date(day.getTime() + DAY_MS)],
  );
  const byProvider = new Map<string, { models: Map<string, LoggedUsage>; costUsd: number }>();
  for (const row of rows) {
    const entry = byProvider.get(row.provider) ?? { models: new Map(), costUsd: 0 };
    entry.models.set(row.model, {
      requests: row.requests,
      inputTokens: row.input_tokens,
      cachedTokens: row.cached_tokens,
      outputTokens: row.output_tokens,
    });
    entry.costUsd += row.cost;
    byProvider.set(row.provider, entry);
  }
  return byProvider;
}

const keyOf = (provider: string, what: string) => `${RULE_ID}:provider=${provider},${what}`;

/**
 * The nightly reconciliation: for each provider our log sent traffic to on `day` (UTC), its own
 * usage report (and, for OpenAI, its costs) against our rows; a model whose tokens differ beyond
 * the tolerance, or a bill that does, is an alert, resolved when a later day matches. A provider
 * without an admin key is reported as unavailable, one whose report could not be read as failed
 * (see `failedReports`).
 */
export async function reconcileUsage(
  pool: Pool,
  providers: ProviderDirectory,
  settings: ReconciliationSettings,
  day: Date,
): Promise<ReconciliationResult> {
  const result: ReconciliationResult = { day: day.toISOString().slice(0, 10), providers: [], raised: 0, resolved: 0 };
  const matched: string[] = [];
  for (const [provider, logged] of await loggedUsage(pool, day)) {
    const access = providers.usageReportAccess(provider);
    const base = { provider, ourCostUsd: logged.costUsd, theirCostUsd: null, costMatches: null, lines: [] };
    if (!access.available) {
      result.providers.push({ ...base, status: 'unavailable', reason: access.reason });
      continue;
    }
    let report;
    try {
      report = await fetchUsageReport(access, day, new Date(day.getTime() + DAY_MS));
    } catch (error) {
      result.providers.push({ ...base, status: 'failed', reason: (error as Error).message });
      continue;
    }
    const lines = compareUsage(logged.models, report.byModel, settings);
    const costMatches =
      report.costUsd === null
        ? null
        : withinTolerance(logged.costUsd, report.costUsd, settings.tolerance, settings.min_usd);
    for (const line of lines) {
      const key = keyOf(provider, `model=${line.model}`);
      if (line.matches) {
        matched.push(key);
        continue;
      }
      const outcome = await raiseAlert(
        pool,
        {
          key,
          ruleId: RULE_ID,
          severity: 'ticket',
          summary: `${provider} reports ${line.theirs?.inputTokens ?? 0} input / ${line.theirs?.outputTokens ?? 0} output tokens of ${line.model} on ${result.day}; our log has ${line.ours?.inputTokens ?? 0} / ${line.ours?.outputTokens ?? 0}`,
          numbers: {
            ourInputTokens: line.ours?.inputTokens ?? 0,
            theirInputTokens: line.theirs?.inputTokens ?? 0,
            ourOutputTokens: line.ours?.outputTokens ?? 0,
            theirOutputTokens: line.theirs?.outputTokens ?? 0,
          },
        },
        0,
      );
      if (outcome === 'raised') result.raised += 1;
    }
    if (costMatches === false) {
      const outcome = await raiseAlert(
        pool,
        {
          key: keyOf(provider, 'cost'),
          ruleId: RULE_ID,
          severity: 'ticket',
          summary: `${provider} billed $${report.costUsd!.toFixed(4)} on ${result.day}; our log priced it at $${logged.costUsd.toFixed(4)}`,
          numbers: { ourCostUsd: logged.costUsd, theirCostUsd: report.costUsd! },
        },
        0,
      );
      if (outcome === 'raised') result.raised += 1;
    } else if (costMatches) matched.push(keyOf(provider, 'cost'));
    result.providers.push({
      ...base,
      theirCostUsd: report.costUsd,
      costMatches,
      lines,
      status: lines.every((l) => l.matches) && costMatches !== false ? 'reconciled' : 'differs',
    });
  }
  result.resolved = await resolveRecovered(pool, matched);
  return result;
}

/** Yesterday, UTC: the last whole day the providers have reported. */
export function yesterday(now = new Date()): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - DAY_MS);
}

/** The providers whose report could not be read, as one message; the workflow fails on it so a retry and the failed run show it. */
export function failedReports(result: ReconciliationResult): string | undefined {
  const failed = result.providers.filter((p) => p.status === 'failed');
  return failed.length
    ? `usage reports failed: ${failed.map((p) => `${p.provider}: ${p.reason}`).join('; ')}`
    : undefined;
}

/** A reconciliation's input (a workflow payload or a CLI flag): an optional UTC day, YYYY-MM-DD, not in the future. */
export const reconcileInputSchema = z.strictObject({
  day: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a UTC day such as 2026-11-30')
    .transform((text) => new Date(`${text}T00:00:00Z`))
    .refine(
      (date) => !Number.isNaN(date.getTime()) && date.getTime() <= Date.now(),
      'must be a real day, today or before',
    )
    .optional(),
});
