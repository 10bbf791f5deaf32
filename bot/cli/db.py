"""`tokenbot db migrate` and `tokenbot db copy`: the database itself, for deploys and moves.

`migrate` brings `TOKENBOT_DB` (or `--db`) to the latest schema and says from which version:
a deploy pipeline runs it before starting the new servers (they would migrate too, but a failing
migration is better seen in the pipeline). `copy SRC DST` copies every row of one database into
an empty other one, ids and estimate references intact (sqlite to PostgreSQL, or back), then
reads both again and compares them row by row. Problems are one line on stderr, from
`bot.cli.main`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from bot.errors import StorageError, UsageError
from bot.settings import StoreSettings
from bot.store import COPIED_TABLES, Store, backend_of, copy_store, open_store

EXIT_OK = 0
NOUNS = {
    "estimates": "estimates",
    "questions": "questions",
    "feedback": "feedback votes",
    "events": "Slack event ids",
    "signatures": "request signatures",
    "forwards": "questions forwarded to the experts",
    "expert_replies": "expert replies",
}


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `db migrate` and `db copy` to the command line."""
    db = commands.add_parser(
        "db",
        help="the database itself: migrate it, or copy it to another (sqlite -> PostgreSQL)",
        description="Database maintenance. A database is a sqlite file path or a "
        "postgresql://USER@HOST:PORT/DATABASE URL.",
    )
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", parser_class=type(db))
    actions.required = True
    migrate = actions.add_parser(
        "migrate",
        help="bring the database to the latest schema (safe to run while servers run)",
        description="Apply the schema migrations TOKENBOT_DB (or --db) lacks, in one "
        "transaction; servers starting at the same time wait for it.",
    )
    migrate.add_argument("--db", metavar="TARGET", help="the database (default: TOKENBOT_DB)")
    migrate.set_defaults(run=run_migrate)
    copy = actions.add_parser(
        "copy",
        help="copy every row of SRC into the empty DST (e.g. tokenbot.db -> postgresql://...)",
        description="Copy every estimate, question, vote, event id and signature of SRC into "
        "DST, keeping ids and references, then compare both row by row. DST must be empty "
        "(it is created and migrated if need be); SRC is migrated to the latest schema first, "
        "as any tokenbot command would.",
    )
    copy.add_argument("source", metavar="SRC", help="the database to copy from")
    copy.add_argument("target", metavar="DST", help="the empty database to copy into")
    copy.set_defaults(run=run_copy)


def run_migrate(args: argparse.Namespace) -> int:
    target = args.db or StoreSettings.from_env(os.environ).db
    with open_store(target) as store:
        now, before = store.version, store.found_version
    if before == now:
        print(f"{store.path}: schema version {now}, up to date")
    else:
        print(f"{store.path}: schema version {now} (was {before})")
    return EXIT_OK


def run_copy(args: argparse.Namespace) -> int:
    source, target = args.source.strip(), args.target.strip()
    if _same(source, target):
        raise UsageError(f"SRC and DST are the same database ({source}): name two databases")
    if backend_of(source) == "sqlite" and not Path(source).is_file():
        raise StorageError(f"no database at {source}: SRC must be an existing tokenbot database")
    with open_store(source) as src, open_store(target) as dst:
        copied = copy_store(src, dst)
        _compare(src, dst)
        print(f"Copied {src.path} to {dst.path}: " + _counts(copied) + ".")
        print("Compared row by row: every estimate reference resolves on the target.")
    return EXIT_OK


def _same(source: str, target: str) -> bool:
    if backend_of(source) == backend_of(target) == "sqlite":
        return Path(source).resolve() == Path(target).resolve()
    return source == target


def _compare(source: Store, target: Store) -> None:
    for table in COPIED_TABLES:
        if list(source.rows(table)) != list(target.rows(table)):
            raise StorageError(
                f"the copy of {table} in {target.path} differs from {source.path}: "
                "delete the target's rows and copy again"
            )


def _counts(copied: dict[str, int]) -> str:
    return ", ".join(f"{copied.get(table, 0)} {NOUNS[table]}" for table in COPIED_TABLES)
