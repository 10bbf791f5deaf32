"""Buttons: Helpful / Not helpful, Did you mean, Full answer, For a ticket, Share in channel.

Each click is acknowledged at once; the reply (a `response_url` or Web API call) follows from
the pool of work after the ack, so a slow Slack never makes a click fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.errors import BotError
from bot.slack import render
from bot.slack.background import in_background
from bot.slack.buttons import ButtonValue
from bot.slack.render import Message
from bot.slack.replies import (
    Asker,
    Command,
    chosen_answer,
    full_answer,
    record_feedback,
    reply_to_command,
    ticket,
)
from bot.slack.surfaces import Action, action_pattern


@dataclass(frozen=True)
class Click:
    """A button click: who, where, on which message, with what value."""

    user_id: str
    channel_id: str
    message_ts: str | None
    thread_ts: str | None
    ephemeral: bool
    value: str | None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Click:
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        return cls(
            user_id=body["user"]["id"],
            channel_id=channel,
            message_ts=container.get("message_ts") or message.get("ts"),
            thread_ts=container.get("thread_ts") or message.get("thread_ts"),
            ephemeral=bool(container.get("is_ephemeral")),
            value=body["actions"][0].get("value"),
        )


def send_private(click: Click, reply: Message, respond: Respond, client: WebClient) -> None:
    """An ephemeral reply to the clicker, in the thread of the message when there is one."""
    if click.ephemeral:
        respond(response_type="ephemeral", replace_original=False, **reply.as_kwargs())
        return
    client.chat_postEphemeral(
        channel=click.channel_id,
        user=click.user_id,
        thread_ts=click.thread_ts or click.message_ts,
        **reply.as_kwargs(),
    )


def _permalink(click: Click, client: WebClient) -> str | None:
    if click.ephemeral or click.message_ts is None:
        return None  # ephemeral messages have no permalink
    try:
        response = client.chat_getPermalink(channel=click.channel_id, message_ts=click.message_ts)
    except SlackApiError:
        return None
    link = response.get("permalink")
    return link if isinstance(link, str) else None


def acknowledge(ack: Ack) -> None:
    """A click is acknowledged at once; what it does follows after the ack."""
    ack()


def register(app: App, deps: Deps) -> None:
    def feedback(helpful: bool) -> Any:
        def vote(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
            click = Click.from_body(body)
            try:
                value = ButtonValue.decode(click.value)
                reply = record_feedback(deps, value, click.user_id, helpful=helpful)
            except BotError as exc:
                reply = render.render_error(exc.message)
            send_private(click, reply, respond, client)

        return in_background(vote)

    def swap_in_choice(body: dict[str, Any], respond: Respond) -> None:
        """Replace the message the choice was made in with the chosen entry's answer."""
        try:
            reply = chosen_answer(deps, ButtonValue.decode(Click.from_body(body).value))
        except BotError as exc:
            reply = render.render_error(exc.message)
        respond(replace_original=True, **reply.as_kwargs())

    def expand_answer(body: dict[str, Any], respond: Respond) -> None:
        """Replace the short answer with the whole answer and every source, in place.

        A stale button leaves the short answer where it is and tells the clicker privately.
        """
        try:
            reply = full_answer(deps, ButtonValue.decode(Click.from_body(body).value))
        except BotError as exc:
            error = render.render_error(exc.message)
            respond(response_type="ephemeral", replace_original=False, **error.as_kwargs())
            return
        respond(replace_original=True, **reply.as_kwargs())

    def for_a_ticket(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        """A plain-text block to paste into a support ticket, with the answer's permalink."""
        click = Click.from_body(body)
        try:
            reply = ticket(deps, ButtonValue.decode(click.value), _permalink(click, client))
        except BotError as exc:
            reply = render.render_error(exc.message)
        send_private(click, reply, respond, client)

    def share_in_channel(body: dict[str, Any], respond: Respond) -> None:
        """Post the same reply visibly, for the whole channel."""
        click = Click.from_body(body)
        try:
            replay = ButtonValue.decode(click.value).command or ""
        except BotError as exc:
            respond(
                response_type="ephemeral",
                replace_original=False,
                **render.render_error(exc.message).as_kwargs(),
            )
            return
        asker = Asker(user_id=click.user_id, channel_id=click.channel_id)
        reply = reply_to_command(deps, Command.parse(replay), asker, shared=True)
        shared = render.fit(
            reply.text,
            [*reply.blocks, render.context(f"Shared by <@{click.user_id}>")],
        )
        respond(response_type="in_channel", replace_original=False, **shared.as_kwargs())

    handlers = {
        Action.HELPFUL: feedback(True),
        Action.NOT_HELPFUL: feedback(False),
        Action.DID_YOU_MEAN: in_background(swap_in_choice),
        Action.FULL_ANSWER: in_background(expand_answer),
        Action.TICKET: in_background(for_a_ticket),
        Action.SHARE: in_background(share_in_channel),
    }
    for action, handler in handlers.items():
        app.action(action_pattern(action))(ack=acknowledge, lazy=[handler])
