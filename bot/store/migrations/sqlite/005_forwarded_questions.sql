-- Version 5: questions forwarded to the experts' channel, and the experts' replies (drafts).
--
-- A forward belongs to one logged question (at most one forward per question, whichever process
-- handles the click): who asked, where, the text and what the matcher made of it are read from
-- `questions`, so the question's retention and `forget` cover the forward's text as well. The
-- forward is claimed before it is posted (`experts_ts` NULL) and holds the experts' thread once
-- posted; a claim whose post failed is deleted, so that a second click may post.
--
-- Each reply in that thread is kept (its text until the retention period ends) and relayed to
-- the asker at most once a minute per forward: `last_relay_at` is when the last relay was
-- claimed, `relayed_at` when a reply went out (NULL: still queued).

CREATE TABLE forwards (
    id              INTEGER PRIMARY KEY,
    question_id     INTEGER NOT NULL UNIQUE REFERENCES questions (id) ON DELETE CASCADE,
    forwarded_by    TEXT,                    -- who clicked; NULL once that user is forgotten
    experts_channel TEXT NOT NULL,
    experts_ts      TEXT,                    -- the post in the experts' channel; NULL while posting
    created_at      TEXT NOT NULL,           -- ISO 8601, UTC
    last_relay_at   TEXT                     -- NULL: nothing relayed yet
);
CREATE UNIQUE INDEX forwards_by_thread ON forwards (experts_channel, experts_ts);
CREATE INDEX forwards_by_time ON forwards (created_at);

CREATE TABLE expert_replies (
    id          INTEGER PRIMARY KEY,
    forward_id  INTEGER NOT NULL REFERENCES forwards (id) ON DELETE CASCADE,
    expert_id   TEXT NOT NULL,
    text        TEXT,                        -- NULL once purged after the retention period
    ts          TEXT NOT NULL,               -- the reply's Slack timestamp (a retried event repeats it)
    created_at  TEXT NOT NULL,
    relayed_at  TEXT,                        -- NULL while queued for the asker
    UNIQUE (forward_id, ts)
);
CREATE INDEX expert_replies_by_expert ON expert_replies (expert_id);
CREATE INDEX expert_replies_by_time ON expert_replies (created_at);
