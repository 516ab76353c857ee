-- The gateway: tenants, routing, budgets, the request log, bodies, feedback and the response cache.

CREATE TABLE tenants (
  id text PRIMARY KEY,
  tier text NOT NULL CHECK (tier IN ('free', 'smb', 'enterprise')),
  experiments_opt_in boolean NOT NULL DEFAULT false,
  -- sha256 of the API key: keys are 256 random bits, so a fast hash cannot be brute-forced.
  key_hash text NOT NULL UNIQUE,
  key_prefix text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'throttled', 'killed')),
  status_reason text,
  pii_policy text NOT NULL DEFAULT 'redact' CHECK (pii_policy IN ('redact', 'block', 'allow')),
  injection_policy text NOT NULL DEFAULT 'flag' CHECK (injection_policy IN ('flag', 'block')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Per prompt, what besides the production label (the stable version) gets traffic.
CREATE TABLE routes (
  prompt_name text PRIMARY KEY REFERENCES prompts(name),
  candidate_version text,
  candidate_weight_bp integer NOT NULL DEFAULT 0 CHECK (candidate_weight_bp BETWEEN 0 AND 10000),
  cohorts text[] NOT NULL DEFAULT '{free,smb,enterprise}',
  shadow_version text,
  shadow_sample_bp integer NOT NULL DEFAULT 0 CHECK (shadow_sample_bp BETWEEN 0 AND 10000),
  experiment_id text,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  FOREIGN KEY (prompt_name, candidate_version) REFERENCES prompt_versions(prompt_name, version),
  FOREIGN KEY (prompt_name, shadow_version) REFERENCES prompt_versions(prompt_name, version)
);

-- Limits per tenant (feature '') and per tenant+feature.
CREATE TABLE budgets (
  tenant_id text NOT NULL REFERENCES tenants(id),
  feature text NOT NULL DEFAULT '',
  rpm_soft integer CHECK (rpm_soft > 0),
  rpm_hard integer CHECK (rpm_hard > 0),
  usd_day_soft numeric CHECK (usd_day_soft > 0),
  usd_day_hard numeric CHECK (usd_day_hard > 0),
  on_hard text NOT NULL DEFAULT 'reject' CHECK (on_hard IN ('reject', 'downgrade')),
  downgrade_model text,
  PRIMARY KEY (tenant_id, feature),
  CHECK (on_hard = 'reject' OR downgrade_model IS NOT NULL)
);

-- Counters shared by every gateway process: requests per minute, USD per day (spent + reserved in flight).
CREATE TABLE budget_usage (
  tenant_id text NOT NULL,
  feature text NOT NULL,
  window_kind text NOT NULL CHECK (window_kind IN ('minute', 'day')),
  window_start timestamptz NOT NULL,
  requests integer NOT NULL DEFAULT 0,
  spent_usd numeric NOT NULL DEFAULT 0,
  reserved_usd numeric NOT NULL DEFAULT 0,
  soft_alerted boolean NOT NULL DEFAULT false,
  PRIMARY KEY (tenant_id, feature, window_kind, window_start)
);

-- Lease a share of every limit that applies to (tenant, feature), atomically: all scopes grant or
-- none is touched. A gateway spends the lease locally, so most requests need no round trip; the
-- lease is held in Postgres (requests counted, USD reserved), so all gateways together never pass a
-- hard limit. Each scope grants at most a quarter of what it has left, and at least one request of
-- p_min_usd, or refuses. Returns {ok, requests, usd, minuteStart, dayStart} or {ok: false, scope, limit, ...}.
-- Soft crossings write one alert per window.
CREATE FUNCTION budget_lease(p_tenant text, p_feature text, p_want_requests integer, p_want_usd numeric, p_min_usd numeric, p_now timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  b budgets%ROWTYPE;
  m budget_usage%ROWTYPE;
  d budget_usage%ROWTYPE;
  minute_start timestamptz := date_trunc('minute', p_now);
  day_start timestamptz := date_trunc('day', p_now);
  grant_requests integer := p_want_requests;
  grant_usd numeric := p_want_usd;
  left_requests integer;
  left_usd numeric;
BEGIN
  FOR b IN SELECT * FROM budgets WHERE tenant_id = p_tenant AND feature IN ('', p_feature) ORDER BY feature LOOP
    INSERT INTO budget_usage (tenant_id, feature, window_kind, window_start) VALUES
      (p_tenant, b.feature, 'minute', minute_start), (p_tenant, b.feature, 'day', day_start)
      ON CONFLICT DO NOTHING;
    SELECT * INTO m FROM budget_usage WHERE tenant_id = p_tenant AND feature = b.feature AND window_kind = 'minute' AND window_start = minute_start FOR UPDATE;
    SELECT * INTO d FROM budget_usage WHERE tenant_id = p_tenant AND feature = b.feature AND window_kind = 'day' AND window_start = day_start FOR UPDATE;
    IF b.rpm_hard IS NOT NULL THEN
      left_requests := b.rpm_hard - m.requests;
      IF left_requests < 1 THEN
        RETURN jsonb_build_object('ok', false, 'scope', b.feature, 'limit', 'rpm', 'onHard', b.on_hard, 'downgradeModel', b.downgrade_model, 'retryAfterS', 60 - extract(second FROM p_now)::int);
      END IF;
      grant_requests := least(grant_requests, greatest(1, left_requests / 4));
    END IF;
    IF b.usd_day_hard IS NOT NULL THEN
      left_usd := b.usd_day_hard - d.spent_usd - d.reserved_usd;
      IF left_usd < p_min_usd THEN
        RETURN jsonb_build_object('ok', false, 'scope', b.feature, 'limit', 'usd_day', 'onHard', b.on_hard, 'downgradeModel', b.downgrade_model,
          'retryAfterS', extract(epoch FROM (day_start + interval '1 day' - p_now))::int);
      END IF;
      grant_usd := least(grant_usd, greatest(p_min_usd, left_usd / 4));
    END IF;
  END LOOP;
  -- Every scope granted: hold the lease in each.
  FOR b IN SELECT * FROM budgets WHERE tenant_id = p_tenant AND feature IN ('', p_feature) ORDER BY feature LOOP
    UPDATE budget_usage SET requests = requests + grant_requests WHERE tenant_id = p_tenant AND feature = b.feature AND window_kind = 'minute' AND window_start = minute_start RETURNING * INTO m;
    UPDATE budget_usage SET reserved_usd = reserved_usd + grant_usd WHERE tenant_id = p_tenant AND feature = b.feature AND window_kind = 'day' AND window_start = day_start RETURNING * INTO d;
    IF b.rpm_soft IS NOT NULL AND m.requests > b.rpm_soft AND NOT m.soft_alerted THEN
      UPDATE budget_usage SET soft_alerted = true WHERE tenant_id = p_tenant AND feature = b.feature AND window_kind = 'minute' AND window_start = minute_start;
      INSERT INTO alerts (kind, subject, message, details) VALUES ('budget.soft', p_tenant,
        format('tenant %s%s passed its soft limit of %s requests/minute', p_tenant, CASE WHEN b.feature = '' THEN '' ELSE ' feature ' || b.feature END, b.rpm_soft),
        jsonb_build_object('feature', b.feature, 'limit', 'rpm', 'value', m.requests));
    END IF;
    IF b.usd_day_soft IS NOT NULL AND d.spent_usd + d.reserved_usd > b.usd_day_soft AND NOT d.soft_alerted THEN
      UPDATE budget_usage SET soft_alerted = true WHERE tenant_id = p_tenant AND feature = b.feature AND window_kind = 'day' AND window_start = day_start;
      INSERT INTO alerts (kind, subject, message, details) VALUES ('budget.soft', p_tenant,
        format('tenant %s%s passed its soft limit of %s USD/day', p_tenant, CASE WHEN b.feature = '' THEN '' ELSE ' feature ' || b.feature END, b.usd_day_soft),
        jsonb_build_object('feature', b.feature, 'limit', 'usd_day', 'value', d.spent_usd + d.reserved_usd));
    END IF;
  END LOOP;
  RETURN jsonb_build_object('ok', true, 'requests', grant_requests, 'usd', grant_usd, 'minuteStart', minute_start, 'dayStart', day_start);
END $$;

-- Give back what a lease did not use (an idle or closing gateway), so other gateways can have it.
CREATE FUNCTION budget_release(p_tenant text, p_feature text, p_requests integer, p_usd numeric, p_minute timestamptz, p_day timestamptz) RETURNS void
LANGUAGE sql AS $$
  UPDATE budget_usage SET requests = greatest(0, requests - p_requests)
   WHERE tenant_id = p_tenant AND feature IN ('', p_feature) AND window_kind = 'minute' AND window_start = p_minute;
  UPDATE budget_usage SET reserved_usd = greatest(0, reserved_usd - p_usd)
   WHERE tenant_id = p_tenant AND feature IN ('', p_feature) AND window_kind = 'day' AND window_start = p_day;
$$;

-- One row per request served (or refused) by a gateway.
CREATE TABLE requests (
  ts timestamptz NOT NULL,
  request_id text PRIMARY KEY,
  tenant_id text,
  feature text,
  prompt_name text,
  prompt_version text,
  variant text,
  model text,
  provider text,
  fallback_used boolean NOT NULL DEFAULT false,
  input_tokens integer NOT NULL DEFAULT 0,
  cached_tokens integer NOT NULL DEFAULT 0,
  output_tokens integer NOT NULL DEFAULT 0,
  cost_usd numeric NOT NULL DEFAULT 0,
  latency_ms_total double precision NOT NULL,
  ttft_ms double precision,
  status integer NOT NULL,
  error_class text,
  guardrail_decision text NOT NULL DEFAULT 'allow',
  guardrails jsonb NOT NULL DEFAULT '[]'::jsonb,
  cache_hit boolean NOT NULL DEFAULT false,
  output_chars integer NOT NULL DEFAULT 0,
  trace_id text,
  -- For a shadow request: the served request it mirrored.
  shadow_of text,
  attempts jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX requests_prompt_idx ON requests (prompt_name, ts);
CREATE INDEX requests_tenant_idx ON requests (tenant_id, ts);

-- What was sent and answered, PII redacted, kept for the retention period for triage.
CREATE TABLE request_bodies (
  request_id text PRIMARY KEY,
  tenant_id text,
  messages jsonb NOT NULL,
  output text,
  expires_at timestamptz NOT NULL
);
CREATE INDEX request_bodies_expiry_idx ON request_bodies (expires_at);

CREATE TABLE feedback (
  id bigserial PRIMARY KEY,
  ts timestamptz NOT NULL DEFAULT now(),
  request_id text NOT NULL,
  tenant_id text NOT NULL,
  score double precision NOT NULL CHECK (score BETWEEN -1 AND 1),
  comment text
);
CREATE INDEX feedback_request_idx ON feedback (request_id);

CREATE TABLE response_cache (
  key text PRIMARY KEY,
  prompt_name text NOT NULL,
  response jsonb NOT NULL,
  expires_at timestamptz NOT NULL
);
