"""Mentions and direct messages: the answer (or estimate) in a thread under the user's message.

Bolt acknowledges the event at once; the answer is computed and posted after the ack, exactly
once per event id across retries and processes (`deliver_once`).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Say

from bot.deps import Deps
from bot.errors import StorageUnavailableError
from bot.slack.background import deliver_once, in_background
from bot.slack.experts import in_a_forwarded_thread
from bot.slack.replies import Asker, reply_to_message
from bot.store import Store


def _from_a_person(event: dict[str, Any]) -> bool:
    """A person's new message: not a bot's, not an edit or other subtype, not empty."""
    text = event.get("text")
    return (
        not event.get("subtype")
        and not event.get("bot_id")
        and "edited" not in event
        and isinstance(text, str)
        and bool(text.strip())
        and isinstance(event.get("user"), str)
        and isinstance(event.get("channel"), str)
    )


def _is_dm(event: dict[str, Any]) -> bool:
    return event.get("channel_type") == "im" and _from_a_person(event)


def acknowledge() -> None:
    """Bolt acknowledges events by itself; the answer follows after the ack."""


def earlier_question(store: Store, event: dict[str, Any]) -> str | None:
    """The question the thread of a reply started with, for a follow-up asked in it.

    A database that is away costs the context (logged by the store), never the answer.
    """
    thread = event.get("thread_ts")
    if not isinstance(thread, str) or thread == event.get("ts"):
        return None
    try:
        return store.thread_question(event["channel"], thread)
    except StorageUnavailableError:
        return None


def register(app: App, deps: Deps) -> None:
    def answer_in_thread(body: dict[str, Any], event: dict[str, Any], say: Say) -> None:
        if in_a_forwarded_thread(deps, event):
            return  # an expert addressing tokenbot in a forwarded question's thread: relayed

        def send() -> None:
            thread = event.get("thread_ts") or event["ts"]
            asker = Asker(user_id=event["user"], channel_id=event["channel"], thread_ts=thread)
            context = earlier_question(deps.store, event)
            reply = reply_to_message(deps, event["text"], asker, context=context)
            say(thread_ts=thread, **reply.as_kwargs())

        deliver_once(deps.store, body.get("event_id"), send)

    answer = in_background(answer_in_thread)
    app.event("app_mention", matchers=[_from_a_person])(ack=acknowledge, lazy=[answer])
    app.event("message", matchers=[_is_dm])(ack=acknowledge, lazy=[answer])

    @app.event("message")
    def ignore_other_messages() -> None:
        """Edits, bot posts and other subtypes: acknowledged, not answered."""

    @app.event("app_mention")
    def ignore_other_mentions() -> None:
        """A bot's or an edited mention: acknowledged, not answered."""
