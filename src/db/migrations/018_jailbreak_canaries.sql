-- Weekly jailbreak canaries (issue 15): each run of the versioned suite against every production
-- prompt and live candidate, and each attempt's verdicts (rules, judge) joined to its request-log row.
CREATE TABLE canary_runs (
  workflow_id text PRIMARY KEY,
  suite_version text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  -- Per category: attempts, successes, rate and its Wilson interval; over-refusal; judge precision.
  summary jsonb
);

CREATE TABLE canary_attempts (
  run text NOT NULL REFERENCES canary_runs (workflow_id) ON DELETE CASCADE,
  prompt_name text NOT NULL,
  variant text NOT NULL,
  prompt_version text,
  case_id text NOT NULL,
  category text NOT NULL,
  benign boolean NOT NULL,
  attempt integer NOT NULL,
  request_id text,
  -- Attack cases: the attack worked (by the rules or the judge). Benign cases: never.
  succeeded boolean NOT NULL,
  by_rule boolean NOT NULL,
  by_judge boolean,
  refused boolean NOT NULL,
  error text,
  PRIMARY KEY (run, prompt_name, variant, case_id, attempt)
);
CREATE INDEX canary_attempts_case ON canary_attempts (prompt_name, case_id);
