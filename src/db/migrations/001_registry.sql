-- The prompt registry: prompts, immutable versions, movable labels, and the audit trail.
CREATE TABLE prompts (
  name text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE prompt_versions (
  prompt_name text NOT NULL REFERENCES prompts(name),
  version text NOT NULL,
  major integer NOT NULL,
  minor integer NOT NULL,
  patch integer NOT NULL,
  content_hash text NOT NULL,
  spec json NOT NULL, -- json, not jsonb: keeps the author's key order for display
  source text NOT NULL,
  status text NOT NULL DEFAULT 'registered' CHECK (status IN ('registered', 'rejected')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (prompt_name, version)
);

CREATE TABLE prompt_labels (
  prompt_name text NOT NULL,
  label text NOT NULL,
  version text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (prompt_name, label),
  FOREIGN KEY (prompt_name, version) REFERENCES prompt_versions(prompt_name, version)
);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  ts timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text NOT NULL,
  action text NOT NULL,
  subject text NOT NULL,
  from_value text,
  to_value text,
  reason text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, ts);
