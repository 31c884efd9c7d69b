-- Which process runs a run (host:pid), so a restart can tell a crashed run from one
-- another live process is running.
ALTER TABLE runs ADD COLUMN worker TEXT;
