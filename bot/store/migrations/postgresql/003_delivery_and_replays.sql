-- Version 3 (PostgreSQL): events delivered at least once, replayed requests refused, votes
-- tied to questions (see migrations/sqlite/003 for the why).

ALTER TABLE events ADD COLUMN finished_at TIMESTAMPTZ;  -- NULL while an answer is being delivered
UPDATE events SET finished_at = seen_at;

CREATE TABLE signatures (
    request_ts  BIGINT NOT NULL,             -- X-Slack-Request-Timestamp, seconds since 1970
    signature   TEXT NOT NULL,               -- X-Slack-Signature, v0=<hex>
    PRIMARY KEY (request_ts, signature)
);

ALTER TABLE feedback ADD COLUMN question_id BIGINT;  -- questions.id, NULL when none or older
CREATE INDEX feedback_by_question ON feedback (question_id);
