-- A recording's `recordingStatusCallback` (URL, method, space-separated events), kept so that
-- a restart that finishes a recording left in progress still sends the `completed` (or
-- `absent`) callback it owes. NULL: no callback. Keep in step with ../sqlite.

ALTER TABLE recordings ADD COLUMN callback_url TEXT;
ALTER TABLE recordings ADD COLUMN callback_method TEXT;
ALTER TABLE recordings ADD COLUMN callback_events TEXT;
