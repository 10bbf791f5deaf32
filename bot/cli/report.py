"""`tokenbot report gaps|feedback|usage`: the curator's reports on a terminal.

Reads `TOKENBOT_DB` (no Slack token needed) and first deletes question texts older than
`TOKENBOT_RETENTION_DAYS`, as `tokenbot serve` does at start-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from bot.admin import build_report
from bot.cli.stored import existing_store
from bot.cli.table import text_table
from bot.deps import load_knowledge
from bot.errors import UsageError
from bot.store.reports import (
    REPORTS,
    FeedbackReport,
    GapsReport,
    Period,
    Report,
    UsageReport,
    as_json,
    parse_date,
)

EXIT_OK = 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `report gaps|feedback|usage` to the command line."""
    report = commands.add_parser(
        "report",
        help="curator reports: gaps, feedback, usage",
        description="Reports over TOKENBOT_DB for the people who curate the knowledge base.",
    )
    kinds = report.add_subparsers(dest="report", metavar="REPORT", parser_class=type(report))
    kinds.required = True
    helps = {
        "gaps": "unanswered and low-confidence questions, near-identical ones grouped",
        "feedback": 'entries ranked by "not helpful" votes, with the questions asked',
        "usage": "questions, estimates and distinct users per ISO week",
    }
    for name in REPORTS:
        kind = kinds.add_parser(name, help=helps[name], description=helps[name])
        kind.add_argument("--since", type=_date, help="first day, YYYY-MM-DD (default: all)")
        kind.add_argument("--until", type=_date, help="last day, YYYY-MM-DD (default: today)")
        kind.add_argument("--json", action="store_true", help="print one JSON object")
        kind.set_defaults(run=run_report)


def _date(text: str) -> dt.date:
    try:
        return parse_date(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def run_report(args: argparse.Namespace) -> int:
    period = Period(args.since, args.until)
    kb, index = load_knowledge()
    with existing_store() as store:
        store.purge()
        report = build_report(store, kb, index, args.report, period)
    print(json.dumps(as_json(report), indent=2, ensure_ascii=False) if args.json else text(report))
    return EXIT_OK


def text(report: Report) -> str:
    """A report as terminal text."""
    if isinstance(report, GapsReport):
        return _gaps_text(report)
    if isinstance(report, FeedbackReport):
        return _feedback_text(report)
    return _usage_text(report)


def _gaps_text(report: GapsReport) -> str:
    out = [
        f"Gaps: {report.gaps} of {report.questions} questions, in {len(report.groups)} groups "
        f"({report.period.describe()})"
    ]
    for group in report.groups:
        out.append("")
        out.append(f"{group.count:>4} x  {group.question}")
        out.append(
            f"        {group.unanswered} unanswered, {group.low_confidence} low-confidence; "
            f"last asked {group.last_asked.date().isoformat()}"
        )
        if group.closest is not None:
            c = group.closest
            out.append(f"        closest: {c.entry_id} ({c.score:.2f}) {c.question}")
        out += [f"        also: {wording}" for wording in group.wordings]
    return "\n".join(out)


def _feedback_text(report: FeedbackReport) -> str:
    out = [
        f"Feedback: {report.votes} votes on {len(report.entries)} entries "
        f"({report.period.describe()})"
    ]
    for entry in report.entries:
        out.append("")
        name = entry.question or "(no longer in the knowledge base)"
        out.append(f"{entry.not_helpful:>4} not helpful, {entry.helpful} helpful  {entry.entry_id}")
        out.append(f"        {name}")
        out += [f"        asked ({votes}): {question}" for question, votes in entry.asked]
    return "\n".join(out)


def _usage_text(report: UsageReport) -> str:
    out = [
        f"Usage: {report.questions} questions, {report.estimates} estimates "
        f"({report.period.describe()})",
        "",
    ]
    rows = [["Week", "From", "Questions", "Estimates", "Users"]]
    rows += [
        [w.week, w.starts.isoformat(), str(w.questions), str(w.estimates), str(w.users)]
        for w in report.weeks
    ]
    out += text_table(rows, right=frozenset({2, 3, 4}))
    return "\n".join(out)
