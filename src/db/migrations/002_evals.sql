-- Evals: datasets, runs, per-case results, the judge cache and calibrations, and alerts.

ALTER TABLE prompt_versions ADD COLUMN rejection jsonb;

CREATE TABLE eval_datasets (
  hash text PRIMARY KEY,
  name text NOT NULL,
  prompt_name text,
  content jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX eval_datasets_prompt_idx ON eval_datasets (prompt_name, created_at);

CREATE TABLE eval_runs (
  id text PRIMARY KEY,
  prompt_name text NOT NULL,
  prompt_version text NOT NULL,
  dataset_hash text NOT NULL REFERENCES eval_datasets(hash),
  judge_model text,
  repeat integer NOT NULL DEFAULT 1,
  git_commit text,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed')),
  summary jsonb,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  FOREIGN KEY (prompt_name, prompt_version) REFERENCES prompt_versions(prompt_name, version)
);
CREATE INDEX eval_runs_prompt_idx ON eval_runs (prompt_name, prompt_version, dataset_hash, started_at);

CREATE TABLE eval_case_results (
  run_id text NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
  case_id text NOT NULL,
  repeat integer NOT NULL DEFAULT 0,
  output text,
  error text,
  score double precision NOT NULL,
  passed boolean NOT NULL,
  assertions jsonb NOT NULL,
  latency_ms integer,
  cost_usd double precision,
  input_tokens integer,
  output_tokens integer,
  PRIMARY KEY (run_id, case_id, repeat)
);

CREATE TABLE judge_cache (
  judge_model text NOT NULL,
  judge_prompt_hash text NOT NULL,
  rubric_hash text NOT NULL,
  output_hash text NOT NULL,
  sample integer NOT NULL DEFAULT 0,
  score double precision NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (judge_model, judge_prompt_hash, rubric_hash, output_hash, sample)
);

CREATE TABLE judge_calibrations (
  id bigserial PRIMARY KEY,
  judge_model text NOT NULL,
  judge_prompt_hash text NOT NULL,
  labels_hash text NOT NULL,
  examples integer NOT NULL,
  kappa double precision NOT NULL,
  spearman double precision NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX judge_calibrations_idx ON judge_calibrations (judge_model, judge_prompt_hash, created_at);

CREATE TABLE alerts (
  id bigserial PRIMARY KEY,
  ts timestamptz NOT NULL DEFAULT now(),
  kind text NOT NULL,
  subject text NOT NULL,
  message text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX alerts_subject_idx ON alerts (subject, ts);

-- Which workflow runs the release of which version, so `rollout status <prompt>` finds it.
CREATE TABLE releases (
  id bigserial PRIMARY KEY,
  prompt_name text NOT NULL,
  prompt_version text NOT NULL,
  workflow_id text NOT NULL,
  kind text NOT NULL,
  started_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX releases_prompt_idx ON releases (prompt_name, started_at);
