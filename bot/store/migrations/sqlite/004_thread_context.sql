-- Version 4: the thread a question was asked in, so that a follow-up has its context.
--
-- A mention or DM is answered in a thread; a later message in that thread ("and per minute or
-- per second?") is matched together with the question the thread started with. The thread is
-- identified by its channel and parent timestamp, which every process (and host) sees alike.
-- Questions recorded before this version, and `/tokens` questions, have no thread (NULL).
-- The text stays subject to retention and `forget` like every question text.

ALTER TABLE questions ADD COLUMN thread_ts TEXT;
CREATE INDEX questions_by_thread ON questions (channel_id, thread_ts);
