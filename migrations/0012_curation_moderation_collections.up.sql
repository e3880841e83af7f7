-- Curation (services/curation): moderation of published events, the scores it reads,
-- editors' collections and featured picks, and the editor role.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('attendee', 'organizer', 'editor', 'admin'));

-- An event's moderation state. 'held' and 'rejected' events are published for their
-- organizer but shown to no one else: every list, search, feed, trending and
-- recommendation reads only 'approved'. The events service writes 'held' when it publishes
-- an event of an organizer not yet trusted (in the publishing transaction, so that a held
-- event is never shown, not even for a moment); the curation service writes the others
-- (and 'held' for spam), with a row in moderation_decisions. These three columns are the
-- one place two services write one table: a separate table would be a join in every
-- query that shows events, and the hold could not be part of the publication.
--   moderated_by: who approved or rejected it last; NULL for what the checks decided.
--   moderated_at: when the state last changed (the queue is served oldest first).
ALTER TABLE events ADD COLUMN moderation text NOT NULL DEFAULT 'approved'
    CHECK (moderation IN ('approved', 'held', 'rejected'));
ALTER TABLE events ADD COLUMN moderated_by bigint REFERENCES users (id);
ALTER TABLE events ADD COLUMN moderated_at timestamptz;
CREATE INDEX events_moderation_queue_idx ON events (moderated_at, id) WHERE moderation = 'held';

-- A change of moderation is a change clients see: the search index and the others that
-- follow events by updated_at must read it again.
DROP TRIGGER events_touch ON events;
CREATE TRIGGER events_touch BEFORE UPDATE ON events FOR EACH ROW
    WHEN ((OLD.title, OLD.description, OLD.category, OLD.tags, OLD.starts_at, OLD.ends_at, OLD.timezone, OLD.venue_name,
           OLD.address, OLD.city, OLD.country, OLD.lat, OLD.lng, OLD.online_url, OLD.capacity, OLD.price, OLD.currency,
           OLD.visibility, OLD.status, OLD.published_at, OLD.cancel_reason, OLD.moderation)
          IS DISTINCT FROM
          (NEW.title, NEW.description, NEW.category, NEW.tags, NEW.starts_at, NEW.ends_at, NEW.timezone, NEW.venue_name,
           NEW.address, NEW.city, NEW.country, NEW.lat, NEW.lng, NEW.online_url, NEW.capacity, NEW.price, NEW.currency,
           NEW.visibility, NEW.status, NEW.published_at, NEW.cancel_reason, NEW.moderation))
    EXECUTE FUNCTION events_touch();

-- Every moderation decision, kept: who (NULL: the automatic checks), when, why, and the
-- scores the event had then.
CREATE TABLE moderation_decisions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id   bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    decision   text        NOT NULL CHECK (decision IN ('held', 'approved', 'rejected')),
    actor_id   bigint      REFERENCES users (id),
    reason     text        NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
    spam       real,
    reasons    text[]      NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_decisions_event_idx ON moderation_decisions (event_id, id);

-- The scores of an event's current text, computed when it is created or changed.
--   fingerprint: its SimHash (64 bits as a bigint); near-duplicates differ in few bits.
--   starts_at: copied, so that duplicates are looked for among upcoming events only.
CREATE TABLE event_scores (
    event_id     bigint      PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    organizer_id bigint      NOT NULL,
    quality      real        NOT NULL,
    lacks        text[]      NOT NULL DEFAULT '{}',
    spam         real        NOT NULL,
    spam_reasons text[]      NOT NULL DEFAULT '{}',
    fingerprint  bigint      NOT NULL,
    starts_at    timestamptz NOT NULL,
    scored_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_scores_starts_at_idx ON event_scores (starts_at);
-- Followed by scored_at: each curation replica reads the scores changed since it looked.
CREATE INDEX event_scores_scored_at_idx ON event_scores (scored_at);

-- Editors' collections: a titled, ordered list of events, public once published. The
-- public view shows only the items that are upcoming, published, public and approved.
CREATE TABLE collections (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         text        NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 100),
    title        text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description  text        NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    city         text        NOT NULL DEFAULT '' CHECK (length(city) <= 100),
    cover_url    text        NOT NULL DEFAULT '' CHECK (length(cover_url) <= 2000),
    status       text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    created_by   bigint      NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE UNIQUE INDEX collections_slug_key ON collections (slug);
CREATE INDEX collections_published_idx ON collections (published_at DESC, id DESC) WHERE status = 'published';

CREATE TABLE collection_items (
    collection_id bigint      NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    event_id      bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position      integer     NOT NULL,
    added_by      bigint      REFERENCES users (id),
    added_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (collection_id, event_id)
);
CREATE INDEX collection_items_order_idx ON collection_items (collection_id, position, event_id);
CREATE INDEX collection_items_event_idx ON collection_items (event_id);

-- Editors' picks for the featured list, in their order; shown only while upcoming.
CREATE TABLE featured_picks (
    event_id  bigint      PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    position  integer     NOT NULL,
    picked_by bigint      REFERENCES users (id),
    picked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX featured_picks_order_idx ON featured_picks (position, event_id);
