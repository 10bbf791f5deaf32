-- Version 2 (PostgreSQL): curator reports and privacy.
--
-- Question texts are set to NULL after the retention period (see migrations/sqlite/002), so
-- `questions.text` and `feedback.question` become nullable; PostgreSQL drops the constraint in
-- place. Indexes serve the reports (by time), `forget` (by user) and the purge of event ids.

ALTER TABLE questions ALTER COLUMN text DROP NOT NULL;
CREATE INDEX questions_by_user ON questions (user_id);

ALTER TABLE feedback ALTER COLUMN question DROP NOT NULL;
CREATE INDEX feedback_by_entry ON feedback (entry_id);
CREATE INDEX feedback_by_time ON feedback (created_at);

CREATE INDEX estimates_by_time ON estimates (created_at);
CREATE INDEX events_by_time ON events (seen_at);
