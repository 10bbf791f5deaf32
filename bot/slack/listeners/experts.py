"""Ask the experts: the button, and the replies in the experts' channel (`bot.slack.experts`).

Both are acknowledged at once; the post, the relay and every reply to a person run after the
ack. Without `TOKENBOT_EXPERTS_CHANNEL` no message in any channel is read, and the button (which
is then never offered) only says that it is not set up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.errors import BotError, StorageUnavailableError
from bot.slack import experts, render
from bot.slack.background import Schedule, deliver_once, in_background
from bot.slack.buttons import ButtonValue
from bot.slack.listeners.actions import Click, acknowledge, send_private
from bot.slack.surfaces import Action, action_pattern


def register(app: App, deps: Deps, schedule: Schedule) -> None:
    """Register before the general message listeners: Bolt runs the first that matches."""
    relays = experts.Relays(deps, app.client, schedule)

    def ask_the_experts(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        click = Click.from_body(body)
        try:
            reply = experts.forward(deps, client, click.user_id, ButtonValue.decode(click.value))
        except BotError as exc:
            reply = render.render_error(exc.message)
        send_private(click, reply, respond, client)

    def relay(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        reply = experts.ThreadReply.from_event(event)

        def take() -> None:
            try:
                relays.take(reply)
            except (StorageUnavailableError, SlackApiError) as exc:
                problem = experts.not_relayed(exc)
                client.chat_postEphemeral(
                    channel=reply.channel_id,
                    user=reply.user_id,
                    thread_ts=reply.thread_ts,
                    **problem.as_kwargs(),
                )

        deliver_once(deps.store, body.get("event_id"), take)

    def in_the_experts_thread(event: dict[str, Any]) -> bool:
        return experts.is_thread_reply(deps.experts_channel, event)

    app.action(action_pattern(Action.ASK_EXPERTS))(
        ack=acknowledge, lazy=[in_background(ask_the_experts)]
    )
    app.event("message", matchers=[in_the_experts_thread])(
        ack=acknowledge_event, lazy=[in_background(relay)]
    )
    if deps.experts_channel is not None:
        schedule(dt.datetime.now(dt.UTC), relays.queued)


def acknowledge_event() -> None:
    """Bolt acknowledges events by itself; the relay follows after the ack."""
