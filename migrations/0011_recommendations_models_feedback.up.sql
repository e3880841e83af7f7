-- Recommendations: the trained models, versioned, and what users told us about what they
-- were shown (services/recommendations, platform retrain).

-- One row per retraining that produced a model. The live model is the newest promoted
-- one; a refused model is kept, with the reason, for inspection. model is the serialised
-- snapshot (gzipped gob, services/recommendations/model); old versions' bytes are pruned
-- (set NULL) and their rows kept as history.
--   parameters: the algorithms' parameters and the blend's weights.
--   metrics:    precision/recall/NDCG@10 and coverage on the time-based holdout, per model
--               and for the blend, and the live model's and popularity's on the same holdout.
CREATE TABLE recommendation_models (
    version          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at       timestamptz NOT NULL DEFAULT now(),
    status           text        NOT NULL CHECK (status IN ('promoted', 'refused')),
    reason           text        NOT NULL DEFAULT '',
    parameters       jsonb       NOT NULL,
    metrics          jsonb       NOT NULL,
    users            integer     NOT NULL CHECK (users >= 0),
    items            integer     NOT NULL CHECK (items >= 0),
    interactions     bigint      NOT NULL CHECK (interactions >= 0),
    training_seconds double precision NOT NULL CHECK (training_seconds >= 0),
    size_bytes       bigint      NOT NULL CHECK (size_bytes >= 0),
    model            bytea
);
CREATE INDEX recommendation_models_promoted ON recommendation_models (version DESC) WHERE status = 'promoted';

-- Feedback on recommendations: one row per user, event and action, the latest time kept.
-- A dismissed event is never recommended to that user again; clicks and registrations
-- from recommendations weigh in the next training.
CREATE TABLE recommendation_feedback (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id   bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    action     text        NOT NULL CHECK (action IN ('clicked', 'dismissed', 'registered')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, event_id, action)
);
CREATE INDEX recommendation_feedback_created ON recommendation_feedback (created_at);
