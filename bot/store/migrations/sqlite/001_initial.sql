-- Version 1: estimates, questions, feedback and processed Slack events.

CREATE TABLE estimates (
    id          INTEGER PRIMARY KEY,
    reference   TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL,
    channel_id  TEXT NOT NULL,
    input       TEXT NOT NULL,
    result      TEXT NOT NULL,           -- JSON, see bot.views.EstimateView
    card        TEXT NOT NULL,
    created_at  TEXT NOT NULL            -- ISO 8601, UTC
);
CREATE INDEX estimates_by_user ON estimates (user_id, created_at);

CREATE TABLE questions (
    id          INTEGER PRIMARY KEY,
    text        TEXT NOT NULL,
    entry_id    TEXT,                    -- the matched entry, NULL when not answered
    score       REAL NOT NULL,
    answered    INTEGER NOT NULL CHECK (answered IN (0, 1)),
    user_id     TEXT NOT NULL,
    channel_id  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX questions_by_time ON questions (created_at);

CREATE TABLE feedback (
    id          INTEGER PRIMARY KEY,
    entry_id    TEXT NOT NULL,
    question    TEXT NOT NULL,           -- '' when the answer was not asked as a question
    helpful     INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    user_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (user_id, entry_id, question)
);

CREATE TABLE events (
    event_id    TEXT PRIMARY KEY,
    seen_at     TEXT NOT NULL
);
