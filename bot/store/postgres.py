"""PostgreSQL behind `Store`: one database shared by any number of servers on any number of hosts.

psycopg 3 over a few reused connections per store (`_Connections`): each call takes one, runs
its statements (a write in one transaction) and gives it back; one found dead (the server
restarted) is replaced before use. Every statement is bounded by `statement_timeout` (the
store's busy timeout), so that a lock held elsewhere costs a "not saved" line, not Slack's
3-second acknowledgement.

**The database going away never blocks an answer.** A call that cannot reach the server raises
`StorageUnavailableError` (logged once, and so is the recovery); while the server is away, at
most one call per `RECONNECT_PAUSE` tries to connect again and the others fail at once, so an
acknowledgement waits at most one connection attempt (`CONNECT_TIMEOUT`). Connections come back
by themselves: the first call after the server returns connects again.

Schema: the numbered scripts in `migrations/postgresql/` are applied in one transaction under
an advisory lock (`MIGRATION_LOCK`), so a second server starting at the same time waits for the
first's migration and then finds nothing to do. The version is the highest row of
`tokenbot_schema`. A database holding tables tokenbot does not know, a newer schema or a
damaged one is refused with `StorageError`, untouched.

The URL's password is never printed: `path` and every message show the URL without it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from bot.errors import StorageBusyError, StorageError, StorageUnavailableError
from bot.store.base import (
    BUSY_TIMEOUT_MS,
    COPIED_TABLES,
    DEFAULT_RETENTION,
    EVENT_CLAIM_TIMEOUT,
    EVENT_RETENTION,
    FORWARD_CLAIM_TIMEOUT,
    FORWARDS_QUERY,
    KEYS,
    REFERENCE_ATTEMPTS,
    RELAY_INTERVAL,
    SIGNATURE_RETENTION,
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
    migrations,
    random_reference,
    refuse_if_held,
    statements,
    to_second,
    utc_now,
)

try:
    import psycopg
    from psycopg import pq
    from psycopg.conninfo import conninfo_to_dict
    from psycopg.rows import DictRow, dict_row
except ImportError:  # pragma: no cover - exercised by a test that hides psycopg
    raise StorageError(
        "TOKENBOT_DB names a PostgreSQL database, but its driver is not installed: "
        "pip install 'tokenbot[postgresql]' (psycopg 3)"
    ) from None

logger = logging.getLogger(__name__)

DIALECT: Backend = "postgresql"
MIGRATION_LOCK = 0x746F6B656E626F74
"""The advisory lock key migrations hold ("tokenbot" in ASCII): one migrator at a time."""
MIGRATION_WAIT = "10min"
"""How long a starting server waits for another's migration (and a migration may run)."""
CONNECT_TIMEOUT = 2
"""Seconds to wait for a connection (libpq's minimum): a host that does not answer at all."""
RECONNECT_PAUSE = 1.0
"""Seconds between connection attempts while the server is away; calls between fail at once."""
IDLE_CONNECTIONS = 4
"""Connections each store keeps open between calls (gunicorn's threads per worker)."""
APPLICATION_NAME = "tokenbot"
NETWORK_DEFAULTS = {
    "connect_timeout": CONNECT_TIMEOUT,
    "application_name": APPLICATION_NAME,
    "tcp_user_timeout": 2000,
    "keepalives_idle": 10,
    "keepalives_interval": 2,
    "keepalives_count": 2,
}
"""libpq settings the URL may override. A server that vanishes without closing the connection
(a host or network gone, not restarted) is noticed within about 2 s of sending to it
(`tcp_user_timeout`, in ms) and an idle connection to it within about 14 s (keepalives), not
after the kernel's default of many minutes."""

UNREACHABLE = "the database server cannot be reached"
BUSY = "the database stayed locked by another connection for too long; try again in a moment"
_REASONS = {
    "25006": "the database is read-only",  # read_only_sql_transaction: a standby, or set so
    "53100": "the disk holding the database is full",
    "53200": "the database server is out of memory",
    "53300": "the database server has no free connections",
    "42501": "the database may not be written (permission denied)",
    "57P01": UNREACHABLE,  # admin_shutdown
    "57P02": UNREACHABLE,  # crash_shutdown
    "57P03": UNREACHABLE,  # cannot_connect_now: starting up or shutting down
}
"""SQLSTATEs that mean the server (not the code) refused; messages name no server."""
_BUSY = frozenset({"57014", "55P03", "40001", "40P01"})
"""Statement timeout, lock timeout, serialization failure, deadlock: someone else's lock."""
_CREATE = re.compile(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.I)
_DROP = re.compile(r"^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(\w+)", re.I)
_RENAME = re.compile(r"^\s*ALTER\s+TABLE\s+(\w+)\s+RENAME\s+TO\s+(\w+)", re.I)


