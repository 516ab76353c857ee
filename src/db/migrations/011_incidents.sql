-- Incidents (issue 14): one row per incident workflow run (`incident/<kind>/<key>`), and its timeline:
-- each step once (the workflow's activities retry; a step already written is not written again).
CREATE TABLE incidents (
  id bigserial PRIMARY KEY,
  workflow_id text NOT NULL,
  run_id text NOT NULL UNIQUE,
  kind text NOT NULL,
  key text NOT NULL,
  status text NOT NULL CHECK (status IN ('mitigating', 'mitigated', 'restoring', 'resolved', 'escalated')),
  reason text NOT NULL,
  opened_by text NOT NULL,
  alert_key text,
  opened_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  resolved_by text
);
CREATE INDEX incidents_open_idx ON incidents (opened_at) WHERE status <> 'resolved';

CREATE TABLE incident_events (
  incident_id bigint NOT NULL REFERENCES incidents(id),
  step text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  message text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (incident_id, step)
);
