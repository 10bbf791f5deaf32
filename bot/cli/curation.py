"""`tokenbot kb drafts` and `tokenbot kb due`: the curation loop on a terminal.

`kb drafts` lists the questions forwarded to the experts' channel with the experts' replies
(from `TOKENBOT_DB`), and `--export DIR` writes each answered one as a draft entry in the
knowledge base's own format, for a curator to finish. `kb due` lists the entries whose review
date has passed or falls within N days, by owner; `--post` posts that list to the experts'
channel (`TOKENBOT_EXPERTS_CHANNEL`, with `SLACK_BOT_TOKEN`), for a weekly cron.

The post is one `chat.postMessage` made with `requests`: the command line imports no Slack
library (only `tokenbot serve` starts the Slack app).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from bot.cli.stored import existing_store
from bot.errors import SettingsError, SlackError, UsageError
from bot.settings import Settings
from bot.store import StoredForward
from bot.store.reports import Period, parse_date
from bot.text.drafts import draft_lines, draft_of
from knowledge import loader
from knowledge.drafts import render_draft
from knowledge.entries import Entry
from knowledge.reviews import DEFAULT_NOTICE_DAYS, OwnerDue, due_for_review

EXIT_OK = 0
SLACK_API_URL = "https://slack.com/api/"
POST_TIMEOUT = 10
"""Seconds the reminder post may take."""
MAX_POST_TEXT = 39_000
"""Slack truncates a message's text at 40,000 characters; the list stops before that."""


def register(actions: argparse._SubParsersAction[Any]) -> None:
    """Add `drafts` and `due` to `tokenbot kb`."""
    drafts = actions.add_parser(
        "drafts",
        help="questions forwarded to the experts, with their replies; --export writes drafts",
        description="List the questions forwarded to the experts' channel and the experts' "
        "replies (from TOKENBOT_DB), or with --export write each answered one as a draft "
        "entry (Markdown with front matter) for a curator to finish and commit.",
    )
    drafts.add_argument("--since", type=_date, help="first day, YYYY-MM-DD (default: all)")
    shape = drafts.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print JSON")
    shape.add_argument(
        "--export", type=Path, metavar="DIR", help="write one draft file per answered question"
    )
    drafts.set_defaults(run=run_drafts)

    due = actions.add_parser(
        "due",
        help="entries due for review (passed, or within N days), by owner; --post to Slack",
        description="List the knowledge-base entries whose review date has passed or falls "
        "within N days, grouped by owner. --post posts the list to TOKENBOT_EXPERTS_CHANNEL "
        "(needs SLACK_BOT_TOKEN), e.g. from a weekly cron.",
    )
    due.add_argument(
        "--days",
        type=_days,
        default=DEFAULT_NOTICE_DAYS,
        help=f"look this many days ahead (default {DEFAULT_NOTICE_DAYS})",
    )
    due.add_argument("--faq", type=Path, default=loader.FAQ_DIR, help="FAQ directory")
    shape = due.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print JSON")
    shape.add_argument("--post", action="store_true", help="post the list to the experts' channel")
    due.set_defaults(run=run_due)


def _count(number: int, noun: str) -> str:
    """`1 entry`, `2 entries`, `3 questions`."""
    if number == 1:
        return f"1 {noun}"
    return f"{number} {noun[:-1]}ies" if noun.endswith("y") else f"{number} {noun}s"


