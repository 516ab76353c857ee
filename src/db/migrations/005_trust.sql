-- Budget leases are recorded with an expiry: a gateway that dies (kill -9) holds its reservation
-- only until the lease expires, after which the next lease request gives it back.
CREATE TABLE budget_leases (
  lease_id text PRIMARY KEY,
  tenant_id text NOT NULL,
  feature text NOT NULL,
  day_start timestamptz NOT NULL,
  -- USD this lease still holds in budget_usage.reserved_usd (granted, less settled and released).
  outstanding_usd numeric NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL
);
CREATE INDEX budget_leases_expiry_idx ON budget_leases (expires_at);

-- Give back what expired leases still hold, in every scope they reserved in.
CREATE FUNCTION budget_reclaim_expired(p_now timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  l budget_leases%ROWTYPE;
  n integer := 0;
BEGIN
  FOR l IN DELETE FROM budget_leases WHERE expires_at < p_now RETURNING * LOOP
    UPDATE budget_usage SET reserved_usd = greatest(0, reserved_usd - l.outstanding_usd)
     WHERE tenant_id = l.tenant_id AND feature IN ('', l.feature) AND window_kind = 'day' AND window_start = l.day_start;
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;

-- budget_lease as before, and the grant is recorded against a lease that expires unless renewed.
CREATE FUNCTION budget_lease_expiring(p_lease text, p_tenant text, p_feature text, p_want_requests integer, p_want_usd numeric, p_min_usd numeric, p_now timestamptz, p_ttl_ms integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  granted jsonb;
BEGIN
  PERFORM budget_reclaim_expired(p_now);
  granted := budget_lease(p_tenant, p_feature, p_want_requests, p_want_usd, p_min_usd, p_now);
  IF (granted->>'ok')::boolean THEN
    INSERT INTO budget_leases (lease_id, tenant_id, feature, day_start, outstanding_usd, expires_at)
    VALUES (p_lease, p_tenant, p_feature, date_trunc('day', p_now), (granted->>'usd')::numeric, p_now + make_interval(secs => p_ttl_ms / 1000.0))
    ON CONFLICT (lease_id) DO UPDATE SET outstanding_usd = budget_leases.outstanding_usd + EXCLUDED.outstanding_usd, expires_at = EXCLUDED.expires_at;
  END IF;
  RETURN granted;
END $$;

-- Release part of a lease: the USD goes back to the scopes and off the lease's outstanding amount.
CREATE FUNCTION budget_release_lease(p_lease text, p_tenant text, p_feature text, p_requests integer, p_usd numeric, p_minute timestamptz, p_day timestamptz) RETURNS void
LANGUAGE sql AS $$
  SELECT budget_release(p_tenant, p_feature, p_requests, p_usd, p_minute, p_day);
  UPDATE budget_leases SET outstanding_usd = greatest(0, outstanding_usd - p_usd) WHERE lease_id = p_lease;
$$;

-- Cached answers belong to one tenant: a hit never tells one tenant what another asked.
DELETE FROM response_cache;
ALTER TABLE response_cache ADD COLUMN tenant_id text NOT NULL;
CREATE INDEX response_cache_expiry_idx ON response_cache (expires_at);
