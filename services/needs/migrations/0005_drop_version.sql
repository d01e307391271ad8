-- A need changes only by the transitions of its state machine, each under the row's lock (FOR UPDATE):
-- the lock and the state checks are its concurrency control. The version column was written on every
-- update and never read, so it goes.
ALTER TABLE needs DROP COLUMN IF EXISTS version;
