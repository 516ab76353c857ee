-- The cost-runaway playbook (issue 14): a throttled tenant may keep a request rate (per gateway
-- process, per minute) instead of being refused outright; NULL keeps the old meaning, every request 429.
ALTER TABLE tenants ADD COLUMN throttle_rpm integer CHECK (throttle_rpm > 0);

-- An incident's rung may wait for on-call's approval.
ALTER TABLE incidents DROP CONSTRAINT incidents_status_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_status_check
  CHECK (status IN ('mitigating', 'mitigated', 'awaiting-approval', 'restoring', 'resolved', 'escalated'));
