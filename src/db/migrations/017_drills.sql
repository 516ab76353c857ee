-- Kill drills (issue 15). A drill fault switches a model off for one synthetic tenant inside every
-- gateway (the provider itself is never touched); it expires by itself, so a drill whose worker and
-- Temporal are both gone cannot leave a fault behind. Announced on the routes channel.
CREATE TABLE drill_faults (
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  model text NOT NULL,
  -- The drill workflow that injected it (its finally path removes it).
  drill text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, model)
);

-- A route override may be scoped to one tenant: a drill's provider-outage playbook mitigates only
-- the synthetic tenant whose model the drill switched off, never everyone's traffic.
ALTER TABLE route_overrides ADD COLUMN tenant_id text NOT NULL DEFAULT '';
ALTER TABLE route_overrides DROP CONSTRAINT route_overrides_pkey;
ALTER TABLE route_overrides ADD PRIMARY KEY (model, tenant_id);

-- Each drill's report: its checks with their timings, kept for the "not drilled in 92 days" alert.
CREATE TABLE drill_runs (
  workflow_id text PRIMARY KEY,
  kind text NOT NULL,
  tenant_id text NOT NULL,
  dry_run boolean NOT NULL DEFAULT false,
  status text NOT NULL CHECK (status IN ('running', 'passed', 'failed', 'aborted')),
  checks jsonb NOT NULL DEFAULT '[]',
  summary text,
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz
);
CREATE INDEX drill_runs_kind_ended ON drill_runs (kind, ended_at DESC);
