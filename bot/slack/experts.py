"""Ask the experts: an unanswered question goes to the experts' channel, their replies to the asker.

A click on **Ask the experts** claims the logged question in the store (once per question,
whichever process handles the click), posts it to `TOKENBOT_EXPERTS_CHANNEL` with who asked,
where, what tokenbot matched and a link to the original, records the post, and tells the clicker.

Each reply in the thread of that post is kept (the draft entry `tokenbot kb drafts` lists) and
relayed to the asker, naming the expert: in the thread the question was answered in, or by DM for
a `/tokens` question (its answer was ephemeral, so there is no thread). At most one relay a minute
per question: replies that come sooner are queued and then sent together, in one message, when
the minute is up (a timer in the process that queued them; replies still queued when a process
stops are sent by the next start-up, or with the next reply). The store decides which process
relays, so several workers never relay the same reply twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.errors import StaleActionError, StorageUnavailableError, UsageError
from bot.slack import render
from bot.slack.background import Schedule
from bot.slack.buttons import ButtonValue
from bot.slack.render import Message, context, echo, escape, fit, section, trim
from bot.store import StoredForward, StoredReply
from knowledge.matching import search

logger = logging.getLogger(__name__)

QUESTION_SHOWN = 2000
"""Characters of the question quoted in the experts' channel (the rest is in the draft)."""
QUESTION_RECALLED = 300
"""Characters of the question recalled above a relayed reply."""
REPLY_SUBTYPES = frozenset({"thread_broadcast", "file_share"})
"""A reply also sent to the channel, or one with a file, is still a person's reply."""
_SPECIAL_MENTION = re.compile(r"<![^>]*>")
"""`<!channel>`, `<!here>`, `<!subteam^S123>`...: an expert's text must not ping the asker's
channel when relayed."""

NOT_SET_UP = "asking the experts is not set up here (TOKENBOT_EXPERTS_CHANNEL is not set)"
RELAYED_NOTE = (
    "Relayed from the experts' channel. Not in the knowledge base yet: a curator checks it "
    "before it becomes an answer."
)


@dataclass(frozen=True)
class ThreadReply:
    """A person's message in a thread of the experts' channel."""

    channel_id: str
    thread_ts: str
    ts: str
    user_id: str
    text: str

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> ThreadReply:
        return cls(
            channel_id=event["channel"],
            thread_ts=event["thread_ts"],
            ts=event["ts"],
            user_id=event["user"],
            text=event["text"],
        )


def is_thread_reply(experts_channel: str | None, event: dict[str, Any]) -> bool:
    """A person's new reply in a thread of the experts' channel (not a bot's, not an edit)."""
    thread, text = event.get("thread_ts"), event.get("text")
    return (
        experts_channel is not None
        and event.get("channel") == experts_channel
        and isinstance(thread, str)
        and thread != event.get("ts")
        and isinstance(event.get("ts"), str)
        and event.get("subtype") in (None, *REPLY_SUBTYPES)
        and not event.get("bot_id")
        and "edited" not in event
        and isinstance(event.get("user"), str)
        and isinstance(text, str)
        and bool(text.strip())
    )


def in_a_forwarded_thread(deps: Deps, event: dict[str, Any]) -> bool:
    """A message in the thread of a forwarded question: for the asker, not a question to answer.

    A database that is away answers False (the message is then answered as a question).
    """
    thread = event.get("thread_ts")
    if deps.experts_channel is None or event.get("channel") != deps.experts_channel:
        return False
    if not isinstance(thread, str):
        return False
    try:
        return deps.store.forward_in_thread(deps.experts_channel, thread) is not None
    except StorageUnavailableError:
        return False


# -- forwarding -----------------------------------------------------------------------------


