-- The latency playbook's other mitigation (issue 14): a gateway-wide cap on the output tokens of a
-- model's calls while it is slow (long answers are slow answers). Set and cleared by on-call or an
-- incident playbook, audited, announced on the routes channel like route overrides.
CREATE TABLE output_caps (
  model text PRIMARY KEY,
  max_tokens integer NOT NULL CHECK (max_tokens > 0),
  reason text NOT NULL,
  -- The incident workflow that set it, when one did (its undo clears it).
  incident text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