@functools.cache
def tables_at(version: int) -> frozenset[str]:
    """The tables a tokenbot database of schema `version` has, read off the scripts."""
    tables: set[str] = set()
    for _, script in migrations(DIALECT)[:version]:
        for statement in statements(script):
            if match := _CREATE.match(statement):
                tables.add(match.group(1).lower())
            elif match := _DROP.match(statement):
                tables.discard(match.group(1).lower())
            elif match := _RENAME.match(statement):
                tables.discard(match.group(1).lower())
                tables.add(match.group(2).lower())
    return frozenset(tables)


def display_url(url: str) -> str:
    """The URL as it may be printed: `postgresql://user@host:port/dbname`, no password."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unreadable URL)"
    user = f"{params['user']}@" if params.get("user") else ""
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{user}{params.get('host', '')}{port}/{params.get('dbname', '')}"


class PostgresStore(Store):
    """A tokenbot database in PostgreSQL, named by a `postgresql://` URL (libpq's form)."""

    backend = DIALECT

    def __init__(
        self,
        url: str,
        *,
        clock: Clock = utc_now,
        new_reference: Callable[[], str] = random_reference,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        retention: dt.timedelta = DEFAULT_RETENTION,
        lazy: bool = False,
    ) -> None:
        self.path = display_url(url)
        self._clock = clock
        self._new_reference = new_reference
        self._retention = retention
        self._failing: str | None = None
        """The reason the last call failed, until a write succeeds (to log each change once)."""
        self._log_lock = threading.Lock()
        self.found_version: int | None = None
        self._connections = _Connections(self._conninfo(url, busy_timeout_ms))
        if not lazy:
            self._prepare()

    def _conninfo(self, url: str, busy_timeout_ms: int) -> dict[str, Any]:
        try:
            params: dict[str, Any] = conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            raise StorageError(
                "TOKENBOT_DB is not a PostgreSQL URL libpq can read "
                f"({_without(str(exc), url)}): expected postgresql://USER@HOST:PORT/DATABASE"
            ) from None
        # Every statement is bounded; the migration raises its own bound (`MIGRATION_WAIT`).
        bounds = f"-c statement_timeout={int(busy_timeout_ms)} -c TimeZone=UTC"
        params["options"] = f"{params.get('options', '')} {bounds}".strip()
        for name, value in NETWORK_DEFAULTS.items():
            params.setdefault(name, value)
        return params

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._connections.close()

    @property
    def version(self) -> int:
        with self._read() as conn:
            return _version(conn)

    def _prepare(self) -> None:
        """Check the schema and migrate it, under the advisory lock, in one transaction."""
        try:
            with self._connections.connection() as conn, conn.transaction():
                conn.execute(f"SET LOCAL statement_timeout = '{MIGRATION_WAIT}'")
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                current = _version(conn)
                self.found_version = current
                self._check_schema(conn, current)
                for version, script in migrations(DIALECT):
                    if version > current:
                        for statement in statements(script):
                            conn.execute(statement)
                        conn.execute(
                            "INSERT INTO tokenbot_schema (version) VALUES (%s)", (version,)
                        )
        except StorageError:
            self.close()
            raise
        except psycopg.Error as exc:
            self.close()
            raise StorageError(f"cannot use the database {self.path}: {self._why(exc)}") from None

    def _why(self, exc: psycopg.Error) -> str:
        failure = _unavailable(exc)
        detail = _first_line(exc)
        return detail if failure is None else f"{failure.message} ({detail})"

    def _check_schema(self, conn: psycopg.Connection[DictRow], current: int) -> None:
        check_schema(
            self.path,
            current,
            len(migrations(DIALECT)),
            _table_names(conn),
            tables_at(current),
            foreign="give tokenbot a database of its own (or a schema of its own: "
            "?options=-csearch_path%3Dtokenbot)",
            elsewhere="another database",
        )

    def check_integrity(self) -> None:
        """Every table of the schema can be read (PostgreSQL checks its own pages)."""
        try:
            with self._connections.connection() as conn:
                for table in sorted(tables_at(_version(conn))):
                    conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()
        except psycopg.Error as exc:
            raise StorageError(f"cannot read the database {self.path}: {self._why(exc)}") from None

    def ping(self) -> None:
        with self._read() as conn:
            conn.execute("SELECT 1").fetchone()

    # -- connections and failures ------------------------------------------------------------

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[psycopg.Connection[DictRow]]:
        """One transaction; a failure the server causes becomes `StorageUnavailableError`.

        `durable=False` commits without waiting for the server's disk (`synchronous_commit =
        off`): a server crash may lose the last such transactions, never corrupt anything.
        """
        with (
            self._failures(writing=True),
            self._connections.connection() as conn,
            conn.transaction(),
        ):
            if not durable:
                conn.execute("SET LOCAL synchronous_commit = off")
            yield conn

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[DictRow]]:
        with self._failures(writing=False), self._connections.connection() as conn:
            yield conn

    @contextmanager
    def _failures(self, *, writing: bool) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            failure = _unavailable(exc)
            if failure is None:
                raise
            failure.path = self.path
            self._log_failure(failure)
            raise failure from exc
        if writing and self._failing is not None:
            with self._log_lock:
                recovered, self._failing = self._failing is not None, None
            if recovered:
                logger.warning("the database %s works again", self.path)

    def _log_failure(self, failure: StorageUnavailableError) -> None:
        with self._log_lock:
            if self._failing == failure.message:
                return
            self._failing = failure.message
        logger.warning("the database %s cannot be used: %s", self.path, failure.message)

    def _now(self) -> dt.datetime:
        return to_second(self._clock())

    # -- events ------------------------------------------------------------------------------

    def claim_event(self, event_id: str) -> bool:
        now = self._now()
        with self._write() as conn:
            inserted = conn.execute(
                "INSERT INTO events (event_id, seen_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (event_id, now),
            ).rowcount
            if inserted:
                return True
            # A concurrent takeover waits for this row's lock, then finds seen_at renewed.
            taken_over = conn.execute(
                "UPDATE events SET seen_at = %s "
                "WHERE event_id = %s AND finished_at IS NULL AND seen_at < %s",
                (now, event_id, now - EVENT_CLAIM_TIMEOUT),
            ).rowcount
            return taken_over == 1

    def finish_event(self, event_id: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE events SET finished_at = %s WHERE event_id = %s", (self._now(), event_id)
            )

    def release_event(self, event_id: str) -> None:
        with self._write() as conn:
            conn.execute(
                "DELETE FROM events WHERE event_id = %s AND finished_at IS NULL", (event_id,)
            )

    # -- signed requests ---------------------------------------------------------------------

    def claim_signature(self, timestamp: int, signature: str) -> bool:
        oldest = int((self._clock() - SIGNATURE_RETENTION).timestamp())
        with self._write(durable=False) as conn:
            conn.execute("DELETE FROM signatures WHERE request_ts < %s", (oldest,))
            inserted = conn.execute(
                "INSERT INTO signatures (request_ts, signature) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                (timestamp, signature),
            ).rowcount
            return inserted == 1

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
        for _ in range(REFERENCE_ATTEMPTS):
            reference = self._new_reference()
            payload = json.dumps(result_for(reference), ensure_ascii=False, sort_keys=True)
            with self._write() as conn:
                stored = conn.execute(
                    "INSERT INTO estimates (reference, user_id, channel_id, input, result, "
                    "card, created_at) VALUES (%s, %s, %s, %s, %s::json, %s, %s) "
                    "ON CONFLICT (reference) DO NOTHING",
                    (reference, user_id, channel_id, input_text, payload, card, self._now()),
                ).rowcount
            if stored:
                return reference
            # the reference is taken: draw another
        raise RuntimeError("could not find a free estimate reference")

    def get_estimate(self, reference: str) -> StoredEstimate | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT * FROM estimates WHERE reference = %s", (reference.upper(),)
            ).fetchone()
        return None if row is None else _estimate(row)

    def recent_estimates(self, user_id: str, limit: int = 5) -> list[StoredEstimate]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM estimates WHERE user_id = %s ORDER BY created_at DESC, id DESC "
                "LIMIT %s",
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
        with self._write() as conn:
            row = conn.execute(
                "INSERT INTO questions (text, entry_id, score, answered, user_id, channel_id, "
                "thread_ts, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
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
            ).fetchone()
        assert row is not None
        return int(row["id"])

    def thread_question(self, channel_id: str, thread_ts: str) -> str | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT text FROM questions WHERE channel_id = %s AND thread_ts = %s "
                "AND text IS NOT NULL ORDER BY id LIMIT 1",
                (channel_id, thread_ts),
            ).fetchone()
        return None if row is None else str(row["text"])

    def get_question(self, question_id: int) -> StoredQuestion | None:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM questions WHERE id = %s", (question_id,)).fetchone()
        return None if row is None else _question(row)

    def questions(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[StoredQuestion]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM questions WHERE created_at >= %s::timestamptz "
                "AND created_at < %s::timestamptz ORDER BY id",
                _period(since, until),
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
        with self._write() as conn:
            conn.execute(
                "INSERT INTO feedback (entry_id, question, helpful, user_id, created_at, "
                "question_id) VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (user_id, entry_id, question) DO UPDATE SET "
                "helpful = excluded.helpful, created_at = excluded.created_at, "
                "question_id = excluded.question_id",
                (entry_id, question, helpful, user_id, self._now(), question_id),
            )

    def feedback(self, entry_id: str) -> list[tuple[str, bool]]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT user_id, helpful FROM feedback WHERE entry_id = %s ORDER BY id",
                (entry_id,),
            ).fetchall()
        return [(row["user_id"], bool(row["helpful"])) for row in rows]

    def votes(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[StoredVote]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM feedback WHERE created_at >= %s::timestamptz "
                "AND created_at < %s::timestamptz ORDER BY id",
                _period(since, until),
            ).fetchall()
        return [
            StoredVote(
                entry_id=row["entry_id"],
                question=row["question"],
                helpful=bool(row["helpful"]),
                user_id=row["user_id"],
                created_at=_utc(row["created_at"]),
            )
            for row in rows
        ]

    # -- reports and privacy -----------------------------------------------------------------

    def activity(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[Activity]:
        low, high = _period(since, until)
        with self._read() as conn:
            rows = conn.execute(
                "SELECT 'question' AS kind, user_id, created_at FROM questions "
                "WHERE created_at >= %s::timestamptz AND created_at < %s::timestamptz "
                "UNION ALL SELECT 'estimate', user_id, created_at FROM estimates "
                "WHERE created_at >= %s::timestamptz AND created_at < %s::timestamptz "
                "ORDER BY created_at",
                (low, high, low, high),
            ).fetchall()
        return [
            Activity(kind=row["kind"], user_id=row["user_id"], created_at=_utc(row["created_at"]))
            for row in rows
        ]

    def purge(self, now: dt.datetime | None = None) -> Purged:
        now = self._clock() if now is None else now
        texts_before = to_second(now - self._retention)
        events_before = to_second(now - EVENT_RETENTION)
        with self._write() as conn:
            questions = conn.execute(
                "UPDATE questions SET text = NULL WHERE created_at < %s AND text IS NOT NULL",
                (texts_before,),
            ).rowcount
            feedback = conn.execute(
                "UPDATE feedback SET question = NULL "
                "WHERE created_at < %s AND question IS NOT NULL AND question != ''",
                (texts_before,),
            ).rowcount
            events = conn.execute(
                "DELETE FROM events WHERE seen_at < %s", (events_before,)
            ).rowcount
            conn.execute(
                "DELETE FROM signatures WHERE request_ts < %s",
                (int((now - SIGNATURE_RETENTION).timestamp()),),
            )
            replies = conn.execute(
                "UPDATE expert_replies SET text = NULL WHERE created_at < %s AND text IS NOT NULL",
                (texts_before,),
            ).rowcount
        return Purged(
            question_texts=questions, feedback_texts=feedback, events=events, reply_texts=replies
        )

    def forget(self, user_id: str) -> Forgotten:
        with self._write() as conn:
            forwards = conn.execute(
                "DELETE FROM forwards WHERE question_id IN "
                "(SELECT id FROM questions WHERE user_id = %s)",
                (user_id,),
            ).rowcount
            replies = conn.execute(
                "DELETE FROM expert_replies WHERE expert_id = %s", (user_id,)
            ).rowcount
            conn.execute(
                "UPDATE forwards SET forwarded_by = NULL WHERE forwarded_by = %s", (user_id,)
            )
            others = conn.execute(
                "UPDATE feedback SET question = NULL WHERE user_id != %(user)s AND ("
                "question_id IN (SELECT id FROM questions WHERE user_id = %(user)s) OR ("
                "question_id IS NULL AND question != '' AND question IN "
                "(SELECT text FROM questions WHERE user_id = %(user)s AND text IS NOT NULL)))",
                {"user": user_id},
            ).rowcount
            estimates = conn.execute("DELETE FROM estimates WHERE user_id = %s", (user_id,))
            questions = conn.execute("DELETE FROM questions WHERE user_id = %s", (user_id,))
            feedback = conn.execute("DELETE FROM feedback WHERE user_id = %s", (user_id,))
            return Forgotten(
                estimates=estimates.rowcount,
                questions=questions.rowcount,
                feedback=feedback.rowcount,
                others_votes=others,
                forwards=forwards,
                expert_replies=replies,
            )

    # -- questions forwarded to the experts, and their replies -------------------------------

    def claim_forward(
        self, question_id: int, *, forwarded_by: str, experts_channel: str
    ) -> ForwardClaim | None:
        now = self._now()
        with self._write() as conn:
            asked = conn.execute(
                "SELECT id FROM questions WHERE id = %s AND text IS NOT NULL", (question_id,)
            ).fetchone()
            if asked is None:
                return None
            claimed = conn.execute(
                "INSERT INTO forwards (question_id, forwarded_by, experts_channel, created_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (question_id) DO NOTHING",
                (question_id, forwarded_by, experts_channel, now),
            ).rowcount
            if not claimed:
                # A concurrent takeover waits for this row's lock, then finds created_at renewed.
                claimed = conn.execute(
                    "UPDATE forwards SET created_at = %s, forwarded_by = %s, "
                    "experts_channel = %s "
                    "WHERE question_id = %s AND experts_ts IS NULL AND created_at < %s",
                    (
                        now,
                        forwarded_by,
                        experts_channel,
                        question_id,
                        now - FORWARD_CLAIM_TIMEOUT,
                    ),
                ).rowcount
            row = conn.execute(
                FORWARDS_QUERY + " WHERE f.question_id = %s", (question_id,)
            ).fetchone()
        assert row is not None
        return ForwardClaim(_forward(row), claimed=claimed == 1)

    def forward_posted(self, forward_id: int, experts_ts: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE forwards SET experts_ts = %s WHERE id = %s", (experts_ts, forward_id)
            )

    def release_forward(self, forward_id: int) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM forwards WHERE id = %s AND experts_ts IS NULL", (forward_id,))

    def get_forward(self, forward_id: int) -> StoredForward | None:
        with self._read() as conn:
            row = conn.execute(FORWARDS_QUERY + " WHERE f.id = %s", (forward_id,)).fetchone()
            return None if row is None else _with_replies(conn, _forward(row))

    def forward_in_thread(self, experts_channel: str, thread_ts: str) -> StoredForward | None:
        with self._read() as conn:
            row = conn.execute(
                FORWARDS_QUERY + " WHERE f.experts_channel = %s AND f.experts_ts = %s",
                (experts_channel, thread_ts),
            ).fetchone()
        return None if row is None else _forward(row)

    def record_expert_reply(self, forward_id: int, *, expert_id: str, text: str, ts: str) -> bool:
        with self._write() as conn:
            return (
                conn.execute(
                    "INSERT INTO expert_replies (forward_id, expert_id, text, ts, created_at) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (forward_id, ts) DO NOTHING",
                    (forward_id, expert_id, text, ts, self._now()),
                ).rowcount
                == 1
            )

    def claim_relay(self, forward_id: int, interval: dt.timedelta = RELAY_INTERVAL) -> RelayClaim:
        now = self._now()
        with self._write() as conn:
            row = conn.execute(
                "SELECT last_relay_at FROM forwards WHERE id = %s", (forward_id,)
            ).fetchone()
            queued = conn.execute(
                "SELECT * FROM expert_replies WHERE forward_id = %s AND relayed_at IS NULL "
                "ORDER BY ts, id",
                (forward_id,),
            ).fetchall()
            if row is None or not queued:
                return RelayClaim()
            last = row["last_relay_at"]
            previous = None if last is None else _utc(last)
            if previous is not None and previous + interval > now:
                return RelayClaim(previous=previous, wait_until=previous + interval)
            # Compare and set: a concurrent claim re-reads the row once the first commits.
            taken = conn.execute(
                "UPDATE forwards SET last_relay_at = %s "
                "WHERE id = %s AND last_relay_at IS NOT DISTINCT FROM %s::timestamptz",
                (now, forward_id, last),
            ).rowcount
            if taken != 1:  # another caller claimed in between: its relay carries these
                return RelayClaim(previous=previous, wait_until=now + interval)
        return RelayClaim(replies=tuple(_reply(r) for r in queued), previous=previous)

    def finish_relay(self, reply_ids: list[int]) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE expert_replies SET relayed_at = %s WHERE id = ANY(%s)",
                (self._now(), list(reply_ids)),
            )

    def release_relay(self, forward_id: int, previous: dt.datetime | None) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE forwards SET last_relay_at = %s WHERE id = %s",
                (None if previous is None else to_second(previous), forward_id),
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
                FORWARDS_QUERY + " WHERE f.experts_ts IS NOT NULL "
                "AND f.created_at >= %s::timestamptz AND f.created_at < %s::timestamptz "
                "ORDER BY f.id",
                (low, high),
            ).fetchall()
            return [_with_replies(conn, _forward(row)) for row in rows]

    # -- moving house ------------------------------------------------------------------------

    def rows(self, table: str) -> Iterator[Row]:
        columns = COPIED_TABLES[table]
        selected = ", ".join("result::text AS result" if c == "result" else c for c in columns)
        with self._read() as conn:
            found = conn.execute(
                f"SELECT {selected} FROM {table} ORDER BY {', '.join(KEYS[table])}"
            ).fetchall()
        for row in found:
            yield {
                column: _utc(value) if isinstance(value, dt.datetime) else value
                for column, value in row.items()
            }

    def load(self, tables: Mapping[str, Iterable[Row]]) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._write() as conn:
            # No server may write while the copy checks for emptiness and fills the tables.
            conn.execute(f"LOCK TABLE {', '.join(COPIED_TABLES)} IN EXCLUSIVE MODE")
            held = {table: _count(conn, table) for table in COPIED_TABLES}
            refuse_if_held(self.path, held)
            for table, rows in tables.items():
                columns = COPIED_TABLES[table]
                counts[table] = 0
                try:
                    with conn.cursor().copy(
                        f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                    ) as copy:
                        for row in rows:
                            copy.write_row([row[column] for column in columns])
                            counts[table] += 1
                except (psycopg.DataError, psycopg.IntegrityError) as exc:
                    raise StorageError(
                        f"the database {self.path} cannot take the rows of {table}: "
                        f"{_first_line(exc)}; nothing was copied"
                    ) from None
                if "id" in columns:
                    conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"coalesce(max(id), 0) + 1, false) FROM {table}"
                    )
        return counts