def forward(deps: Deps, client: WebClient, clicker: str, value: ButtonValue) -> Message:
    """Post the question behind an **Ask the experts** click to the experts, once; the reply
    to the clicker says what happened."""
    channel = deps.experts_channel
    if channel is None:
        raise UsageError(NOT_SET_UP)
    if value.question_id is None:
        raise StaleActionError("that button is out of date; ask again")
    try:
        claim = deps.store.claim_forward(
            value.question_id, forwarded_by=clicker, experts_channel=channel
        )
    except StorageUnavailableError as exc:
        return render.render_notice(
            f"Not forwarded to the experts ({exc.message}); please try again in a moment."
        )
    if claim is None:
        raise StaleActionError("that question is no longer stored, so it cannot be forwarded")
    if not claim.claimed:
        return _already(claim.forward)
    question = claim.forward
    try:
        post = experts_post(deps, question, _permalink(client, question))
        posted = client.chat_postMessage(channel=channel, **post.as_kwargs())
    except SlackApiError as exc:
        _release(deps, question.id)
        reason = _refusal(exc)
        logger.warning("could not post to the experts' channel %s: %s", channel, reason)
        return render.render_notice(f"Not forwarded to the experts: {reason}.")
    except BaseException:
        _release(deps, question.id)
        raise
    try:
        deps.store.forward_posted(question.id, str(posted["ts"]))
    except StorageUnavailableError as exc:
        return render.render_notice(
            f"Forwarded to the experts in <#{channel}>, but their replies cannot be relayed "
            f"to you ({exc.message}): look for them in that channel."
        )
    return render.render_notice(
        f"Forwarded to the experts in <#{channel}>. When one of them replies, I'll "
        f"{_where_replies_go(question)}."
    )


def _release(deps: Deps, forward_id: int) -> None:
    with contextlib.suppress(StorageUnavailableError):  # logged; the claim expires by itself
        deps.store.release_forward(forward_id)


def _where_replies_go(question: StoredForward) -> str:
    if question.thread_ts is None:
        return "send it to you by direct message"
    return "post it here in the thread"


def _already(question: StoredForward) -> Message:
    if question.experts_ts is None:
        return render.render_notice("This question is being forwarded to the experts right now.")
    return render.render_notice(
        f"Already forwarded to the experts in <#{question.experts_channel}> on "
        f"{question.created_at.date().isoformat()}; when one of them replies, I'll "
        f"{_where_replies_go(question)}."
    )


def _refusal(exc: SlackApiError) -> str:
    error = exc.response.get("error") if exc.response is not None else None
    if error == "not_in_channel":
        return (
            "tokenbot is not in the experts' channel; someone there can add it (/invite @tokenbot)"
        )
    if error == "channel_not_found":
        return (
            "the experts' channel was not found; check TOKENBOT_EXPERTS_CHANNEL, and invite "
            "tokenbot to it if it is private"
        )
    if error == "is_archived":
        return "the experts' channel is archived"
    return f"Slack refused the post ({error or 'no reason given'})"


def _permalink(client: WebClient, question: StoredForward) -> str | None:
    """A link to the thread the question was asked in; none for `/tokens` (ephemeral) or a DM,
    which the experts could not open."""
    if question.thread_ts is None or question.channel_id.startswith("D"):
        return None
    try:
        found = client.chat_getPermalink(channel=question.channel_id, message_ts=question.thread_ts)
    except (SlackApiError, OSError):
        return None
    link = found.get("permalink")
    return link if isinstance(link, str) else None


def matched_text(deps: Deps, question: StoredForward) -> str:
    """What tokenbot made of the question, for the experts (mrkdwn)."""
    score = f"score {question.score:.2f}"
    if question.entry_id is not None:
        return (
            f"tokenbot answered with `{escape(question.entry_id)}` ({score}); the asker found "
            "it not helpful"
        )
    closest = search(deps.index, question.question or "").suggestions
    if closest:
        names = ", ".join(f"`{escape(s.entry_id)}`" for s in closest)
        return f"tokenbot was not sure ({score}); closest entries: {names}"
    return f"tokenbot did not know ({score})"


def experts_post(deps: Deps, question: StoredForward, permalink: str | None) -> Message:
    """The question as the experts see it: who asked, where, what tokenbot matched, a link."""
    text = question.question or ""
    if question.thread_ts is None:
        where = "privately with `/tokens` (replies reach them by direct message)"
    elif question.channel_id.startswith("D"):
        where = "in a direct message to tokenbot"
    else:
        where = f"in <#{question.channel_id}>"
    asked = f"Asked by <@{question.asker_id}> {where}"
    if permalink:
        asked += f" · {render.link(permalink, 'the original')}"
    if question.forwarded_by and question.forwarded_by != question.asker_id:
        asked += f" · forwarded by <@{question.forwarded_by}>"
    blocks = [
        section("*A question for the experts*"),
        section(f"> {echo(trim(text, QUESTION_SHOWN))}"),
        context(asked, matched_text(deps, question)),
        context(
            "Reply in this thread: tokenbot relays each reply to the asker (at most once a "
            "minute) and keeps it as a draft entry for the knowledge base (`tokenbot kb drafts`)."
        ),
    ]
    return fit(escape(f"A question for the experts: {text}"), blocks)


# -- relaying -------------------------------------------------------------------------------


