-- Quality monitoring (issue 13): judge scores of sampled production answers, and appeals of
-- guardrail blocks that tenants say were wrong (the guardrails' false-positive rate).

-- A production sample carries its request's time (the log is partitioned by it), what judging it
-- cost (the daily judge budget), and why it was judged: a canary window or the production sampler.
ALTER TABLE judge_samples
  ADD COLUMN request_ts timestamptz,
  ADD COLUMN cost_usd numeric NOT NULL DEFAULT 0,
  ADD COLUMN source text NOT NULL DEFAULT 'canary' CHECK (source IN ('canary', 'production'));
CREATE INDEX judge_samples_production_idx ON judge_samples (request_ts) WHERE source = 'production';
CREATE INDEX judge_samples_spend_idx ON judge_samples (at) WHERE source = 'production';

-- A tenant marking one guardrail's block of one of its requests as wrong; once per request and guardrail.
CREATE TABLE guardrail_appeals (
  id bigserial PRIMARY KEY,
  request_id text NOT NULL,
  request_ts timestamptz NOT NULL,
  tenant_id text NOT NULL,
  guardrail text NOT NULL,
  reason text NOT NULL,
  ts timestamptz NOT NULL DEFAULT now(),
  UNIQUE (request_id, guardrail)
);
CREATE INDEX guardrail_appeals_ts_idx ON guardrail_appeals (ts);

-- Feedback is read by time for the negative-feedback monitor.
CREATE INDEX feedback_ts_idx ON feedback (ts);