class _Connections:
    """A few open connections, reused by the threads of one process.

    A connection is checked before it is handed out (an empty query): one the server dropped
    (a restart, an idle timeout) is thrown away and another made, so the first call after the
    server comes back works. While the server is away, one caller per `RECONNECT_PAUSE` tries
    to connect; the others get the last failure at once instead of waiting.
    """

    def __init__(self, conninfo: dict[str, Any], keep: int = IDLE_CONNECTIONS) -> None:
        self._conninfo = conninfo
        self._keep = keep
        self._idle: list[psycopg.Connection[DictRow]] = []
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._last_failure: psycopg.OperationalError | None = None
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[DictRow]]:
        conn = self._take()
        try:
            yield conn
        finally:
            self._give_back(conn)

    def _take(self) -> psycopg.Connection[DictRow]:
        while True:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the store is closed")
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect()
            try:
                conn.execute("")
            except psycopg.Error:
                conn.close()
                continue
            return conn

    def _connect(self) -> psycopg.Connection[DictRow]:
        with self._lock:
            if time.monotonic() < self._retry_at and self._last_failure is not None:
                # A copy: the same exception object must not be raised in several threads.
                raise psycopg.OperationalError(str(self._last_failure))
            self._retry_at = time.monotonic() + RECONNECT_PAUSE
        try:
            conn = psycopg.connect(autocommit=True, row_factory=dict_row, **self._conninfo)
        except psycopg.OperationalError as exc:
            with self._lock:
                self._last_failure = exc
            raise
        with self._lock:
            self._retry_at = 0.0
            self._last_failure = None
        return conn

    def _give_back(self, conn: psycopg.Connection[DictRow]) -> None:
        healthy = not conn.closed and conn.info.transaction_status == pq.TransactionStatus.IDLE
        with self._lock:
            if healthy and not self._closed and len(self._idle) < self._keep:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _version(conn: psycopg.Connection[DictRow]) -> int:
    row = conn.execute("SELECT to_regclass('tokenbot_schema') IS NOT NULL AS present").fetchone()
    if row is None or not row["present"]:
        return 0
    found = conn.execute("SELECT coalesce(max(version), 0) AS v FROM tokenbot_schema").fetchone()
    return 0 if found is None else int(found["v"])


