-- Why an organizer cancelled an event: shown with the event and sent to its registrants
-- in platform.event.cancelled. Empty when none was given.
ALTER TABLE events ADD COLUMN cancel_reason text NOT NULL DEFAULT '' CHECK (char_length(cancel_reason) <= 500);
