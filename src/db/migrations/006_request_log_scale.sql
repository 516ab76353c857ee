-- The request log at scale (issue 13): rows and bodies partitioned by UTC day, so retention drops
-- whole partitions; rollups per minute, hour and day kept as rows arrive; synthetic traffic flagged.

-- Synthetic tenants (drills, probes, canary traffic) stay out of baselines and cost reports.
ALTER TABLE tenants ADD COLUMN kind text NOT NULL DEFAULT 'customer' CHECK (kind IN ('customer', 'synthetic'));

-- Creates the day's partition of requests and of request_bodies when missing. Serialised, so two
-- gateways meeting a new day at once do not race on the catalog.
CREATE FUNCTION request_log_partition(p_day date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  suffix text := to_char(p_day, 'YYYYMMDD');
  low timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
  high timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
  PERFORM pg_advisory_xact_lock(7270013);
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF requests FOR VALUES FROM (%L) TO (%L)',
    'requests_' || suffix, low, high);
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF request_bodies FOR VALUES FROM (%L) TO (%L)',
    'request_bodies_' || suffix, low, high);
END $$;

-- Drops the day partitions of a table (requests or request_bodies) older than p_before; returns their names.
CREATE FUNCTION request_log_drop_before(p_table text, p_before date) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  part text;
BEGIN
  IF p_table NOT IN ('requests', 'request_bodies') THEN
    RAISE EXCEPTION 'request_log_drop_before: % is not a request-log table', p_table;
  END IF;
  PERFORM pg_advisory_xact_lock(7270013);
  FOR part IN
    SELECT c.relname FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = p_table AND c.relname ~ ('^' || p_table || '_[0-9]{8}$')
      AND to_date(right(c.relname, 8), 'YYYYMMDD') < p_before
    ORDER BY 1
  LOOP
    EXECUTE format('DROP TABLE %I', part);
    RETURN NEXT part;
  END LOOP;
END $$;

ALTER TABLE requests RENAME TO requests_unpartitioned;
ALTER INDEX requests_pkey RENAME TO requests_unpartitioned_pkey;
DROP INDEX requests_prompt_idx;
DROP INDEX requests_tenant_idx;
CREATE TABLE requests (LIKE requests_unpartitioned INCLUDING DEFAULTS, synthetic boolean NOT NULL DEFAULT false)
  PARTITION BY RANGE (ts);
-- The key holds the partition column; ts is part of each row from the start, so a replayed row conflicts.
ALTER TABLE requests ADD PRIMARY KEY (request_id, ts);
CREATE INDEX requests_prompt_idx ON requests (prompt_name, ts);
CREATE INDEX requests_tenant_idx ON requests (tenant_id, ts);

