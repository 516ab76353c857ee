-- Confirmation samples (issue 13): when a prompt's few sampled judge scores dip, the monitor pass
-- has more of its recent answers judged at once. The windows count them; the baselines, which need
-- answers spread evenly over weeks, count only the sampled share ('production').
ALTER TABLE judge_samples DROP CONSTRAINT judge_samples_source_check;
ALTER TABLE judge_samples ADD CONSTRAINT judge_samples_source_check
  CHECK (source IN ('canary', 'production', 'confirmation'));

-- Both kinds are read by request time (the windows) and summed by day (the shared judge budget).
DROP INDEX judge_samples_production_idx;
DROP INDEX judge_samples_spend_idx;
CREATE INDEX judge_samples_production_idx ON judge_samples (request_ts) WHERE source <> 'canary';
CREATE INDEX judge_samples_spend_idx ON judge_samples (at) WHERE source <> 'canary';
