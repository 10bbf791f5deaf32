-- Version 3: events delivered at least once, replayed requests refused, votes tied to questions.
--
-- An event id is now claimed before its answer is sent and marked finished only once the
-- answer was posted; a claim whose delivery failed is released, so that Slack's retry is
-- answered. Events recorded by earlier versions were handled, so they count as finished.
--
-- Slack signs a request with a timestamp and an HMAC but no nonce: the (timestamp, signature)
-- pairs of slash commands and interactions seen in the last minutes let an exact replay be
-- refused. Rows older than the signature window are deleted as new ones arrive.
--
-- A vote records the id of the question it was cast on, so that `forget` can remove a user's
-- question text from the votes other users cast on their answers. Older votes have no id
-- (NULL) and are matched on the text instead.

ALTER TABLE events ADD COLUMN finished_at TEXT;  -- NULL while an answer is being delivered
UPDATE events SET finished_at = seen_at;

CREATE TABLE signatures (
    request_ts  INTEGER NOT NULL,            -- X-Slack-Request-Timestamp, seconds since 1970
    signature   TEXT NOT NULL,               -- X-Slack-Signature, v0=<hex>
    PRIMARY KEY (request_ts, signature)
);

ALTER TABLE feedback ADD COLUMN question_id INTEGER;  -- questions.id, NULL when none or older
CREATE INDEX feedback_by_question ON feedback (question_id);
