import { z } from 'zod';
import { cost } from '../providers/pricing';
import { HttpError } from './http';
import type { BucketWidth, ServedUsage, UsageApi, UsageLedger } from './usageLedger';

/** Default and largest page of buckets per width, as the providers document them. */
const PAGE: Record<BucketWidth, { default: number; max: number }> = {
  '1d': { default: 7, max: 31 },
  '1h': { default: 24, max: 168 },
  '1m': { default: 60, max: 1440 },
};

const width = z.enum(['1m', '1h', '1d']).default('1d');
const groups = z.array(z.enum(['model', 'line_item', 'project_id'])).default([]);

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '));
  return parsed.data;
}

/** The query as an object; repeated keys (group_by, group_by[]) as arrays. */
function queryOf(url: URL) {
  const single = (name: string) => url.searchParams.get(name) ?? undefined;
  return {
    single,
    groupBy: [...url.searchParams.getAll('group_by'), ...url.searchParams.getAll('group_by[]')],
  };
}

/**
 * One page of buckets from `from` (or from the page token: the next bucket's start, base64) towards
 * `to`, and the token of the page after it. Only the page's buckets are built.
 */
function page(
  ledger: UsageLedger,
  request: { api: UsageApi; from: number; to: number; width: BucketWidth; byModel: boolean },
  limit: number,
  token: string | undefined,
) {
  const decoded = token === undefined ? undefined : Buffer.from(token, 'base64url').toString();
  if (decoded !== undefined && !/^\d{1,15}$/.test(decoded))
    throw new HttpError(400, 'page: not a page token from a previous response');
  const from = decoded === undefined ? request.from : Number(decoded);
  const buckets = ledger.buckets(request.api, from, request.to, request.width, request.byModel, limit + 1);
  const next = buckets[limit];
  return { shown: buckets.slice(0, limit), next: next ? Buffer.from(String(next.start)).toString('base64url') : null };
}

const seconds = z.coerce.number().int().nonnegative();

/** OpenAI's usage and costs queries: unix seconds, a bucket width, groupings, a page size. */
function openaiQuery<W extends z.ZodType<BucketWidth>>(q: ReturnType<typeof queryOf>, bucketWidth: W) {
  return parse(
    z.object({
      start_time: seconds,
      end_time: seconds.optional(),
      bucket_width: bucketWidth,
      group_by: groups,
      limit: seconds.optional(),
    }),
    {
      start_time: q.single('start_time'),
      end_time: q.single('end_time'),
      bucket_width: q.single('bucket_width'),
      group_by: q.groupBy,
      limit: q.single('limit'),
    },
  );
}

/** GET /v1/organization/usage/completions: OpenAI's organization usage, from what was served. */
export function openaiUsage(ledger: UsageLedger, url: URL): object {
  const q = queryOf(url);
  const query = openaiQuery(q, width);

  const limit = Math.min(query.limit ?? PAGE[query.bucket_width].default, PAGE[query.bucket_width].max);
  const to = (query.end_time ?? Math.ceil(Date.now() / 1000)) * 1000;
  const byModel = query.group_by.includes('model');
  const { shown, next } = page(
    ledger,
    { api: 'openai', from: query.start_time * 1000, to, width: query.bucket_width, byModel },
    limit,
    q.single('page'),
  );
  const result = (model: string, usage: ServedUsage) => ({
    object: 'organization.usage.completions.result',
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    input_cached_tokens: usage.cachedInputTokens,
    input_audio_tokens: 0,
    output_audio_tokens: 0,
    num_model_requests: usage.requests,
    project_id: null,
    user_id: null,
    api_key_id: null,
    model: byModel ? model : null,
    batch: null,
  });
  return {
    object: 'page',
    data: shown.map((b) => ({
      object: 'bucket',
      start_time: b.start / 1000,
      end_time: b.end / 1000,
      results: [...b.byModel].map(([model, usage]) => result(model, usage)),
    })),
    has_more: next !== null,
    next_page: next,
  };
}

/** GET /v1/organization/costs: OpenAI's daily costs, priced from the price table at the bucket's time. */
export function openaiCosts(ledger: UsageLedger, url: URL): object {
  const q = queryOf(url);
  const query = openaiQuery(q, z.literal('1d').default('1d'));

  const to = (query.end_time ?? Math.ceil(Date.now() / 1000)) * 1000;
  const { shown, next } = page(
    ledger,
    { api: 'openai', from: query.start_time * 1000, to, width: '1d', byModel: true },
    Math.min(query.limit ?? 7, 180),
    q.single('page'),
  );
  const byLine = query.group_by.includes('line_item');
  return {
    object: 'page',
    data: shown.map((b) => {
      const amounts = [...b.byModel].map(([model, usage]) => ({
        model,
        usd: cost(
          model,
          {
            inputTokens: usage.inputTokens,
            cachedInputTokens: usage.cachedInputTokens,
            outputTokens: usage.outputTokens,
          },
          new Date(b.start),
        ).usd,
      }));
      const lines = byLine
        ? amounts
        : amounts.length
          ? [{ model: null, usd: amounts.reduce((sum, a) => sum + a.usd, 0) }]
          : [];
      return {
        object: 'bucket',
        start_time: b.start / 1000,
        end_time: b.end / 1000,
        results: lines.map((line) => ({
          object: 'organization.costs.result',
          amount: { value: line.usd, currency: 'usd' },
          line_item: line.model,
          project_id: null,
        })),
      };
    }),
    has_more: next !== null,
    next_page: next,
  };
}

const instant = z
  .string()
  .datetime({ offset: true })
  .transform((text) => Date.parse(text));

/** GET /v1/organizations/usage_report/messages: Anthropic's usage report, from what was served. */
export function anthropicUsage(ledger: UsageLedger, url: URL): object {
  const q = queryOf(url);
  const query = parse(
    z.object({
      starting_at: instant,
      ending_at: instant.optional(),
      bucket_width: width,
      group_by: groups,
      limit: seconds.optional(),
    }),
    {
      starting_at: q.single('starting_at'),
      ending_at: q.single('ending_at'),
      bucket_width: q.single('bucket_width'),
      group_by: q.groupBy,
      limit: q.single('limit'),
    },
  );
  const limit = Math.min(query.limit ?? PAGE[query.bucket_width].default, PAGE[query.bucket_width].max);
  const byModel = query.group_by.includes('model');
  const { shown, next } = page(
    ledger,
    {
      api: 'anthropic',
      from: query.starting_at,
      to: query.ending_at ?? Date.now(),
      width: query.bucket_width,
      byModel,
    },
    limit,
    q.single('page'),
  );
  return {
    data: shown.map((b) => ({
      starting_at: new Date(b.start).toISOString(),
      ending_at: new Date(b.end).toISOString(),
      results: [...b.byModel].map(([model, usage]) => ({
        uncached_input_tokens: usage.inputTokens - usage.cachedInputTokens,
        cache_read_input_tokens: usage.cachedInputTokens,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
        output_tokens: usage.outputTokens,
        server_tool_use: { web_search_requests: 0 },
        model: byModel ? model : null,
        api_key_id: null,
        workspace_id: null,
        service_tier: 'standard',
        context_window: '0-200k',
      })),
    })),
    has_more: next !== null,
    next_page: next,
  };
}
