"""What the admin commands share: who may run them, and the curator reports over the store.

`/tokens report`, `/tokens audit` (`bot.slack`) and `tokenbot report` (`bot.cli`) come through
here. Only the Slack user ids in `TOKENBOT_ADMINS` may run them in Slack; on the command line,
whoever can read the database file can.
"""

from __future__ import annotations

import difflib

from bot.deps import Deps
from bot.errors import NotAllowedError, UsageError
from bot.store import Store
from bot.store.reports import (
    REPORTS,
    Period,
    Report,
    feedback_report,
    gaps_report,
    usage_report,
)
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index


def require_admin(deps: Deps, user_id: str, refusal: str) -> None:
    """Raise `NotAllowedError(refusal)` for anyone not in TOKENBOT_ADMINS."""
    if user_id not in deps.admins:
        raise NotAllowedError(refusal)


def build_report(
    store: Store, kb: KnowledgeBase, index: Index, name: str, period: Period
) -> Report:
    """The report called `name` over `period` (one of `REPORTS`)."""
    since, until = period.bounds()
    entries = {entry.id: entry for entry in kb.entries}
    if name == "gaps":
        return gaps_report(store.questions(since, until), index, entries, period)
    if name == "feedback":
        return feedback_report(store.votes(since, until), entries, period)
    if name == "usage":
        return usage_report(store.activity(since, until), period)
    raise UsageError(unknown_report(name))


def unknown_report(name: str) -> str:
    """`unknown report 'gap' — did you mean gaps? Reports: gaps, feedback, usage.`"""
    close = difflib.get_close_matches(name, REPORTS, n=1)
    hint = f" — did you mean {close[0]}?" if close else ""
    return f"unknown report '{name}'{hint} Reports: {', '.join(REPORTS)}."
