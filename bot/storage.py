"""sqlite3 behind one class: estimates, questions, feedback and processed Slack events.

One connection per `Store`, shared by Bolt's worker threads under a lock (every statement is
short). WAL and `busy_timeout` let several server processes share one file. The schema version
lives in `PRAGMA user_version`; the numbered scripts in `bot/migrations/` bring an older file
forward when it is opened.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""Estimate references avoid 0/O and 1/I, which people misread when copying."""
REFERENCE_LENGTH = 4
REFERENCE = re.compile(rf"^E-[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}$")
BUSY_TIMEOUT_MS = 5000
_REFERENCE_ATTEMPTS = 20
_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def random_reference() -> str:
    """`E-` and four characters from `REFERENCE_ALPHABET`, e.g. `E-7K2Q`."""
    return "E-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def migrations() -> list[tuple[int, str]]:
    """(version, SQL script) for every file in `bot/migrations/`, in version order."""
    found: list[tuple[int, str]] = []
    for item in resources.files("bot").joinpath("migrations").iterdir():
        match = _MIGRATION.match(item.name)
        if match:
            found.append((int(match.group(1)), item.read_text(encoding="utf-8")))
    found.sort()
    for position, (version, _) in enumerate(found, start=1):
        if version != position:
            raise RuntimeError(
                f"bot/migrations: expected version {position:03d}, found {version:03d}"
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
    text: str
    entry_id: str | None
    score: float
    answered: bool
    user_id: str
    channel_id: str
    created_at: dt.datetime


class Store:
    """The bot's database. Call `close()` when done (or use it as a context manager)."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = utc_now,
        new_reference: Callable[[], str] = random_reference,
    ) -> None:
        self._clock = clock
        self._new_reference = new_reference
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._conn.execute("PRAGMA foreign_keys = ON")
        if str(path) != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._migrate()

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
        with self._lock, self._conn:
            yield self._conn

    def _now(self) -> str:
        return self._clock().astimezone(dt.UTC).isoformat(timespec="seconds")

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
        if row is None:
            return None
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

    def questions(self) -> list[StoredQuestion]:
        """Every logged question, oldest first."""
        with self._lock:
            ids = [row[0] for row in self._conn.execute("SELECT id FROM questions ORDER BY id")]
        return [q for q in map(self.get_question, ids) if q is not None]

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


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (no triggers, so `;` ends each one)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