def defuse(text: str) -> str:
    """An expert's message text with its channel-wide pings (`<!here>`...) shown, not obeyed."""
    return _SPECIAL_MENTION.sub(lambda found: escape(found.group(0)), text)


def render_relay(
    question: StoredForward, replies: Sequence[StoredReply], *, first: bool
) -> Message:
    """The experts' replies for the asker, each under the expert's name."""
    asked = question.question
    recalled = f" _{echo(trim(asked, QUESTION_RECALLED))}_" if asked else ""
    experts = {reply.expert_id for reply in replies}
    if first:
        who = "An expert" if len(experts) == 1 else "The experts"
        heading = f"*{who} answered your question*{recalled}"
    else:
        heading = f"*More from the experts on your question*{recalled}"
    said = [(reply.expert_id, defuse(reply.text)) for reply in replies if reply.text]
    blocks = [section(heading)]
    blocks += [section(f"*<@{expert}>:* {text}") for expert, text in said]
    blocks.append(context(RELAYED_NOTE))
    fallback = " ".join(f"<@{expert}>: {text}" for expert, text in said)
    return fit(fallback or "A reply from the experts", blocks)


class Relays:
    """Relays the experts' replies to the asker, at most once a minute per question.

    A reply that comes within the minute is queued in the store and one timer per question
    (in this process) relays everything queued when the minute is up; the store decides which
    process sends, so a reply queued by one process may go out with another's relay.
    """

    def __init__(self, deps: Deps, client: WebClient, schedule: Schedule) -> None:
        self._deps = deps
        self._client = client
        self._schedule = schedule
        self._waiting: set[int] = set()
        self._lock = threading.Lock()

    def take(self, reply: ThreadReply) -> bool:
        """Keep an expert's reply and relay it (now, or when the minute is up).

        False when the thread is not a forwarded question's. Raises `StorageUnavailableError`
        when the reply could not be kept, and `SlackApiError` when it could not be relayed (it
        stays queued for the next relay).
        """
        store = self._deps.store
        question = store.forward_in_thread(reply.channel_id, reply.thread_ts)
        if question is None:
            return False
        store.record_expert_reply(
            question.id, expert_id=reply.user_id, text=reply.text, ts=reply.ts
        )
        self.due(question.id)
        return True

    def due(self, forward_id: int) -> None:
        """Relay a question's queued replies if its minute is up; else relay them then."""
        store = self._deps.store
        claim = store.claim_relay(forward_id)
        if claim.wait_until is not None:
            self._later(forward_id, claim.wait_until)
            return
        question = store.get_forward(forward_id) if claim.replies else None
        if question is None:
            return
        try:
            relay = render_relay(question, claim.replies, first=claim.previous is None)
            _send_to_asker(self._client, question, relay)
        except BaseException:
            with contextlib.suppress(StorageUnavailableError):  # logged by the store
                store.release_relay(forward_id, claim.previous)
            raise
        store.finish_relay([reply.id for reply in claim.replies])

    def queued(self) -> None:
        """Relay (or time) every question's queued replies: what a stopped process left."""
        for forward_id in self._deps.store.queued_relays():
            self.due(forward_id)

    def _later(self, forward_id: int, at: dt.datetime) -> None:
        with self._lock:
            if forward_id in self._waiting:
                return  # this process already relays this question's queue then
            self._waiting.add(forward_id)
        self._schedule(at, lambda: self._when_due(forward_id))

    def _when_due(self, forward_id: int) -> None:
        with self._lock:
            self._waiting.discard(forward_id)
        self.due(forward_id)


def _send_to_asker(client: WebClient, question: StoredForward, message: Message) -> None:
    if question.thread_ts is not None:
        client.chat_postMessage(
            channel=question.channel_id, thread_ts=question.thread_ts, **message.as_kwargs()
        )
        return
    opened = client.conversations_open(users=question.asker_id)
    client.chat_postMessage(channel=opened["channel"]["id"], **message.as_kwargs())


def not_relayed(exc: SlackApiError | StorageUnavailableError) -> Message:
    """What the expert is told privately when their reply did not reach the asker."""
    if isinstance(exc, StorageUnavailableError):
        return render.render_notice(
            f"Your reply was not kept nor relayed to the asker ({exc.message}); please post it "
            "again in a moment."
        )
    error = exc.response.get("error") if exc.response is not None else None
    return render.render_notice(
        "Your reply is kept, but Slack refused to relay it to the asker "
        f"({error or 'no reason given'}); it goes out with the next reply."
    )
