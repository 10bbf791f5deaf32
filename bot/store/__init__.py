"""Adapter: everything tokenbot remembers, behind one `Store`, with its migrations and reports.

Callers open a database with `open_store(target)` (a sqlite path, or a `postgresql://` URL)
and use the `Store` interface; they do not know which backend they have. `snapshots` (what a
stored estimate said) and `reports` (the curator's reports over stored rows) are pure.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from bot.store.base import (
    BUSY_TIMEOUT_MS,
    COPIED_TABLES,
    DEFAULT_RETENTION,
    REFERENCE,
    RELAY_INTERVAL,
    Activity,
    Backend,
    Clock,
    Forgotten,
    ForwardClaim,
    Purged,
    RelayClaim,
    Store,
    StoredEstimate,
    StoredForward,
    StoredQuestion,
    StoredReply,
    StoredVote,
    backend_of,
    random_reference,
    utc_now,
)
from bot.store.sqlite import SqliteStore

__all__ = [
    "BUSY_TIMEOUT_MS",
    "COPIED_TABLES",
    "REFERENCE",
    "RELAY_INTERVAL",
    "Activity",
    "Backend",
    "Forgotten",
    "ForwardClaim",
    "Purged",
    "RelayClaim",
    "SqliteStore",
    "Store",
    "StoredEstimate",
    "StoredForward",
    "StoredQuestion",
    "StoredReply",
    "StoredVote",
    "backend_of",
    "copy_store",
    "open_store",
]

# A failing database is logged by the store; where the entry point configured no logging (the
# one-line command-line tools), those lines stay out of the terminal.
logging.getLogger(__name__).addHandler(logging.NullHandler())


def open_store(
    target: str | Path,
    *,
    clock: Clock = utc_now,
    new_reference: Callable[[], str] = random_reference,
    retention: dt.timedelta = DEFAULT_RETENTION,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    lazy: bool = False,
) -> Store:
    """The store `target` names: a `postgresql://` URL, or else a sqlite file path.

    The database is checked and migrated to the latest schema on opening (`StorageError` if it
    cannot be used). `lazy=True` (PostgreSQL) connects on first use instead and checks nothing:
    for a server's worker processes, opened after the master checked the database, so that a
    database that blinks while a worker starts costs that worker's first writes, not its start.
    A sqlite file is always checked (it is local: opening it does not wait on a network).
    """
    if backend_of(str(target)) == "postgresql":
        # Imported here: psycopg is loaded only by those who use PostgreSQL.
        from bot.store.postgres import PostgresStore

        return PostgresStore(
            str(target),
            clock=clock,
            new_reference=new_reference,
            retention=retention,
            busy_timeout_ms=busy_timeout_ms,
            lazy=lazy,
        )
    return SqliteStore(
        target,
        clock=clock,
        new_reference=new_reference,
        retention=retention,
        busy_timeout_ms=busy_timeout_ms,
    )


def copy_store(source: Store, target: Store) -> dict[str, int]:
    """Copy every row of `source` into the empty `target` (ids and references kept).

    One transaction on the target: it holds all the rows or none. Returns the count per table,
    checked against the source's.
    """
    copied = target.load({table: source.rows(table) for table in COPIED_TABLES})
    for table, count in copied.items():
        found = sum(1 for _ in target.rows(table))
        if found != count:
            raise RuntimeError(f"copied {count} rows of {table}, but the target holds {found}")
    return copied
