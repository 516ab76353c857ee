-- Monitor reads at scale (issue 13): rollups gain a context-length dimension, each guardrail's
-- latency and a faithfulness proxy, and the fold logs which minutes it changed, so the monitor pass
-- re-reads only those instead of every window.

-- The request's input size as a bucket (src/monitoring/contextBuckets.ts): latency and availability
-- objectives per context length. Rows rolled up before this migration have '' (unknown).
DROP VIEW request_rollups_all;
DROP VIEW request_rollup_deltas_by_grain;
-- guardrail_hist: each built-in guardrail's time as a histogram, the guardrails' histograms one
-- after the other in one array (src/monitoring/guardrailHistogram.ts): a fixed array sums with
-- native aggregates, where a jsonb map per row cost a third of the writer's throughput. grounded_answers / faithfulness_sum: answers whose request carried its retrieved context,
-- and the sum of their faithfulness proxy (src/monitoring/faithfulness.ts).
ALTER TABLE request_rollups ADD COLUMN context text NOT NULL DEFAULT '',
  ADD COLUMN guardrail_hist bigint[] NOT NULL DEFAULT array_fill(0::bigint, ARRAY[24]),
  ADD COLUMN grounded_answers bigint NOT NULL DEFAULT 0,
  ADD COLUMN faithfulness_sum float8 NOT NULL DEFAULT 0;
ALTER TABLE request_rollup_deltas ADD COLUMN context text NOT NULL DEFAULT '',
  ADD COLUMN guardrail_hist bigint[] NOT NULL DEFAULT array_fill(0::bigint, ARRAY[24]),
  ADD COLUMN grounded_answers bigint NOT NULL DEFAULT 0,
  ADD COLUMN faithfulness_sum float8 NOT NULL DEFAULT 0;
-- The proxy per request, for drilling into the answers that pulled it down (NULL: no context given).
ALTER TABLE requests ADD COLUMN faithfulness real;
ALTER TABLE request_rollups DROP CONSTRAINT request_rollups_pkey,
  ADD PRIMARY KEY (grain, bucket, tenant_id, feature, prompt_name, prompt_version, variant, model, provider, synthetic, context);

CREATE VIEW request_rollup_deltas_by_grain AS
  SELECT g.grain, date_trunc(g.grain, d.bucket, 'UTC') AS bucket, d.tenant_id, d.feature, d.prompt_name,
    d.prompt_version, d.variant, d.model, d.provider, d.synthetic, d.requests, d.errors, d.server_errors, d.errors_by_class,
    d.input_tokens, d.cached_tokens, d.output_tokens, d.cost_usd, d.cache_hits, d.guardrail_decisions,
    d.output_chars, d.latency_hist, d.ttft_hist, d.context, d.guardrail_hist, d.grounded_answers, d.faithfulness_sum
  FROM request_rollup_deltas d CROSS JOIN (VALUES ('minute'), ('hour'), ('day')) g(grain);

CREATE VIEW request_rollups_all AS
  SELECT * FROM request_rollups UNION ALL SELECT * FROM request_rollup_deltas_by_grain;

-- The minutes each fold changed and when (clock time, after the fold's snapshot): a reader that read
-- a minute at T reads it again only when it was folded at T or later. Kept a day.
CREATE TABLE request_rollup_folds (
  bucket timestamptz PRIMARY KEY,
  folded_at timestamptz NOT NULL
);
CREATE INDEX request_rollup_folds_at_idx ON request_rollup_folds (folded_at);

-- Counts merged key by key over the second map only (the first, an aggregate's state, can hold
-- dozens of keys): a tenth faster folds than re-grouping both maps on every row.
CREATE OR REPLACE FUNCTION rollup_counts_add(a jsonb, b jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT a || coalesce(
    (SELECT jsonb_object_agg(key, coalesce((a->>key)::bigint, 0) + value::bigint) FROM jsonb_each_text(b)),
    '{}'::jsonb)
$$;
