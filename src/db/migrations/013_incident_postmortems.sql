-- The postmortem `flightdeck incident postmortem` writes from the evidence, kept with the incident.
ALTER TABLE incidents ADD COLUMN postmortem text, ADD COLUMN postmortem_at timestamptz;
