"""`/tokens report ...`: the admin check, the argument syntax, and the reports as Block Kit.

Messages stay within Slack's limits via `fit()`. Question texts are what users typed: every
one goes through `escape()`.
"""

from __future__ import annotations

from bot.admin import build_report, require_admin, unknown_report
from bot.deps import Deps
from bot.errors import UsageError
from bot.slack.render import Block, Message, context, escape, fit, header, section, trim
from bot.slack.surfaces import COMMAND
from bot.store.reports import (
    REPORTS,
    FeedbackReport,
    GapsReport,
    Period,
    Report,
    UsageReport,
    parse_date,
)

REPORT_USAGE = f"`{COMMAND} report gaps|feedback|usage [SINCE [UNTIL]]`, dates as YYYY-MM-DD"
REFUSAL = (
    f"`{COMMAND} report` is only for the knowledge-base curators listed in "
    "TOKENBOT_ADMINS. Ask one of them if you need a report."
)

MAX_ROWS = 30
"""Groups or entries shown in Slack; the command line shows them all."""
QUESTION_TEXT = 300
WEEKS_PER_SECTION = 40
"""About 2,000 characters of table: inside a section's 3,000."""


def parse_report(argument: str) -> tuple[str, Period]:
    """`gaps 2026-11-01 2026-11-30` -> ("gaps", Period(...)); `UsageError` for anything else."""
    words = argument.split()
    if not words:
        raise UsageError(f"which report? {REPORT_USAGE}")
    name = words[0].lower()
    if name not in REPORTS:
        raise UsageError(unknown_report(name))
    if len(words) > 3:
        raise UsageError(f"too many words: expected {REPORT_USAGE}")
    dates = [parse_date(word) for word in words[1:]]
    return name, Period(*dates)


def report_reply(deps: Deps, argument: str, user_id: str) -> Message:
    """`/tokens report ...`: the report for an admin, a polite refusal for anyone else."""
    require_admin(deps, user_id, REFUSAL)
    name, period = parse_report(argument)
    return render_report(build_report(deps.store, deps.kb, deps.index, name, period))


def render_report(report: Report) -> Message:
    if isinstance(report, GapsReport):
        return render_gaps(report)
    if isinstance(report, FeedbackReport):
        return render_feedback(report)
    return render_usage(report)


def _quoted(text: str) -> str:
    return f"_{escape(trim(' '.join(text.split()), QUESTION_TEXT))}_"


def _more(shown: int, total: int, command: str) -> list[Block]:
    if total <= shown:
        return []
    return [context(f"{total - shown} more: run `tokenbot report {command}` for the full list.")]


def render_gaps(report: GapsReport) -> Message:
    title = f"Gaps: {report.gaps} of {report.questions} questions, {len(report.groups)} groups"
    blocks: list[Block] = [header(title), context(f"Period: {report.period.describe()}")]
    if not report.groups:
        blocks.append(section("No unanswered or low-confidence questions in this period."))
    for group in report.groups[:MAX_ROWS]:
        lines = [
            f"*{group.count} asked* {_quoted(group.question)}",
            f"{group.unanswered} unanswered, {group.low_confidence} low-confidence · "
            f"last asked {group.last_asked.date().isoformat()}",
        ]
        if group.closest is not None:
            lines.append(
                f"Closest: `{escape(group.closest.entry_id)}` "
                f"{escape(group.closest.question)} ({group.closest.score:.2f})"
            )
        if group.wordings:
            lines.append("Also: " + "; ".join(_quoted(w) for w in group.wordings))
        blocks.append(section("\n".join(lines)))
    blocks += _more(MAX_ROWS, len(report.groups), "gaps")
    return fit(escape(title), blocks)


def render_feedback(report: FeedbackReport) -> Message:
    title = f"Feedback: {report.votes} votes on {len(report.entries)} entries"
    blocks: list[Block] = [header(title), context(f"Period: {report.period.describe()}")]
    if not report.entries:
        blocks.append(section("No feedback in this period."))
    for entry in report.entries[:MAX_ROWS]:
        name = escape(entry.question) if entry.question else "_no longer in the knowledge base_"
        lines = [
            f"`{escape(entry.entry_id)}` {name}",
            f"Not helpful *{entry.not_helpful}* · helpful {entry.helpful}",
        ]
        lines += [f"• {_quoted(text)} ({votes})" for text, votes in entry.asked]
        blocks.append(section("\n".join(lines)))
    blocks += _more(MAX_ROWS, len(report.entries), "feedback")
    return fit(escape(title), blocks)


def render_usage(report: UsageReport) -> Message:
    title = (
        f"Usage: {report.questions} questions and {report.estimates} estimates "
        f"in {len(report.weeks)} weeks"
    )
    blocks: list[Block] = [header(title), context(f"Period: {report.period.describe()}")]
    if report.weeks:
        rows = [f"{'week':<10} {'from':<10} {'questions':>9} {'estimates':>9} {'users':>5}"]
        rows += [
            f"{w.week:<10} {w.starts.isoformat():<10} {w.questions:>9} {w.estimates:>9} "
            f"{w.users:>5}"
            for w in report.weeks
        ]
        # Preformatted blocks of WEEKS_PER_SECTION rows: `fit()` would split a longer one
        # mid-table, breaking the ``` fences.
        for start in range(1, len(rows), WEEKS_PER_SECTION):
            chunk = [rows[0], *rows[start : start + WEEKS_PER_SECTION]]
            blocks.append(section("```\n" + "\n".join(chunk) + "\n```"))
    else:
        blocks.append(section("No questions or estimates in this period."))
    return fit(escape(title), blocks)
