-- Version 2: curator reports and privacy.
--
-- Question texts are personal data: after the retention period they are set to NULL (the rest
-- of the row stays, so that usage counts survive), which needs `text` and `feedback.question`
-- to be nullable. SQLite cannot drop a NOT NULL constraint in place, so both tables are rebuilt
-- with their rows and ids. Indexes serve the reports (by time), `forget` (by user) and the
-- purge of processed event ids.

CREATE TABLE questions_v2 (
    id          INTEGER PRIMARY KEY,
    text        TEXT,                    -- NULL once purged after the retention period
    entry_id    TEXT,                    -- the matched entry, NULL when not answered
    score       REAL NOT NULL,
    answered    INTEGER NOT NULL CHECK (answered IN (0, 1)),
    user_id     TEXT NOT NULL,
    channel_id  TEXT NOT NULL,
    created_at  TEXT NOT NULL            -- ISO 8601, UTC
);
INSERT INTO questions_v2 (id, text, entry_id, score, answered, user_id, channel_id, created_at)
    SELECT id, text, entry_id, score, answered, user_id, channel_id, created_at FROM questions;
DROP TABLE questions;
ALTER TABLE questions_v2 RENAME TO questions;
CREATE INDEX questions_by_time ON questions (created_at);
CREATE INDEX questions_by_user ON questions (user_id);

CREATE TABLE feedback_v2 (
    id          INTEGER PRIMARY KEY,
    entry_id    TEXT NOT NULL,
    question    TEXT,                    -- '' when not asked as a question; NULL once purged
    helpful     INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    user_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (user_id, entry_id, question)
);
INSERT INTO feedback_v2 (id, entry_id, question, helpful, user_id, created_at)
    SELECT id, entry_id, question, helpful, user_id, created_at FROM feedback;
DROP TABLE feedback;
ALTER TABLE feedback_v2 RENAME TO feedback;
CREATE INDEX feedback_by_entry ON feedback (entry_id);
CREATE INDEX feedback_by_time ON feedback (created_at);

CREATE INDEX estimates_by_time ON estimates (created_at);
CREATE INDEX events_by_time ON events (seen_at);
