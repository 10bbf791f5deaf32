"""sqlite3 behind `Store`: the embedded default, one file shared by any number of processes.

One connection per store, shared by Bolt's worker threads under a lock (every statement is
short). WAL and `busy_timeout` let several server processes share one file. The schema version
lives in `PRAGMA user_version`; the numbered scripts in `migrations/sqlite/` bring an older file
forward when it is opened. A file that is not a readable tokenbot database (another
application's tables, damaged, read-only, or written by a newer tokenbot) raises `StorageError`
naming it and is left untouched.

While running, a read or write that the file refuses (disk full, read-only, locked past the
busy timeout, damaged, or the file removed or replaced under us) raises
`StorageUnavailableError`, whose message names no file so that Slack can show it; the first
such failure is logged once, and so is the recovery. Moments are stored as ISO 8601 text in
UTC, to the second (it sorts as text).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.errors import StorageBusyError, StorageError, StorageUnavailableError
from bot.store.base import (
    BUSY_TIMEOUT_MS,
    COPIED_TABLES,
    DEFAULT_RETENTION,
    EVENT_CLAIM_TIMEOUT,
    EVENT_RETENTION,
    FLAGS,
    FORWARD_CLAIM_TIMEOUT,
    FORWARDS_QUERY,
    KEYS,
    REFERENCE_ATTEMPTS,
    RELAY_INTERVAL,
    SIGNATURE_RETENTION,
    TIMES,
    Activity,
    Backend,
    Clock,
    Forgotten,
    ForwardClaim,
    Purged,
    RelayClaim,
    Row,
    Store,
    StoredEstimate,
    StoredForward,
    StoredQuestion,
    StoredReply,
    StoredVote,
    check_schema,
    random_reference,
    refuse_if_held,
    statements,
    utc_now,
)
from bot.store.base import migrations as dialect_migrations

logger = logging.getLogger(__name__)

DIALECT: Backend = "sqlite"


def migrations() -> list[tuple[int, str]]:
    """(version, SQL script) of every sqlite migration, in version order."""
    return dialect_migrations(DIALECT)


@functools.cache
def tables_at(version: int) -> frozenset[str]:
    """The tables a tokenbot database of schema `version` has (version 0: none)."""
    conn = sqlite3.connect(":memory:")
    try:
        for _, script in migrations()[:version]:
            for statement in statements(script):
                conn.execute(statement)
        return _table_names(conn)
    finally:
        conn.close()


class SqliteStore(Store):
    """A tokenbot database in one sqlite file (or `:memory:`, for tests)."""

    backend = DIALECT

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = utc_now,
        new_reference: Callable[[], str] = random_reference,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        retention: dt.timedelta = DEFAULT_RETENTION,
    ) -> None:
        self.path = str(path)
        self._clock = clock
        self._new_reference = new_reference
        self._retention = retention
        self._lock = threading.RLock()
        self._failing: str | None = None
        """The reason the last read or write failed, until one succeeds (to log once)."""
        self.found_version: int | None = None
        self._refuse_read_only()
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=busy_timeout_ms / 1000, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database {self.path}: {exc}") from None
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._prepare(busy_timeout_ms / 1000)
            self._identity = self._file_identity()
        except StorageError:
            self._conn.close()
            raise
        except (sqlite3.DatabaseError, OSError) as exc:
            self._conn.close()
            raise StorageError(self._unreadable(exc)) from None

    def _refuse_read_only(self) -> None:
        """A file nobody may write is refused before sqlite touches it (even when run as root)."""
        if self.path == ":memory:":
            return
        try:
            mode = os.stat(self.path).st_mode
        except OSError:
            return  # a new file, or one sqlite will name in its own error
        if os.path.isfile(self.path) and not mode & 0o222:
            raise StorageError(
                f"the database {self.path} is read-only (mode {mode & 0o777:o}): tokenbot "
                "writes to it; make it writable or point TOKENBOT_DB at a copy"
            )

    def _file_identity(self) -> tuple[int, int] | None:
        """(device, inode) of the open file, to notice it being removed or replaced."""
        if self.path == ":memory:":
            return None
        info = os.stat(self.path)
        return info.st_dev, info.st_ino

    def _unreadable(self, exc: sqlite3.Error | OSError) -> str:
        if isinstance(exc, sqlite3.Error) and _is_busy(exc):
            return f"the database {self.path} is locked by another process: {exc}"
        return (
            f"cannot open the database {self.path}: {exc} (not a tokenbot database, or "
            "damaged; it was left untouched: restore it from a backup or point TOKENBOT_DB "
            "at another file)"
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @property
    def version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _schema(self) -> tuple[int, frozenset[str]]:
        """The schema version and the tables, read in one transaction (one snapshot).

        Read apart, another server's migration could commit between the two reads: version 0
        beside a full set of tables, which looks like another application's file.
        """
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
                return version, _table_names(self._conn)
            finally:
                self._conn.rollback()

    def _check_version(self) -> None:
        current, found = self._schema()
        check_schema(
            self.path,
            current,
            len(migrations()),
            found,
            tables_at(current),
            foreign="point TOKENBOT_DB at another file",
            elsewhere="another file",
        )

    def check_integrity(self) -> None:
        """Read every page (`PRAGMA quick_check`); `StorageError` naming the file if damaged.

        Opening reads only the first page, so `tokenbot serve` calls this once at start-up to
        turn a file damaged further in into one line, instead of errors while answering.
        """
        try:
            with self._lock:
                rows = self._conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise StorageError(self._unreadable(exc)) from None
        problems = [str(row[0]) for row in rows if row[0] != "ok"]
        if problems:
            raise StorageError(
                f"the database {self.path} is damaged ({problems[0]}): restore it from a "
                "backup or point TOKENBOT_DB at another file"
            )

    def _prepare(self, patience: float) -> None:
        """Check the version, switch to WAL and migrate, retrying while other processes do too.

        Several servers starting on one fresh file contend for it; SQLite then answers some of
        them "locked" at once rather than waiting (its deadlock avoidance), so the whole step
        is retried with a short pause until `patience` seconds have passed.
        """
        deadline = time.monotonic() + patience
        pause = 0.01
        while True:
            try:
                self._check_version()  # before WAL: a file this code cannot use is left untouched
                if self.path != ":memory:":
                    # synchronous stays FULL: a committed estimate survives a power cut too.
                    self._conn.execute("PRAGMA journal_mode = WAL")
                self._migrate()
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def _migrate(self) -> None:
        with self._lock:
            # BEGIN IMMEDIATE: two processes opening a fresh file must not both migrate it.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                current = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
                self.found_version = current
                for version, script in migrations():
                    if version > current:
                        for statement in statements(script):
                            self._conn.execute(statement)
                        self._conn.execute(f"PRAGMA user_version = {version}")
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction; a failure the file causes becomes `StorageUnavailableError`.

        A transaction that need not survive a power cut (`durable=False`) skips the wait for
        the disk (`synchronous = NORMAL`, still safe from corruption in WAL mode).
        """
        with self._lock, self._failures(writing=True):
            if not durable:
                self._conn.execute("PRAGMA synchronous = NORMAL")
            try:
                with self._conn:
                    yield self._conn
            finally:
                if not durable:
                    self._conn.execute("PRAGMA synchronous = FULL")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._failures(writing=False):
            yield self._conn

    @contextmanager
    def _failures(self, *, writing: bool) -> Iterator[None]:
        """Turn what the file refuses into `StorageUnavailableError`; log it once, and recovery.

        Recovery is a write that succeeds (a full or locked file still serves reads). Errors of
        the code itself (a closed store, a constraint) pass through unchanged.
        """
        try:
            self._check_file()
            yield
        except sqlite3.Error as exc:
            failure = _unavailable(exc, self.path)
            if failure is None:
                raise
            self._log_failure(failure)
            raise failure from exc
        except StorageUnavailableError as failure:
            self._log_failure(failure)
            raise
        if writing and self._failing is not None:
            logger.warning("the database %s works again", self.path)
            self._failing = None

    def _check_file(self) -> None:
        if self._identity is None:
            return
        try:
            info = os.stat(self.path)
        except OSError:
            info = None
        if info is None or (info.st_dev, info.st_ino) != self._identity:
            raise StorageUnavailableError(GONE, self.path)

    def _log_failure(self, failure: StorageUnavailableError) -> None:
        if self._failing != failure.message:
            logger.warning("the database %s cannot be used: %s", self.path, failure.message)
            self._failing = failure.message

    def _now(self) -> str:
        return _stamp(self._clock())

    # -- events ------------------------------------------------------------------------------

    def claim_event(self, event_id: str) -> bool:
        """Take the delivery of a Slack event's answer; True for exactly one caller at a time.

        False when the answer was already delivered (`finish_event`), or while another caller
        (in any process) holds the claim. A claim neither finished nor released within
        `EVENT_CLAIM_TIMEOUT` (its process died) may be taken again.
        """
        now = self._clock()
        with self._write() as conn:
            inserted = conn.execute(
                "INSERT OR IGNORE INTO events (event_id, seen_at) VALUES (?, ?)",
                (event_id, _stamp(now)),
            ).rowcount
            if inserted:
                return True
            taken_over = conn.execute(
                "UPDATE events SET seen_at = ? "
                "WHERE event_id = ? AND finished_at IS NULL AND seen_at < ?",
                (_stamp(now), event_id, _stamp(now - EVENT_CLAIM_TIMEOUT)),
            ).rowcount
            return taken_over == 1

    def finish_event(self, event_id: str) -> None:
        """The claimed event's answer was delivered: every later retry is dropped."""
        with self._write() as conn:
            conn.execute(
                "UPDATE events SET finished_at = ? WHERE event_id = ?", (self._now(), event_id)
            )

    def release_event(self, event_id: str) -> None:
        """The claimed event's answer could not be delivered: Slack's retry may try again."""
        with self._write() as conn:
            conn.execute(
                "DELETE FROM events WHERE event_id = ? AND finished_at IS NULL", (event_id,)
            )

    # -- signed requests ---------------------------------------------------------------------

    def claim_signature(self, timestamp: int, signature: str) -> bool:
        """Record a signed request; False when this (timestamp, signature) was already seen.

        Slack's signatures carry no nonce, so an exact replay within the 5-minute window would
        otherwise pass verification. Pairs older than `SIGNATURE_RETENTION` are forgotten. This
        runs inside every acknowledgement, so it does not wait for the disk: a power cut may
        forget the last pairs, which matter for 5 minutes only.
        """
        now = self._clock()
        oldest = int((now - SIGNATURE_RETENTION).timestamp())
        with self._write(durable=False) as conn:
            conn.execute("DELETE FROM signatures WHERE request_ts < ?", (oldest,))
            cursor = conn.execute(
                "INSERT OR IGNORE INTO signatures (request_ts, signature) VALUES (?, ?)",
                (timestamp, signature),
            )
            return cursor.rowcount == 1

    # -- estimates ---------------------------------------------------------------------------

    def save_estimate(
        self,
        *,
        user_id: str,
        channel_id: str,
        input_text: str,
        card: str,
        result_for: Callable[[str], dict[str, Any]],
    ) -> str:
        """Store an estimate under a new unique reference and return the reference.

        `result_for(reference)` builds the JSON to store, so the result can quote its reference.
        """
        for _ in range(REFERENCE_ATTEMPTS):
            reference = self._new_reference()
            payload = json.dumps(result_for(reference), ensure_ascii=False, sort_keys=True)
            try:
                with self._write() as conn:
                    conn.execute(
                        "INSERT INTO estimates (reference, user_id, channel_id, input, result, "
                        "card, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (reference, user_id, channel_id, input_text, payload, card, self._now()),
                    )
            except sqlite3.IntegrityError:
                continue  # the reference is taken: draw another
            return reference
        raise RuntimeError("could not find a free estimate reference")

    def get_estimate(self, reference: str) -> StoredEstimate | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT * FROM estimates WHERE reference = ?", (reference.upper(),)
            ).fetchone()
        return None if row is None else _estimate(row)

    def recent_estimates(self, user_id: str, limit: int = 5) -> list[StoredEstimate]:
        """The user's latest estimates, newest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM estimates WHERE user_id = ? ORDER BY created_at DESC, id DESC "
                "LIMIT ?",
                (user_id, limit),
            ).fetchall()
        return [_estimate(row) for row in rows]

    # -- questions and feedback --------------------------------------------------------------

    def record_question(
        self,
        *,
        text: str,
        entry_id: str | None,
        score: float,
        user_id: str,
        channel_id: str,
        thread_ts: str | None = None,
    ) -> int:
        """Log a question and what the matcher made of it; returns its id.

        `thread_ts`: the thread the question was asked and answered in (mentions and DMs).
        """
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO questions (text, entry_id, score, answered, user_id, channel_id, "
                "thread_ts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    text,
                    entry_id,
                    score,
                    entry_id is not None,
                    user_id,
                    channel_id,
                    thread_ts,
                    self._now(),
                ),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def thread_question(self, channel_id: str, thread_ts: str) -> str | None:
        """The question a thread started with (any process recorded it), if its text is kept."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT text FROM questions WHERE channel_id = ? AND thread_ts = ? "
                "AND text IS NOT NULL ORDER BY id LIMIT 1",
                (channel_id, thread_ts),
            ).fetchone()
        return None if row is None else str(row["text"])

    def get_question(self, question_id: int) -> StoredQuestion | None:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM questions WHERE id = ?", (question_id,)).fetchone()
        return None if row is None else _question(row)

    def questions(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[StoredQuestion]:
        """Logged questions asked in [since, until), oldest first (every one by default)."""
        low, high = _period(since, until)
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM questions WHERE created_at >= ? AND created_at < ? ORDER BY id",
                (low, high),
            ).fetchall()
        return [_question(row) for row in rows]

    def record_feedback(
        self,
        *,
        entry_id: str,
        question: str,
        helpful: bool,
        user_id: str,
        question_id: int | None = None,
    ) -> None:
        """Store a click; the same user's later click on the same answer replaces it.

        `question_id` is the question the answer was given to (whoever asked it), so that
        forgetting the asker also removes their text from this vote.
        """
        with self._write() as conn:
            conn.execute(
                "INSERT INTO feedback (entry_id, question, helpful, user_id, created_at, "
                "question_id) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (user_id, entry_id, question) DO UPDATE SET "
                "helpful = excluded.helpful, created_at = excluded.created_at, "
                "question_id = excluded.question_id",
                (entry_id, question, helpful, user_id, self._now(), question_id),
            )

    def feedback(self, entry_id: str) -> list[tuple[str, bool]]:
        """(user id, helpful) for every vote on an entry, in the order first cast."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT user_id, helpful FROM feedback WHERE entry_id = ? ORDER BY id",
                (entry_id,),
            ).fetchall()
        return [(row["user_id"], bool(row["helpful"])) for row in rows]

    def votes(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[StoredVote]:
        """Every feedback vote cast in [since, until), in the order first cast."""
        low, high = _period(since, until)
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM feedback WHERE created_at >= ? AND created_at < ? ORDER BY id",
                (low, high),
            ).fetchall()
        return [
            StoredVote(
                entry_id=row["entry_id"],
                question=row["question"],
                helpful=bool(row["helpful"]),
                user_id=row["user_id"],
                created_at=dt.datetime.fromisoformat(row["created_at"]),
            )
            for row in rows
        ]

    # -- reports and privacy -----------------------------------------------------------------

    def activity(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Activity]:
        """Questions and estimates in [since, until): kind, user and time, oldest first."""
        low, high = _period(since, until)
        with self._read() as conn:
            rows = conn.execute(
                "SELECT 'question' AS kind, user_id, created_at FROM questions "
                "WHERE created_at >= ? AND created_at < ? "
                "UNION ALL SELECT 'estimate', user_id, created_at FROM estimates "
                "WHERE created_at >= ? AND created_at < ? ORDER BY created_at",
                (low, high, low, high),
            ).fetchall()
        return [
            Activity(
                kind=row["kind"],
                user_id=row["user_id"],
                created_at=dt.datetime.fromisoformat(row["created_at"]),
            )
            for row in rows
        ]

    def purge(self, now: dt.datetime | None = None) -> Purged:
        now = self._clock() if now is None else now
        texts_before = _stamp(now - self._retention)
        events_before = _stamp(now - EVENT_RETENTION)
        with self._write() as conn:
            questions = conn.execute(
                "UPDATE questions SET text = NULL WHERE created_at < ? AND text IS NOT NULL",
                (texts_before,),
            ).rowcount
            feedback = conn.execute(
                "UPDATE feedback SET question = NULL "
                "WHERE created_at < ? AND question IS NOT NULL AND question != ''",
                (texts_before,),
            ).rowcount
            events = conn.execute("DELETE FROM events WHERE seen_at < ?", (events_before,)).rowcount
            conn.execute(
                "DELETE FROM signatures WHERE request_ts < ?",
                (int((now - SIGNATURE_RETENTION).timestamp()),),
            )
            replies = conn.execute(
                "UPDATE expert_replies SET text = NULL WHERE created_at < ? AND text IS NOT NULL",
                (texts_before,),
            ).rowcount
        return Purged(
            question_texts=questions, feedback_texts=feedback, events=events, reply_texts=replies
        )

    def forget(self, user_id: str) -> Forgotten:
        with self._write() as conn:
            forwards = conn.execute(
                "DELETE FROM forwards WHERE question_id IN "
                "(SELECT id FROM questions WHERE user_id = ?)",
                (user_id,),
            )
            replies = conn.execute("DELETE FROM expert_replies WHERE expert_id = ?", (user_id,))
            conn.execute(
                "UPDATE forwards SET forwarded_by = NULL WHERE forwarded_by = ?", (user_id,)
            )
            others = conn.execute(
                "UPDATE feedback SET question = NULL WHERE user_id != ? AND ("
                "question_id IN (SELECT id FROM questions WHERE user_id = ?) OR ("
                "question_id IS NULL AND question != '' AND question IN "
                "(SELECT text FROM questions WHERE user_id = ? AND text IS NOT NULL)))",
                (user_id, user_id, user_id),
            )
            estimates = conn.execute("DELETE FROM estimates WHERE user_id = ?", (user_id,))
            questions = conn.execute("DELETE FROM questions WHERE user_id = ?", (user_id,))
            feedback = conn.execute("DELETE FROM feedback WHERE user_id = ?", (user_id,))
            return Forgotten(
                estimates=estimates.rowcount,
                questions=questions.rowcount,
                feedback=feedback.rowcount,
                others_votes=others.rowcount,
                forwards=forwards.rowcount,
                expert_replies=replies.rowcount,
            )

    # -- questions forwarded to the experts, and their replies -------------------------------

    def claim_forward(
        self, question_id: int, *, forwarded_by: str, experts_channel: str
    ) -> ForwardClaim | None:
        now = self._clock()
        with self._write() as conn:
            asked = conn.execute(
                "SELECT id FROM questions WHERE id = ? AND text IS NOT NULL", (question_id,)
            ).fetchone()
            if asked is None:
                return None
            claimed = conn.execute(
                "INSERT INTO forwards (question_id, forwarded_by, experts_channel, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (question_id) DO NOTHING",
                (question_id, forwarded_by, experts_channel, _stamp(now)),
            ).rowcount
            if not claimed:
                claimed = conn.execute(
                    "UPDATE forwards SET created_at = ?, forwarded_by = ?, experts_channel = ? "
                    "WHERE question_id = ? AND experts_ts IS NULL AND created_at < ?",
                    (
                        _stamp(now),
                        forwarded_by,
                        experts_channel,
                        question_id,
                        _stamp(now - FORWARD_CLAIM_TIMEOUT),
                    ),
                ).rowcount
            row = conn.execute(
                FORWARDS_QUERY + " WHERE f.question_id = ?", (question_id,)
            ).fetchone()
        return ForwardClaim(_forward(row), claimed=claimed == 1)

    def forward_posted(self, forward_id: int, experts_ts: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE forwards SET experts_ts = ? WHERE id = ?", (experts_ts, forward_id)
            )

    def release_forward(self, forward_id: int) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM forwards WHERE id = ? AND experts_ts IS NULL", (forward_id,))

    def get_forward(self, forward_id: int) -> StoredForward | None:
        with self._read() as conn:
            row = conn.execute(FORWARDS_QUERY + " WHERE f.id = ?", (forward_id,)).fetchone()
            return None if row is None else self._with_replies(conn, _forward(row))

    def forward_in_thread(self, experts_channel: str, thread_ts: str) -> StoredForward | None:
        with self._read() as conn:
            row = conn.execute(
                FORWARDS_QUERY + " WHERE f.experts_channel = ? AND f.experts_ts = ?",
                (experts_channel, thread_ts),
            ).fetchone()
        return None if row is None else _forward(row)

    def record_expert_reply(self, forward_id: int, *, expert_id: str, text: str, ts: str) -> bool:
        with self._write() as conn:
            return (
                conn.execute(
                    "INSERT INTO expert_replies (forward_id, expert_id, text, ts, created_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (forward_id, ts) DO NOTHING",
                    (forward_id, expert_id, text, ts, self._now()),
                ).rowcount
                == 1
            )

    def claim_relay(self, forward_id: int, interval: dt.timedelta = RELAY_INTERVAL) -> RelayClaim:
        now = self._clock()
        with self._write() as conn:
            row = conn.execute(
                "SELECT last_relay_at FROM forwards WHERE id = ?", (forward_id,)
            ).fetchone()
            queued = conn.execute(
                "SELECT * FROM expert_replies WHERE forward_id = ? AND relayed_at IS NULL "
                "ORDER BY ts, id",
                (forward_id,),
            ).fetchall()
            if row is None or not queued:
                return RelayClaim()
            previous = _moment(row["last_relay_at"])
            if previous is not None and previous + interval > now:
                return RelayClaim(previous=previous, wait_until=previous + interval)
            taken = conn.execute(
                "UPDATE forwards SET last_relay_at = ? WHERE id = ? AND last_relay_at IS ?",
                (_stamp(now), forward_id, row["last_relay_at"]),
            ).rowcount
            if taken != 1:  # another caller claimed in between: its relay carries these
                return RelayClaim(previous=previous, wait_until=now + interval)
        return RelayClaim(replies=tuple(_reply(r) for r in queued), previous=previous)

    def finish_relay(self, reply_ids: list[int]) -> None:
        with self._write() as conn:
            conn.executemany(
                "UPDATE expert_replies SET relayed_at = ? WHERE id = ?",
                [(self._now(), reply_id) for reply_id in reply_ids],
            )

    def release_relay(self, forward_id: int, previous: dt.datetime | None) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE forwards SET last_relay_at = ? WHERE id = ?",
                (None if previous is None else _stamp(previous), forward_id),
            )

    def queued_relays(self) -> list[int]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT forward_id FROM expert_replies WHERE relayed_at IS NULL "
                "GROUP BY forward_id ORDER BY MIN(id)"
            ).fetchall()
        return [int(row["forward_id"]) for row in rows]

    def drafts(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[StoredForward]:
        low, high = _period(since, until)
        with self._read() as conn:
            rows = conn.execute(
                FORWARDS_QUERY + " WHERE f.experts_ts IS NOT NULL AND f.created_at >= ? "
                "AND f.created_at < ? ORDER BY f.id",
                (low, high),
            ).fetchall()
            return [self._with_replies(conn, _forward(row)) for row in rows]

    @staticmethod
    def _with_replies(conn: sqlite3.Connection, forward: StoredForward) -> StoredForward:
        rows = conn.execute(
            "SELECT * FROM expert_replies WHERE forward_id = ? ORDER BY ts, id", (forward.id,)
        ).fetchall()
        return dataclasses.replace(forward, replies=tuple(_reply(row) for row in rows))

    # -- readiness and moving house ----------------------------------------------------------

    def ping(self) -> None:
        with self._read() as conn:
            conn.execute("SELECT 1").fetchone()

    def rows(self, table: str) -> Iterator[Row]:
        columns = COPIED_TABLES[table]
        with self._read() as conn:
            found = conn.execute(
                f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(KEYS[table])}"
            ).fetchall()
        for raw in found:
            yield {column: self._plain(table, column, raw[column]) for column in columns}

    def _plain(self, table: str, column: str, value: Any) -> Any:
        if value is None:
            return None
        if column in FLAGS:
            return bool(value)
        if column in TIMES:
            try:
                return dt.datetime.fromisoformat(value).astimezone(dt.UTC)
            except (TypeError, ValueError):
                raise StorageError(
                    f"the database {self.path}: {table}.{column} holds {value!r}, which is "
                    "not a time; correct or delete that row, then copy again"
                ) from None
        return value

    def load(self, tables: Mapping[str, Iterable[Row]]) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._write() as conn:
            held = {
                table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                for table in COPIED_TABLES
            }
            refuse_if_held(self.path, held)
            for table, rows in tables.items():
                columns = COPIED_TABLES[table]
                insert = (
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})"
                )
                counts[table] = 0
                for row in rows:
                    try:
                        conn.execute(insert, [_stored(column, row[column]) for column in columns])
                    except sqlite3.IntegrityError as exc:
                        raise StorageError(
                            f"the database {self.path} cannot take the rows of {table}: {exc}; "
                            "nothing was copied"
                        ) from None
                    counts[table] += 1
        return counts


def _estimate(row: sqlite3.Row) -> StoredEstimate:
    return StoredEstimate(
        reference=row["reference"],
        user_id=row["user_id"],
        channel_id=row["channel_id"],
        input=row["input"],
        result=json.loads(row["result"]),
        card=row["card"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
    )


def _question(row: sqlite3.Row) -> StoredQuestion:
    return StoredQuestion(
        id=row["id"],
        text=row["text"],
        entry_id=row["entry_id"],
        score=row["score"],
        answered=bool(row["answered"]),
        user_id=row["user_id"],
        channel_id=row["channel_id"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
    )


def _forward(row: sqlite3.Row) -> StoredForward:
    return StoredForward(
        id=row["id"],
        question_id=row["question_id"],
        question=row["question"],
        entry_id=row["entry_id"],
        score=row["score"],
        asker_id=row["asker_id"],
        channel_id=row["channel_id"],
        thread_ts=row["thread_ts"],
        forwarded_by=row["forwarded_by"],
        experts_channel=row["experts_channel"],
        experts_ts=row["experts_ts"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
    )


def _reply(row: sqlite3.Row) -> StoredReply:
    return StoredReply(
        id=row["id"],
        expert_id=row["expert_id"],
        text=row["text"],
        ts=row["ts"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        relayed_at=_moment(row["relayed_at"]),
    )


def _moment(stamp: str | None) -> dt.datetime | None:
    return None if stamp is None else dt.datetime.fromisoformat(stamp)


def _stored(column: str, value: Any) -> Any:
    """A plain value (as `Store.rows` gives it) as this backend stores it."""
    if value is None:
        return None
    if column in TIMES:
        return _stamp(value)
    if column in FLAGS:
        return int(bool(value))
    return value


def _stamp(moment: dt.datetime) -> str:
    """The stored form of a time: ISO 8601 in UTC, to the second (sorts as text)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


