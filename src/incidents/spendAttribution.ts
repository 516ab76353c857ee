import type { Pool } from '../db/pool';

/** A tenant's spend now against its usual spend, with where the money goes and the likely cause. */
export interface SpendAttribution {
  tenant: string;
  windowMinutes: number;
  /** USD spent in the window (its whole minutes up to now), and per hour at that pace. */
  spentUsd: number;
  usdPerHour: number;
  /** The tenant's mean hourly spend over the baseline days (up to two hours ago). */
  baselineUsdPerHour: number;
  /** usdPerHour / baselineUsdPerHour; null when the tenant had no usual spend (any spend is a runaway). */
  ratio: number | null;
  requestsPerMinute: number;
  baselineRequestsPerMinute: number;
  inputTokensPerRequest: number;
  baselineInputTokensPerRequest: number;
  /** The window's biggest contributors per dimension (share of the window's spend), most first. */
  top: Record<'feature' | 'version' | 'model', Array<{ value: string; usd: number; share: number }>>;
  /** Prompt versions serving the window that served nothing in the baseline. */
  newVersions: string[];
  /** The share of the window's stored requests whose messages were the most repeated ones. */
  repeatShare: number;
  cause: SpendCause;
}

export type SpendCause = 'loop' | 'context-growth' | 'prompt-expansion' | 'volume' | 'unknown';

/** Spend and its breakdown: the window from minute rollups, the baseline from hour rollups. */
export async function attributeSpend(
  pool: Pool,
  tenant: string,
  options: { windowMinutes?: number; baselineDays?: number; now?: Date } = {},
): Promise<SpendAttribution> {
  const windowMinutes = options.windowMinutes ?? 5;
  const baselineDays = options.baselineDays ?? 7;
  const now = options.now ?? new Date();
  // Whole minute buckets from the one `windowMinutes` ago: the pace is over the time they cover.
  const since = new Date(Math.floor((now.getTime() - windowMinutes * 60_000) / 60_000) * 60_000);
  const coveredMinutes = (now.getTime() - since.getTime()) / 60_000;
  const [windowRows, baseline, repeats] = await Promise.all([
    pool.query<{ feature: string; version: string; model: string; requests: string; input: string; usd: string }>(
      `SELECT feature, prompt_name || CASE WHEN prompt_version = '' THEN '' ELSE '@' || prompt_version END AS version,
         model, sum(requests) AS requests, sum(input_tokens) AS input, sum(cost_usd) AS usd
       FROM request_rollups_all
       WHERE grain = 'minute' AND tenant_id = $1 AND NOT synthetic AND bucket >= $2
         AND bucket <= $3
       GROUP BY 1, 2, 3`,
      [tenant, since, now],
    ),
    pool.query<{ hours: string; requests: string; input: string; usd: string; versions: string[] | null }>(
      `SELECT greatest(1, extract(epoch FROM ($2::timestamptz - greatest(min(bucket), $3::timestamptz))) / 3600) AS hours,
         coalesce(sum(requests), 0) AS requests, coalesce(sum(input_tokens), 0) AS input,
         coalesce(sum(cost_usd), 0) AS usd,
         array_agg(DISTINCT prompt_name || '@' || prompt_version) FILTER (WHERE prompt_version <> '') AS versions
       FROM request_rollups_all
       WHERE grain = 'hour' AND tenant_id = $1 AND NOT synthetic AND bucket >= $3 AND bucket < $2`,
      [
        tenant,
        new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000 - 3_600_000),
        new Date(now.getTime() - baselineDays * 86_400_000),
      ],
    ),
    // Near-identical requests: the same stored (redacted) messages, among the window's latest 2,000.
    pool.query<{ top: string | null; total: string }>(
      `SELECT max(n) AS top, coalesce(sum(n), 0) AS total FROM (
         SELECT count(*) AS n FROM (
           SELECT md5(b.messages::text) AS h FROM requests r
           JOIN request_bodies b ON b.request_id = r.request_id AND b.ts = r.ts
           WHERE r.tenant_id = $1 AND r.ts >= $2 AND r.ts <= $3 AND NOT r.synthetic
           ORDER BY r.ts DESC LIMIT 2000) latest
         GROUP BY h) groups`,
      [tenant, since, now],
    ),
  ]);
  const rows = windowRows.rows.map((r) => ({ ...r, usd: Number(r.usd), requests: Number(r.requests) }));
  const spentUsd = rows.reduce((sum, r) => sum + r.usd, 0);
  const requests = rows.reduce((sum, r) => sum + r.requests, 0);
  const input = windowRows.rows.reduce((sum, r) => sum + Number(r.input), 0);
  const base = baseline.rows[0]!;
  const hours = Number(base.hours);
  const baseRequests = Number(base.requests);
  const usdPerHour = (spentUsd * 60) / coveredMinutes;
  const baselineUsdPerHour = Number(base.usd) / hours;
  const baseVersions = new Set(base.versions ?? []);
  const windowVersions = new Set(rows.filter((r) => r.version.includes('@')).map((r) => r.version));
  const attribution = {
    tenant,
    windowMinutes,
    spentUsd,
    usdPerHour,
    baselineUsdPerHour,
    ratio: baselineUsdPerHour > 0 ? usdPerHour / baselineUsdPerHour : usdPerHour > 0 ? null : 0,
    requestsPerMinute: requests / coveredMinutes,
    baselineRequestsPerMinute: baseRequests / (hours * 60),
    inputTokensPerRequest: requests ? input / requests : 0,
    baselineInputTokensPerRequest: baseRequests ? Number(base.input) / baseRequests : 0,
    top: {
      feature: topShares(rows, 'feature', spentUsd),
      version: topShares(rows, 'version', spentUsd),
      model: topShares(rows, 'model', spentUsd),
    },
    newVersions: [...windowVersions].filter((v) => !baseVersions.has(v)),
    repeatShare: Number(repeats.rows[0]!.total) ? Number(repeats.rows[0]!.top) / Number(repeats.rows[0]!.total) : 0,
  };
  return { ...attribution, cause: classifySpendCause(attribution) };
}

