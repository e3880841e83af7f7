ALTER TABLE events DROP COLUMN cancel_reason;
