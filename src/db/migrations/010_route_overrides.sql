-- Gateway-wide route overrides (issue 14, the provider-outage mitigation): while a row exists, every
-- gateway sends calls whose first target is `model` to `backup` first, the model itself last. Set and
-- cleared by on-call or an incident playbook, audited, announced on the routes channel (NOTIFY).
CREATE TABLE route_overrides (
  model text PRIMARY KEY,
  backup text NOT NULL CHECK (backup <> model),
  reason text NOT NULL,
  -- The incident workflow that set it, when one did (its undo clears it).
  incident text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
