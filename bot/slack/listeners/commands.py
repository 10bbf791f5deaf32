"""`/tokens`: every sub-command answered inside `ack()`, ephemeral, with a Share button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps
from bot.slack.listeners import audit, forms
from bot.slack.replies import Asker, Command, reply_to_command
from bot.slack.surfaces import COMMAND


def register(app: App, deps: Deps) -> None:
    audit.register(app, deps)  # first: `audit` calls the Genesys API, so it answers after ack
    forms.register(app, deps)  # `estimate` with no terms opens the form instead of a reply

    @app.command(COMMAND)
    def tokens(ack: Ack, command: dict[str, Any]) -> None:
        """Compute the reply (all local and fast) and send it as the acknowledgement."""
        request = Command.parse(command.get("text") or "")
        asker = Asker(user_id=command["user_id"], channel_id=command["channel_id"])
        reply = reply_to_command(deps, request, asker)
        ack(response_type="ephemeral", **reply.as_kwargs())
