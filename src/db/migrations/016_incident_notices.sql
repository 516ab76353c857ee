-- An incident step's webhook notice is sent at least once (issue 14): a worker that died after writing
-- the step but before posting it posts it on the activity's retry. Steps written before this were notified.
ALTER TABLE incident_events ADD COLUMN notified_at timestamptz;
UPDATE incident_events SET notified_at = at;