def _count(conn: psycopg.Connection[DictRow], table: str) -> int:
    row = conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
    return 0 if row is None else int(row["n"])


def _table_names(conn: psycopg.Connection[DictRow]) -> frozenset[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    ).fetchall()
    return frozenset(str(row["tablename"]) for row in rows)


def _unavailable(exc: psycopg.Error) -> StorageUnavailableError | None:
    """The `StorageUnavailableError` for an error the server caused, or None for a code error."""
    state = exc.sqlstate
    if state in _BUSY:
        return StorageBusyError(BUSY)
    if state in _REASONS:
        return StorageUnavailableError(_REASONS[state])
    if isinstance(exc, psycopg.OperationalError) and (state is None or state.startswith("08")):
        return StorageUnavailableError(UNREACHABLE)  # refused, reset, timed out, host unknown
    return None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _period(since: dt.datetime | None, until: dt.datetime | None) -> tuple[Any, Any]:
    return (
        "-infinity" if since is None else to_second(since),
        "infinity" if until is None else to_second(until),
    )


def _without(text: str, url: str) -> str:
    """`text` with the URL's password (if any) blanked out."""
    try:
        password = conninfo_to_dict(url).get("password")
    except psycopg.ProgrammingError:
        match = re.match(r"^[a-z]+://[^:@/]*:([^@/]*)@", url)
        password = match.group(1) if match else None
    return text.replace(str(password), "***") if password else text


