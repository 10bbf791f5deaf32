"""Mentions and direct messages: the answer (or estimate) in a thread under the user's message."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Say

from bot.deps import Deps
from bot.slack.replies import Asker, message_question, reply_to_message
from bot.slack.threads import ThreadMemory


def _from_a_person(event: dict[str, Any]) -> bool:
    """A person's new message: not a bot's, not an edit or other subtype, not empty."""
    return (
        not event.get("subtype")
        and not event.get("bot_id")
        and "edited" not in event
        and bool((event.get("text") or "").strip())
        and bool(event.get("user"))
    )


def _is_dm(event: dict[str, Any]) -> bool:
    return event.get("channel_type") == "im" and _from_a_person(event)


def register(app: App, deps: Deps) -> None:
    threads = ThreadMemory()

    def answer_in_thread(event: dict[str, Any], say: Say) -> None:
        asker = Asker(user_id=event["user"], channel_id=event["channel"])
        thread = event.get("thread_ts") or event["ts"]
        earlier = threads.question(asker.channel_id, thread) if "thread_ts" in event else None
        reply = reply_to_message(deps, event["text"], asker, context=earlier)
        say(thread_ts=thread, **reply.as_kwargs())
        question = message_question(event["text"])
        if question:
            threads.remember(asker.channel_id, thread, question)

    app.event("app_mention", matchers=[_from_a_person])(answer_in_thread)
    app.event("message", matchers=[_is_dm])(answer_in_thread)

    @app.event("message")
    def ignore_other_messages() -> None:
        """Edits, bot posts and other subtypes: acknowledged, not answered."""

    @app.event("app_mention")
    def ignore_other_mentions() -> None:
        """A bot's or an edited mention: acknowledged, not answered."""
