import { z } from 'zod';
import type { UsageReportAccess } from './directory';

/** What a provider says it served one model over a period. */
export interface ReportedUsage {
  /** Requests it counted (OpenAI reports them; Anthropic's report has none). */
  requests: number | null;
  /** All input tokens, cached ones included. */
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
}

export interface ProviderUsageReport {
  byModel: Map<string, ReportedUsage>;
  /** What it billed over the period (OpenAI's costs endpoint), when the API has one. */
  costUsd: number | null;
}

const MAX_PAGES = 20;
const TIMEOUT_MS = 30_000;
const count = z.number().int().nonnegative();

/** A page of time buckets, each with its results, as both providers' reports are shaped. */
const reportPage = <R extends z.ZodType>(result: R) =>
  z.object({
    data: z.array(z.object({ results: z.array(result) })),
    has_more: z.boolean(),
    next_page: z.string().nullable().optional(),
  });

const openaiUsagePage = reportPage(
  z.object({
    model: z.string().nullable().optional(),
    input_tokens: count,
    input_cached_tokens: count.nullable().optional(),
    output_tokens: count,
    num_model_requests: count,
  }),
);

const openaiCostsPage = reportPage(z.object({ amount: z.object({ value: z.coerce.number() }) }));

const anthropicUsagePage = reportPage(
  z.object({
    model: z.string().nullable().optional(),
    uncached_input_tokens: count,
    cache_read_input_tokens: count.optional(),
    cache_creation: z
      .object({ ephemeral_5m_input_tokens: count, ephemeral_1h_input_tokens: count })
      .partial()
      .optional(),
    output_tokens: count,
  }),
);

/** Every page of one report (following next_page), each checked against its schema. */
async function pages<T extends { has_more: boolean; next_page?: string | null }>(
  url: URL,
  headers: Record<string, string>,
  schema: z.ZodType<T>,
): Promise<T[]> {
  const all: T[] = [];
  for (let i = 0; i < MAX_PAGES; i++) {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`${url.origin}${url.pathname} answered ${response.status}: ${text.slice(0, 200)}`);
    const parsed = schema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(`${url.pathname} answered an unexpected shape: ${parsed.error.issues[0]?.message}`);
    all.push(parsed.data);
    if (!parsed.data.has_more || !parsed.data.next_page) return all;
    url.searchParams.set('page', parsed.data.next_page);
  }
  throw new Error(`${url.pathname} had more than ${MAX_PAGES} pages`);
}

function add(byModel: Map<string, ReportedUsage>, model: string, usage: ReportedUsage): void {
  const sum = byModel.get(model) ?? {
    requests: usage.requests === null ? null : 0,
    inputTokens: 0,
    cachedTokens: 0,
    outputTokens: 0,
  };
  if (sum.requests !== null && usage.requests !== null) sum.requests += usage.requests;
  sum.inputTokens += usage.inputTokens;
  sum.cachedTokens += usage.cachedTokens;
  sum.outputTokens += usage.outputTokens;
  byModel.set(model, sum);
}

/**
 * A provider's own account of [from, to) per model: OpenAI's organization usage and costs
 * endpoints, or Anthropic's messages usage report, read with the admin key.
 */
export async function fetchUsageReport(
  access: Extract<UsageReportAccess, { available: true }>,
  from: Date,
  to: Date,
): Promise<ProviderUsageReport> {
  const byModel = new Map<string, ReportedUsage>();
  if (access.api === 'openai') {
    const headers = { authorization: `Bearer ${access.adminKey}` };
    const window = (path: string) => {
      const url = new URL(`${access.baseUrl}${path}`);
      url.searchParams.set('start_time', String(Math.floor(from.getTime() / 1000)));
      url.searchParams.set('end_time', String(Math.floor(to.getTime() / 1000)));
      url.searchParams.set('bucket_width', '1d');
      return url;
    };
    const usageUrl = window('/organization/usage/completions');
    usageUrl.searchParams.set('group_by', 'model');
    for (const page of await pages(usageUrl, headers, openaiUsagePage))
      for (const bucket of page.data)
        for (const r of bucket.results)
          add(byModel, r.model ?? 'unknown', {
            requests: r.num_model_requests,
            inputTokens: r.input_tokens,
            cachedTokens: r.input_cached_tokens ?? 0,
            outputTokens: r.output_tokens,
          });
    let costUsd = 0;
    for (const page of await pages(window('/organization/costs'), headers, openaiCostsPage))
      for (const bucket of page.data) for (const r of bucket.results) costUsd += r.amount.value;
    return { byModel, costUsd };
  }
  const url = new URL(`${access.baseUrl}/v1/organizations/usage_report/messages`);
  url.searchParams.set('starting_at', from.toISOString());
  url.searchParams.set('ending_at', to.toISOString());
  url.searchParams.set('bucket_width', '1d');
  url.searchParams.append('group_by[]', 'model');
  const headers = { 'x-api-key': access.adminKey, 'anthropic-version': '2023-06-01' };
  for (const page of await pages(url, headers, anthropicUsagePage))
    for (const bucket of page.data)
      for (const r of bucket.results) {
        const cacheWrites =
          (r.cache_creation?.ephemeral_5m_input_tokens ?? 0) + (r.cache_creation?.ephemeral_1h_input_tokens ?? 0);
        const cached = r.cache_read_input_tokens ?? 0;
        add(byModel, r.model ?? 'unknown', {
          requests: null,
          inputTokens: r.uncached_input_tokens + cached + cacheWrites,
          cachedTokens: cached,
          outputTokens: r.output_tokens,
        });
      }
  return { byModel, costUsd: null };
}
