"""Curator reports for the admins, shared by `/tokens report ...` and `tokenbot report ...`.

Reads the rows from the store, hands them to the pure functions of `bot.reports`, and (for
Slack) renders the result. Only the Slack user ids in `TOKENBOT_ADMINS` may run them in Slack.
"""

from __future__ import annotations

import difflib

from bot import render_reports
from bot.deps import Deps
from bot.errors import NotAllowedError, UsageError
from bot.render import Message
from bot.reports import (
    REPORTS,
    Period,
    Report,
    feedback_report,
    gaps_report,
    parse_date,
    usage_report,
)
from bot.storage import Store
from bot.surfaces import COMMAND
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index

REPORT_USAGE = f"`{COMMAND} report gaps|feedback|usage [SINCE [UNTIL]]`, dates as YYYY-MM-DD"


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
    raise UsageError(_unknown_report(name))


def parse_report(argument: str) -> tuple[str, Period]:
    """`gaps 2026-11-01 2026-11-30` -> ("gaps", Period(...)); `UsageError` for anything else."""
    words = argument.split()
    if not words:
        raise UsageError(f"which report? {REPORT_USAGE}")
    name = words[0].lower()
    if name not in REPORTS:
        raise UsageError(_unknown_report(name))
    if len(words) > 3:
        raise UsageError(f"too many words: expected {REPORT_USAGE}")
    dates = [parse_date(word) for word in words[1:]]
    return name, Period(*dates)


def _unknown_report(name: str) -> str:
    close = difflib.get_close_matches(name, REPORTS, n=1)
    hint = f" — did you mean {close[0]}?" if close else ""
    return f"unknown report '{name}'{hint} Reports: {', '.join(REPORTS)}."


def report_reply(deps: Deps, argument: str, user_id: str) -> Message:
    """`/tokens report ...`: the report for an admin, a polite refusal for anyone else."""
    if user_id not in deps.admins:
        raise NotAllowedError(
            f"`{COMMAND} report` is only for the knowledge-base curators listed in "
            "TOKENBOT_ADMINS. Ask one of them if you need a report."
        )
    name, period = parse_report(argument)
    return render_reports.render_report(build_report(deps.store, deps.kb, deps.index, name, period))
