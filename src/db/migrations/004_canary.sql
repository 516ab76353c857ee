-- Every analysis interval of a rollout: the verdict and the numbers it was made on.
CREATE TABLE rollout_analyses (
  id bigserial PRIMARY KEY,
  workflow_id text NOT NULL,
  prompt_name text NOT NULL,
  candidate_version text NOT NULL,
  step_index integer NOT NULL,
  weight_bp integer NOT NULL,
  shadow boolean NOT NULL DEFAULT false,
  window_from timestamptz NOT NULL,
  window_to timestamptz NOT NULL,
  verdict text NOT NULL CHECK (verdict IN ('pass', 'fail', 'inconclusive')),
  canary_requests integer NOT NULL,
  baseline_requests integer NOT NULL,
  metrics jsonb NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  -- An activity retried after a worker died stores its interval once.
  UNIQUE (workflow_id, step_index, window_to)
);
CREATE INDEX rollout_analyses_prompt_idx ON rollout_analyses (prompt_name, at);

-- Judge scores of sampled live outputs (canary, stable and shadow), scored once per request.
CREATE TABLE judge_samples (
  request_id text PRIMARY KEY,
  judge_model text NOT NULL,
  score double precision NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);

-- A/B experiments: a held split between two versions, analysed with a sequential test.
CREATE TABLE experiments (
  id bigserial PRIMARY KEY,
  prompt_name text NOT NULL REFERENCES prompts(name),
  version_a text NOT NULL,
  version_b text NOT NULL,
  split_bp integer NOT NULL CHECK (split_bp BETWEEN 1 AND 9999),
  experiment_id text NOT NULL,
  started_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  stopped_at timestamptz
);
-- At most one running experiment per prompt.
CREATE UNIQUE INDEX experiments_live_idx ON experiments (prompt_name) WHERE stopped_at IS NULL;