_EARLIEST = "0000"
_LATEST = "9999"


def _period(since: dt.datetime | None, until: dt.datetime | None) -> tuple[str, str]:
    return (
        _EARLIEST if since is None else _stamp(since),
        _LATEST if until is None else _stamp(until),
    )


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    # Extended codes (e.g. SQLITE_BUSY_SNAPSHOT) carry the primary code in the low byte.
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


BUSY = "the database stayed locked by another process for too long; try again in a moment"
GONE = "the database file was removed or replaced while tokenbot was running"
DAMAGED = "the database file is damaged"
_REASONS = {
    sqlite3.SQLITE_FULL: "the disk holding the database is full",
    sqlite3.SQLITE_READONLY: "the database is read-only",
    sqlite3.SQLITE_PERM: "the database may not be written",
    sqlite3.SQLITE_CORRUPT: DAMAGED,
    sqlite3.SQLITE_NOTADB: DAMAGED,
    sqlite3.SQLITE_IOERR: "the database file could not be read or written (I/O error)",
    sqlite3.SQLITE_CANTOPEN: "the database file could not be opened",
}
"""Primary sqlite result codes that mean the file (not the code) refused; messages name no file."""


def _unavailable(exc: sqlite3.Error, path: str) -> StorageUnavailableError | None:
    """The `StorageUnavailableError` for an error the file caused, or None for a code error."""
    if _is_busy(exc):
        return StorageBusyError(BUSY, path)
    code = getattr(exc, "sqlite_errorcode", None)
    reason = None if code is None else _REASONS.get(code & 0xFF)
    return None if reason is None else StorageUnavailableError(reason, path)


def _table_names(conn: sqlite3.Connection) -> frozenset[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return frozenset(str(row[0]) for row in rows)
