-- The security playbook (issue 14): a tenant's key rotated with an overlap window, and a kill switch
-- per prompt.

-- The key a rotation replaced keeps working until previous_key_expires_at (the gateway checks the
-- time on every request), so the tenant can roll out the new key; the playbook clears it after.
ALTER TABLE tenants
  ADD COLUMN previous_key_hash text UNIQUE,
  ADD COLUMN previous_key_prefix text,
  ADD COLUMN previous_key_expires_at timestamptz,
  ADD CONSTRAINT tenants_previous_key_check CHECK ((previous_key_hash IS NULL) = (previous_key_expires_at IS NULL));

-- A disabled prompt is refused by every gateway (403) until it is enabled again; the reason starts
-- with the incident's workflow id when a playbook set it, so its undo lifts only what it set.
ALTER TABLE prompts ADD COLUMN disabled_reason text;