function topShares<K extends 'feature' | 'version' | 'model'>(
  rows: Array<Record<K, string> & { usd: number }>,
  dimension: K,
  total: number,
): Array<{ value: string; usd: number; share: number }> {
  const sums = new Map<string, number>();
  for (const row of rows) sums.set(row[dimension] || 'none', (sums.get(row[dimension] || 'none') ?? 0) + row.usd);
  return [...sums]
    .map(([value, usd]) => ({ value, usd, share: total > 0 ? usd / total : 0 }))
    .sort((a, b) => b.usd - a.usd)
    .slice(0, 3);
}

/**
 * The likely cause, in the order a person would check: the same request over and over (a client
 * loop), inputs much longer than usual (context growth), a new prompt version carrying most of the
 * spend with more tokens (prompt expansion), or simply more requests than usual (volume).
 */
export function classifySpendCause(
  a: Pick<
    SpendAttribution,
    | 'requestsPerMinute'
    | 'baselineRequestsPerMinute'
    | 'inputTokensPerRequest'
    | 'baselineInputTokensPerRequest'
    | 'top'
    | 'newVersions'
    | 'repeatShare'
  >,
): SpendCause {
  const moreRequests = a.baselineRequestsPerMinute > 0 && a.requestsPerMinute >= 2 * a.baselineRequestsPerMinute;
  const longerInputs =
    a.baselineInputTokensPerRequest > 0 && a.inputTokensPerRequest >= 1.5 * a.baselineInputTokensPerRequest;
  if (a.repeatShare >= 0.5 && (moreRequests || a.baselineRequestsPerMinute === 0)) return 'loop';
  const topVersion = a.top.version[0];
  if (longerInputs && topVersion && topVersion.share >= 0.5 && a.newVersions.includes(topVersion.value))
    return 'prompt-expansion';
  if (longerInputs) return 'context-growth';
  if (moreRequests) return 'volume';
  return 'unknown';
}
