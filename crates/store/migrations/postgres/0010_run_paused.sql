-- runs.status gains 'paused': a live run whose market data stopped coming (a provider
-- outage); it goes back to 'running' by itself when data comes back.
ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'paused', 'completed', 'stopped', 'halted',
                      'failed', 'interrupted'));
