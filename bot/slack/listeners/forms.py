"""The estimate form: `/tokens estimate` alone opens it, Edit reopens it, submitting estimates.

The reply to a submission is the one-line command's reply, posted privately where the form
was opened (through the `response_url` of the command or the click, else `chat.postEphemeral`).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.deps import Deps
from bot.errors import BotError, StaleActionError
from bot.slack import render
from bot.slack.background import in_background
from bot.slack.buttons import ButtonValue
from bot.slack.listeners.actions import Click
from bot.slack.modals import Origin, Prefill, estimate_form, prefill_from, read_form
from bot.slack.render import Message
from bot.slack.replies import Asker, Command, run_estimate
from bot.slack.surfaces import COMMAND, ESTIMATE_FORM, Action, action_pattern
from calculators.errors import CalculatorError
from calculators.estimate import estimate

logger = logging.getLogger(__name__)


def _wants_the_form(command: dict[str, Any]) -> bool:
    request = Command.parse(command.get("text") or "")
    return request.name == "estimate" and not request.argument


def _prefill(deps: Deps, value: ButtonValue) -> Prefill:
    """The terms of the estimate an Edit button belongs to."""
    if value.command is not None:
        return prefill_from(Command.parse(value.command).argument, deps.cards)
    if value.reference is not None:
        stored = deps.store.get_estimate(value.reference)
        if stored is not None:
            return prefill_from(stored.input, deps.cards)
    raise StaleActionError(f"that estimate can no longer be edited; try `{COMMAND} estimate`")


def _open(client: WebClient, trigger_id: str, view: dict[str, Any], respond: Respond) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        logger.warning("views.open failed: %s", exc.response.get("error"))
        problem = render.render_error(
            "the estimate form could not be opened (Slack allows 3 seconds after the click); "
            f"try again, or type `{COMMAND} estimate copilot=50 va=2000/day`"
        )
        respond(response_type="ephemeral", replace_original=False, **problem.as_kwargs())


def _deliver(reply: Message, origin: Origin, user_id: str, client: WebClient) -> None:
    """Post the reply privately where the form was opened."""
    if origin.response_url:
        try:
            response = WebhookClient(origin.response_url).send(
                response_type="ephemeral", replace_original=False, **reply.as_kwargs()
            )
            if response.status_code == 200:
                return
            logger.warning("response_url answered %s; posting instead", response.status_code)
        except OSError:
            logger.warning("response_url unreachable; posting instead", exc_info=True)
    client.chat_postEphemeral(channel=origin.channel_id, user=user_id, **reply.as_kwargs())


def acknowledge(ack: Ack) -> None:
    """The command or click is acknowledged at once; the form opens after the ack."""
    ack()


def register(app: App, deps: Deps) -> None:
    """Register before the general `/tokens` listener: Bolt runs the first that matches.

    Every Web API call (`views.open`, the reply to a submission) runs after the ack, so a slow
    Slack never makes the command, the click or the submission fail.
    """

    def open_form(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """`/tokens estimate` with no terms: the form, empty."""
        origin = Origin(command["channel_id"], command.get("response_url"))
        _open(client, command["trigger_id"], estimate_form(deps.cards, origin), respond)

    def edit(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """The Edit button of an estimate: the form, pre-filled with its terms."""
        click = Click.from_body(body)
        try:
            prefill = _prefill(deps, ButtonValue.decode(click.value))
        except BotError as exc:
            problem = render.render_error(exc.message)
            respond(response_type="ephemeral", replace_original=False, **problem.as_kwargs())
            return
        origin = Origin(click.channel_id, body.get("response_url"))
        _open(client, body["trigger_id"], estimate_form(deps.cards, origin, prefill), respond)

    def check(ack: Ack, view: dict[str, Any]) -> None:
        """Errors go under their field (the form stays open); otherwise the form closes."""
        form = read_form((view.get("state") or {}).get("values") or {}, deps.cards)
        if form.errors:
            ack(response_action="errors", errors=form.errors)
            return
        try:
            estimate(form.line, deps.cards)  # local and fast: a bad term is a field error
        except CalculatorError as exc:
            ack(response_action="errors", errors={form.error_block(): exc.message})
            return
        ack()

    def submit(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        """After the form closed: store the estimate and post it where the form was opened."""
        form = read_form((view.get("state") or {}).get("values") or {}, deps.cards)
        if form.errors:
            return  # answered in the ack
        origin = Origin.decode(view.get("private_metadata"))
        user_id = body["user"]["id"]
        try:
            reply = run_estimate(deps, form.line, Asker(user_id, origin.channel_id), share=True)
        except CalculatorError:
            return  # answered in the ack
        except BotError as exc:
            reply = render.render_error(exc.message)
        _deliver(reply, origin, user_id, client)

    app.command(COMMAND, matchers=[_wants_the_form])(
        ack=acknowledge, lazy=[in_background(open_form)]
    )
    app.action(action_pattern(Action.EDIT))(ack=acknowledge, lazy=[in_background(edit)])
    app.view(ESTIMATE_FORM)(ack=check, lazy=[in_background(submit)])