ALTER TABLE request_bodies RENAME TO request_bodies_unpartitioned;
ALTER INDEX request_bodies_pkey RENAME TO request_bodies_unpartitioned_pkey;
DROP INDEX request_bodies_expiry_idx;
CREATE TABLE request_bodies (
  request_id text NOT NULL,
  tenant_id text,
  messages jsonb NOT NULL,
  output text,
  expires_at timestamptz NOT NULL,
  ts timestamptz NOT NULL,
  PRIMARY KEY (request_id, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX request_bodies_expiry_idx ON request_bodies (expires_at);

DO $$
DECLARE
  d date;
BEGIN
  FOR d IN
    SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date FROM requests_unpartitioned
    UNION SELECT generate_series(0, 2) + (now() AT TIME ZONE 'UTC')::date
  LOOP
    PERFORM request_log_partition(d);
  END LOOP;
END $$;

INSERT INTO requests SELECT *, false FROM requests_unpartitioned;
-- A body takes its request's time; one without a request (none should exist) is dropped.
INSERT INTO request_bodies
  SELECT b.request_id, b.tenant_id, b.messages, b.output, b.expires_at, r.ts
  FROM request_bodies_unpartitioned b JOIN requests_unpartitioned r USING (request_id);
DROP TABLE request_bodies_unpartitioned;
DROP TABLE requests_unpartitioned;

-- Element-wise sum of two histograms (same fixed buckets): how rollups merge.
CREATE FUNCTION rollup_hist_add(a bigint[], b bigint[]) RETURNS bigint[] LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i)
  FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;

-- Key-wise sum of two {"key": count} objects.
CREATE FUNCTION rollup_counts_add(a jsonb, b jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
    SELECT k, sum(v::bigint) AS v FROM (
      SELECT key AS k, value AS v FROM jsonb_each_text(a) UNION ALL SELECT key, value FROM jsonb_each_text(b)
    ) both_sides GROUP BY k
  ) summed
$$;

-- Per minute, hour and day and per (tenant, feature, prompt, version, variant, model, provider,
-- synthetic): what reports and monitors read instead of the rows. An absent dimension is ''.
-- Latency and TTFT are histograms over fixed buckets (src/monitoring/histogram.ts), so any range's
-- percentiles come from summed rollups.
CREATE TABLE request_rollups (
  grain text NOT NULL CHECK (grain IN ('minute', 'hour', 'day')),
  bucket timestamptz NOT NULL,
  tenant_id text NOT NULL,
  feature text NOT NULL,
  prompt_name text NOT NULL,
  prompt_version text NOT NULL,
  variant text NOT NULL,
  model text NOT NULL,
  provider text NOT NULL,
  synthetic boolean NOT NULL,
  requests bigint NOT NULL,
  errors bigint NOT NULL,
  -- Responses of 500 and above: what availability objectives count (a tenant's 4xx is not an outage).
  server_errors bigint NOT NULL,
  errors_by_class jsonb NOT NULL,
  input_tokens bigint NOT NULL,
  cached_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cost_usd numeric NOT NULL,
  cache_hits bigint NOT NULL,
  guardrail_decisions jsonb NOT NULL,
  output_chars bigint NOT NULL,
  latency_hist bigint[] NOT NULL,
  ttft_hist bigint[] NOT NULL,
  PRIMARY KEY (grain, bucket, tenant_id, feature, prompt_name, prompt_version, variant, model, provider, synthetic)
);
CREATE INDEX request_rollups_tenant_idx ON request_rollups (grain, tenant_id, bucket);

-- What each stored batch adds, per minute, appended in the batch's own transaction (so a replayed
-- row adds nothing twice) and folded into request_rollups (minute, hour and day) every few seconds:
-- one append per key is several times cheaper than three upserts, and folding many batches at once
-- merges rows of the same key.
CREATE TABLE request_rollup_deltas (LIKE request_rollups);

-- The deltas as rollups of every grain.
CREATE VIEW request_rollup_deltas_by_grain AS
  SELECT g.grain, date_trunc(g.grain, d.bucket, 'UTC') AS bucket, d.tenant_id, d.feature, d.prompt_name,
    d.prompt_version, d.variant, d.model, d.provider, d.synthetic, d.requests, d.errors, d.server_errors, d.errors_by_class,
    d.input_tokens, d.cached_tokens, d.output_tokens, d.cost_usd, d.cache_hits, d.guardrail_decisions,
    d.output_chars, d.latency_hist, d.ttft_hist
  FROM request_rollup_deltas d CROSS JOIN (VALUES ('minute'), ('hour'), ('day')) g(grain);

-- What readers use: the folded rollups and the deltas not folded yet (sum over both).
CREATE VIEW request_rollups_all AS
  SELECT * FROM request_rollups UNION ALL SELECT * FROM request_rollup_deltas_by_grain;

CREATE AGGREGATE rollup_counts_sum(jsonb) (SFUNC = rollup_counts_add, STYPE = jsonb, INITCOND = '{}');
-- Rollups start with the rows stored after this migration (reports say from when they have data).

-- Alerts raised by the monitor pass (issue 13): one open alert per key (deduplicated), with the
-- numbers that fired it; firing -> acknowledged -> resolved (by hand or when back in bounds).
CREATE TABLE monitor_alerts (
  id bigserial PRIMARY KEY,
  key text NOT NULL,
  rule_id text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('page', 'ticket')),
  state text NOT NULL CHECK (state IN ('firing', 'acknowledged', 'resolved')),
  summary text NOT NULL,
  numbers jsonb NOT NULL,
  playbook text,
  first_fired_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  acknowledged_by text,
  resolved_at timestamptz,
  resolved_by text
);
CREATE UNIQUE INDEX monitor_alerts_open_key ON monitor_alerts (key) WHERE state <> 'resolved';
CREATE INDEX monitor_alerts_recent ON monitor_alerts (last_seen_at);

-- A key muted until a time: the pass keeps evaluating it but raises nothing.
CREATE TABLE monitor_mutes (
  key text PRIMARY KEY,
  until timestamptz NOT NULL,
  reason text NOT NULL,
  muted_by text NOT NULL
);
