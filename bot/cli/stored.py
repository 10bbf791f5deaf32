"""`tokenbot show` and `tokenbot forget`: the stored estimates and user data on a terminal.

The database is `TOKENBOT_DB` (default `./tokenbot.db`); no Slack token is needed. Problems
(a missing, unreadable or damaged file, an unknown reference) are one line on stderr and a
non-zero exit, from `bot.cli.main`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from bot.cli.estimate import render_snapshot
from bot.cli.table import terminal_width
from bot.errors import StorageError, UnknownReferenceError
from bot.settings import StoreSettings
from bot.store import REFERENCE, Store, StoredEstimate, backend_of, open_store
from bot.store.snapshots import EstimateSnapshot
from bot.text.tickets import ticket_for_estimate

EXIT_OK = 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `show` and `forget` to the command line."""
    show = commands.add_parser(
        "show",
        help="a stored estimate again, exactly as computed (e.g. show E-7K2QM9TX)",
        description="Show a stored estimate by its reference, with the rate card and date it "
        "used. Reads TOKENBOT_DB (default ./tokenbot.db).",
    )
    show.add_argument("reference", metavar="REF", help="the estimate's reference, e.g. E-7K2QM9TX")
    shape = show.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print the stored JSON")
    shape.add_argument(
        "--ticket",
        action="store_true",
        help="print the plain-text block to paste into a support ticket",
    )
    show.set_defaults(run=run_show)

    forget = commands.add_parser(
        "forget",
        help="delete every stored row of one Slack user (data-protection requests)",
        description="Delete the estimates, questions, feedback, questions forwarded to the "
        "experts and replies written as an expert of one Slack user id from TOKENBOT_DB, and "
        "say how many rows were removed.",
    )
    forget.add_argument("user_id", metavar="USER_ID", help="Slack user id, e.g. U012AB3CD")
    forget.set_defaults(run=run_forget)


def existing_store() -> Store:
    """The database named by the environment; a sqlite file must exist (never created here)."""
    settings = StoreSettings.from_env(os.environ)
    target = settings.db
    if backend_of(target) == "sqlite" and not Path(target).is_file():
        raise StorageError(
            f"no database at {target}: set TOKENBOT_DB to the file (or postgresql:// URL) "
            "`tokenbot serve` uses"
        )
    return open_store(target, retention=dt.timedelta(days=settings.retention_days))


def run_show(args: argparse.Namespace) -> int:
    wanted = args.reference.strip().upper()
    if not REFERENCE.match(wanted):
        raise UnknownReferenceError(
            f"'{args.reference}' is not an estimate reference: they look like E-7K2QM9TX "
            "(or E-7K2Q, from older versions)"
        )
    with existing_store() as store:
        stored = store.get_estimate(wanted)
    if stored is None:
        raise UnknownReferenceError(f"no estimate {wanted} in {store.path}")
    if args.json:
        print(json.dumps(stored_json(stored), indent=2, ensure_ascii=False))
    elif args.ticket:
        snapshot = EstimateSnapshot.from_json(stored.result)
        print(ticket_for_estimate(snapshot, in_slack=False))
    else:
        print(render_stored(stored))
    return EXIT_OK


def run_forget(args: argparse.Namespace) -> int:
    user_id = args.user_id.strip()
    with existing_store() as store:
        removed = store.forget(user_id)
    print(
        f"Removed for {user_id}: {removed.estimates} estimates, {removed.questions} questions, "
        f"{removed.feedback} feedback votes, {removed.forwards} questions forwarded to the "
        f"experts and {removed.expert_replies} replies written as an expert; their question "
        f"text from {removed.others_votes} votes by other users."
    )
    return EXIT_OK


def stored_json(stored: StoredEstimate) -> dict[str, Any]:
    return {
        "reference": stored.reference,
        "created_at": stored.created_at.isoformat(),
        "user_id": stored.user_id,
        "channel_id": stored.channel_id,
        "input": stored.input,
        "card": stored.card,
        "estimate": stored.result,
    }


def render_stored(stored: StoredEstimate, width: int | None = None) -> str:
    """A stored estimate as it was computed: lines, totals, assumptions, card and date."""
    snapshot = EstimateSnapshot.from_json(stored.result)
    made = stored.created_at.strftime("%Y-%m-%d %H:%M UTC")
    footer = f"For a ticket: tokenbot show --ticket {snapshot.reference}"
    return render_snapshot(snapshot, width or terminal_width(), made=made, footer=footer)