def _date(text: str) -> dt.date:
    try:
        return parse_date(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _days(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of days: expected 0 or more")
    return int(text)


# -- kb drafts ------------------------------------------------------------------------------


def run_drafts(args: argparse.Namespace) -> int:
    period = Period(args.since, None)
    since, _ = period.bounds()
    with existing_store() as store:
        store.purge()
        forwards = store.drafts(since)
    if args.export is not None:
        print(export(forwards, args.export))
    elif args.json:
        print(json.dumps([draft_json(f) for f in forwards], indent=2, ensure_ascii=False))
    else:
        print(drafts_text(forwards, period))
    return EXIT_OK


def drafts_text(forwards: list[StoredForward], period: Period) -> str:
    if not forwards:
        return f"No questions forwarded to the experts ({period.describe()})."
    answered = sum(1 for f in forwards if f.replies)
    lines = [
        f"Drafts: {_count(len(forwards), 'question')} forwarded to the experts, "
        f"{answered} answered ({period.describe()})"
    ]
    for forward in forwards:
        lines += ["", *draft_lines(forward)]
    lines += ["", "Write them as draft entries: tokenbot kb drafts --export DIR"]
    return "\n".join(lines)


def draft_json(forward: StoredForward) -> dict[str, Any]:
    return {
        "id": forward.id,
        "asked_at": forward.created_at.isoformat(),
        "question": forward.question,
        "asker": forward.asker_id,
        "channel": forward.channel_id,
        "thread_ts": forward.thread_ts,
        "matched": forward.entry_id,
        "score": forward.score,
        "forwarded_by": forward.forwarded_by,
        "experts_channel": forward.experts_channel,
        "experts_ts": forward.experts_ts,
        "replies": [
            {
                "expert": reply.expert_id,
                "text": reply.text,
                "at": reply.created_at.isoformat(),
                "relayed": reply.relayed_at is not None,
            }
            for reply in forward.replies
        ],
    }


def export(forwards: list[StoredForward], directory: Path) -> str:
    """Write a draft file per answered forward into `directory`; never overwrite a file."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot write drafts to {directory}: {exc.strerror or exc} (give a directory)"
        ) from None
    known = [entry.id for entry in loader.load_knowledge_base().entries]
    written: list[Path] = []
    kept: list[Path] = []
    waiting = 0
    for forward in forwards:
        draft = draft_of(forward, known)
        if draft is None:
            waiting += 1
            continue
        path = directory / f"{draft.entry_id}.md"
        try:
            with path.open("x", encoding="utf-8") as out:
                out.write(render_draft(draft))
        except FileExistsError:
            kept.append(path)
            continue
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    lines = [f"Wrote {_count(len(written), 'draft entry')} to {directory}:"]
    lines += [f"  {path}" for path in written]
    if kept:
        lines.append(
            f"Left {_count(len(kept), 'existing file')} alone (a curator may be editing them):"
        )
        lines += [f"  {path}" for path in kept]
    if waiting:
        lines.append(
            f"Skipped {_count(waiting, 'question')} with no reply from the experts yet (or "
            "whose texts were removed after the retention period)."
        )
    lines.append(
        "Finish each one (the comments at the top say how), move it to knowledge/faq, and "
        "run tokenbot kb check: it refuses a draft that is not finished."
    )
    return "\n".join(lines)


# -- kb due ---------------------------------------------------------------------------------


def run_due(args: argparse.Namespace) -> int:
    card = loader.load_cards()[loader.DEFAULT_CARD]
    entries = loader.load_entries(args.faq, card.placeholders())
    today = dt.date.today()
    due = due_for_review(entries, today, args.days)
    if args.json:
        print(json.dumps(due_json(due, today, args.days), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(due_text(due, today, args.days))
    if args.post:
        if not due:
            print("Nothing posted: nothing is due.")
            return EXIT_OK
        settings = Settings.from_env(os.environ)
        if settings.experts_channel is None:
            raise SettingsError(
                "TOKENBOT_EXPERTS_CHANNEL is not set: --post posts the list to the experts' "
                "channel; set it to that channel's id (e.g. C012AB3CD)"
            )
        post_message(settings, settings.experts_channel, due_mrkdwn(due, today, args.days))
        print(f"Posted to the experts' channel {settings.experts_channel}.")
    return EXIT_OK


def _overdue(entry: Entry, today: dt.date) -> str:
    days = (today - entry.review_due).days
    if days > 0:
        return f"overdue by {days} day{'s' if days != 1 else ''}"
    if days == 0:
        return "due today"
    return f"due in {-days} day{'s' if days != -1 else ''}"


def due_text(due: list[OwnerDue], today: dt.date, days: int) -> str:
    horizon = today + dt.timedelta(days=days)
    count = sum(len(group.entries) for group in due)
    if not count:
        return f"Nothing due for review by {horizon.isoformat()} (within {days} days)."
    lines = [
        f"Due for review by {horizon.isoformat()} (within {days} days): {_count(count, 'entry')}"
    ]
    for group in due:
        lines += ["", f"{group.owner or 'No owner'} ({len(group.entries)})"]
        lines += [
            f"  {entry.review_due.isoformat()}  {_overdue(entry, today):<18} {entry.id}  "
            f"{entry.question}"
            for entry in group.entries
        ]
    return "\n".join(lines)


def _escape(text: str) -> str:
    """Slack mrkdwn's three special characters (the entry questions are curated text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def due_mrkdwn(due: list[OwnerDue], today: dt.date, days: int) -> str:
    """The list for the experts' channel: each owner mentioned, so that they are reminded."""
    horizon = today + dt.timedelta(days=days)
    count = sum(len(group.entries) for group in due)
    lines = [
        f"*Knowledge-base entries due for review by {horizon.isoformat()}* ({count}); "
        "`tokenbot kb due` lists them too."
    ]
    for group in due:
        owner = f"<@{group.owner}>" if group.owner else "No owner"
        lines.append(f"\n*{owner}* ({len(group.entries)})")
        lines += [
            f"• `{entry.id}` {_escape(entry.question)}: {_overdue(entry, today)}"
            for entry in group.entries
        ]
    text = "\n".join(lines)
    if len(text) > MAX_POST_TEXT:
        text = text[: text.rfind("\n", 0, MAX_POST_TEXT)] + "\n… (more: run `tokenbot kb due`)"
    return text


def due_json(due: list[OwnerDue], today: dt.date, days: int) -> dict[str, Any]:
    return {
        "today": today.isoformat(),
        "days": days,
        "due_by": (today + dt.timedelta(days=days)).isoformat(),
        "owners": [
            {
                "owner": group.owner,
                "entries": [
                    {
                        "id": entry.id,
                        "question": entry.question,
                        "last_reviewed": entry.last_reviewed.isoformat(),
                        "review_due": entry.review_due.isoformat(),
                        "overdue_days": (today - entry.review_due).days,
                    }
                    for entry in group.entries
                ],
            }
            for group in due
        ],
    }


_REFUSALS = {
    "not_in_channel": "tokenbot is not in the experts' channel: invite it (/invite @tokenbot)",
    "channel_not_found": "the channel in TOKENBOT_EXPERTS_CHANNEL was not found (or is private "
    "and tokenbot is not in it)",
    "is_archived": "the experts' channel is archived",
    "invalid_auth": "Slack refused SLACK_BOT_TOKEN (invalid_auth)",
    "not_authed": "Slack refused SLACK_BOT_TOKEN (not_authed)",
    "token_revoked": "SLACK_BOT_TOKEN was revoked",
}


def post_message(settings: Settings, channel: str, text: str) -> None:
    """`chat.postMessage` with the bot token; `SlackError` saying why it was not posted."""
    import requests  # only `kb due --post` needs it: kept out of every CLI start-up

    url = (settings.slack_api_url or SLACK_API_URL) + "chat.postMessage"
    try:
        response = requests.post(
            url,
            json={"channel": channel, "text": text, "unfurl_links": False},
            headers={"Authorization": f"Bearer {settings.bot_token.get_secret_value()}"},
            timeout=POST_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise SlackError(f"could not reach Slack to post the list ({type(exc).__name__})") from None
    if response.status_code == 429:
        wait = response.headers.get("Retry-After", "a few")
        raise SlackError(f"Slack is rate-limiting posts: try again in {wait} seconds")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code != 200 or not isinstance(answer, dict):
        raise SlackError(f"Slack answered HTTP {response.status_code}; nothing was posted")
    if not answer.get("ok"):
        error = str(answer.get("error") or "no reason given")
        raise SlackError(f"not posted: {_REFUSALS.get(error, f'Slack refused the post ({error})')}")
