-- Version 4 (PostgreSQL): the thread a question was asked in, so that a follow-up has its
-- context (see migrations/sqlite/004).

ALTER TABLE questions ADD COLUMN thread_ts TEXT;
CREATE INDEX questions_by_thread ON questions (channel_id, thread_ts);