def _estimate(row: DictRow) -> StoredEstimate:
    return StoredEstimate(
        reference=row["reference"],
        user_id=row["user_id"],
        channel_id=row["channel_id"],
        input=row["input"],
        result=row["result"],
        card=row["card"],
        created_at=_utc(row["created_at"]),
    )


def _forward(row: DictRow) -> StoredForward:
    return StoredForward(
        id=int(row["id"]),
        question_id=int(row["question_id"]),
        question=row["question"],
        entry_id=row["entry_id"],
        score=float(row["score"]),
        asker_id=row["asker_id"],
        channel_id=row["channel_id"],
        thread_ts=row["thread_ts"],
        forwarded_by=row["forwarded_by"],
        experts_channel=row["experts_channel"],
        experts_ts=row["experts_ts"],
        created_at=_utc(row["created_at"]),
    )


def _reply(row: DictRow) -> StoredReply:
    relayed = row["relayed_at"]
    return StoredReply(
        id=int(row["id"]),
        expert_id=row["expert_id"],
        text=row["text"],
        ts=row["ts"],
        created_at=_utc(row["created_at"]),
        relayed_at=None if relayed is None else _utc(relayed),
    )


def _with_replies(conn: psycopg.Connection[DictRow], forward: StoredForward) -> StoredForward:
    rows = conn.execute(
        "SELECT * FROM expert_replies WHERE forward_id = %s ORDER BY ts, id", (forward.id,)
    ).fetchall()
    return dataclasses.replace(forward, replies=tuple(_reply(row) for row in rows))


def _question(row: DictRow) -> StoredQuestion:
    return StoredQuestion(
        id=int(row["id"]),
        text=row["text"],
        entry_id=row["entry_id"],
        score=float(row["score"]),
        answered=bool(row["answered"]),
        user_id=row["user_id"],
        channel_id=row["channel_id"],
        created_at=_utc(row["created_at"]),
    )
