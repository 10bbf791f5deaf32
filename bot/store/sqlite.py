"""sqlite3 behind one class: estimates, questions, feedback and processed Slack events.

One connection per `Store`, shared by Bolt's worker threads under a lock (every statement is
short). WAL and `busy_timeout` let several server processes share one file. The schema version
lives in `PRAGMA user_version`; the numbered scripts in `migrations/` bring an older file
forward when it is opened. A file that is not a readable database, or was written by a newer
tokenbot, raises `StorageError` naming it and is left untouched.

Privacy: `purge()` deletes question texts older than the retention period (the rest of each
row stays for usage counts) and processed event ids older than `EVENT_RETENTION`; `forget()`
removes every row of one user.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bot.errors import StorageBusyError, StorageError

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""Estimate references avoid 0/O and 1/I, which people misread when copying."""
REFERENCE_LENGTH = 4
REFERENCE = re.compile(rf"^E-[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}$")
BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for another connection's write lock before `StorageBusyError`."""
DEFAULT_RETENTION = dt.timedelta(days=365)
EVENT_RETENTION = dt.timedelta(days=7)
"""Slack retries an event within minutes; a week of ids is plenty to drop every retry."""
_REFERENCE_ATTEMPTS = 20
_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def random_reference() -> str:
    """`E-` and four characters from `REFERENCE_ALPHABET`, e.g. `E-7K2Q`."""
    return "E-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def migrations() -> list[tuple[int, str]]:
    """(version, SQL script) for every file in `migrations/`, in version order."""
    found: list[tuple[int, str]] = []
    for item in resources.files("bot.store").joinpath("migrations").iterdir():
        match = _MIGRATION.match(item.name)
        if match:
            found.append((int(match.group(1)), item.read_text(encoding="utf-8")))
    found.sort()
    for position, (version, _) in enumerate(found, start=1):
        if version != position:
            raise RuntimeError(
                f"bot/store/migrations: expected version {position:03d}, found {version:03d}"
            )
    return found


@dataclass(frozen=True)
class StoredEstimate:
    reference: str
    user_id: str
    channel_id: str
    input: str
    result: dict[str, Any]
    card: str
    created_at: dt.datetime


@dataclass(frozen=True)
class StoredQuestion:
    id: int
    text: str | None
    """None once purged after the retention period."""
    entry_id: str | None
    score: float
    answered: bool
    user_id: str
    channel_id: str
    created_at: dt.datetime


@dataclass(frozen=True)
class StoredVote:
    """One user's feedback on an entry (`question` is None once purged, '' when not asked)."""

    entry_id: str
    question: str | None
    helpful: bool
    user_id: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Activity:
    """A question asked or an estimate made: who and when, for the usage report."""

    kind: str  # "question" or "estimate"
    user_id: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Purged:
    """What `Store.purge` removed."""

    question_texts: int
    feedback_texts: int
    events: int


@dataclass(frozen=True)
class Forgotten:
    """What `Store.forget` removed for one user."""

    estimates: int
    questions: int
    feedback: int


class Store:
    """The bot's database. Call `close()` when done (or use it as a context manager).

    Raises `StorageError` when the file cannot be opened as a tokenbot database.
    """

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
        except StorageError:
            self._conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StorageError(self._unreadable(exc)) from None

    def _unreadable(self, exc: sqlite3.Error) -> str:
        if _is_busy(exc):
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

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _check_version(self) -> None:
        current = self.version
        latest = len(migrations())
        if current > latest:
            raise StorageError(
                f"the database {self.path} has schema version {current}, newer than this "
                f"tokenbot knows ({latest}): upgrade tokenbot, or point TOKENBOT_DB elsewhere"
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
                for version, script in migrations():
                    if version > current:
                        for statement in _statements(script):
                            self._conn.execute(statement)
                        self._conn.execute(f"PRAGMA user_version = {version}")
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction; a lock held past the busy timeout becomes `StorageBusyError`."""
        try:
            with self._lock, self._conn:
                yield self._conn
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                # Shown to Slack users too, so it names no file.
                raise StorageBusyError(
                    "the database stayed locked by another process for too long; "
                    "try again in a moment"
                ) from exc
            raise

    def _now(self) -> str:
        return _stamp(self._clock())

    # -- events ------------------------------------------------------------------------------

    def mark_event_seen(self, event_id: str) -> bool:
        """Record a Slack event id; True the first time, False for every retry (any process)."""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO events (event_id, seen_at) VALUES (?, ?)",
                (event_id, self._now()),
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
        for _ in range(_REFERENCE_ATTEMPTS):
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
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM estimates WHERE reference = ?", (reference.upper(),)
            ).fetchone()
        return None if row is None else _estimate(row)

    def recent_estimates(self, user_id: str, limit: int = 5) -> list[StoredEstimate]:
        """The user's latest estimates, newest first."""
        with self._lock:
            rows = self._conn.execute(
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
    ) -> int:
        """Log a question and what the matcher made of it; returns its id."""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO questions (text, entry_id, score, answered, user_id, channel_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (text, entry_id, score, entry_id is not None, user_id, channel_id, self._now()),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def get_question(self, question_id: int) -> StoredQuestion | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM questions WHERE id = ?", (question_id,)
            ).fetchone()
        return None if row is None else _question(row)

    def questions(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[StoredQuestion]:
        """Logged questions asked in [since, until), oldest first (every one by default)."""
        low, high = _period(since, until)
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM questions WHERE created_at >= ? AND created_at < ? ORDER BY id",
                (low, high),
            ).fetchall()
        return [_question(row) for row in rows]

    def record_feedback(self, *, entry_id: str, question: str, helpful: bool, user_id: str) -> None:
        """Store a click; the same user's later click on the same answer replaces it."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO feedback (entry_id, question, helpful, user_id, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, entry_id, question) "
                "DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
                (entry_id, question, helpful, user_id, self._now()),
            )

    def feedback(self, entry_id: str) -> list[tuple[str, bool]]:
        """(user id, helpful) for every vote on an entry, in the order first cast."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT user_id, helpful FROM feedback WHERE entry_id = ? ORDER BY id",
                (entry_id,),
            ).fetchall()
        return [(row["user_id"], bool(row["helpful"])) for row in rows]

    def votes(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[StoredVote]:
        """Every feedback vote cast in [since, until), in the order first cast."""
        low, high = _period(since, until)
        with self._lock:
            rows = self._conn.execute(
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
        with self._lock:
            rows = self._conn.execute(
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
        """Delete question texts older than the retention period, and old event ids."""
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
        return Purged(question_texts=questions, feedback_texts=feedback, events=events)

    def forget(self, user_id: str) -> Forgotten:
        """Delete every estimate, question and feedback vote of one user (one transaction)."""
        with self._write() as conn:
            estimates = conn.execute("DELETE FROM estimates WHERE user_id = ?", (user_id,))
            questions = conn.execute("DELETE FROM questions WHERE user_id = ?", (user_id,))
            feedback = conn.execute("DELETE FROM feedback WHERE user_id = ?", (user_id,))
            return Forgotten(
                estimates=estimates.rowcount,
                questions=questions.rowcount,
                feedback=feedback.rowcount,
            )


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


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (no triggers, so `;` ends each one)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
