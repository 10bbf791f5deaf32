"""`/tokens audit ...`: acknowledged at once, audited after the ack, answered with `respond()`.

The audit calls the Genesys Cloud API (seconds to minutes for a large org), so it runs as a Bolt
lazy listener: never inside `ack()`, whose 3-second window Slack enforces.
"""

from __future__ import annotations

import os
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.deps import Deps
from bot.slack.audit import audit_reply, first_reply
from bot.slack.background import in_background
from bot.slack.replies import Command
from bot.slack.surfaces import COMMAND


def _is_audit(command: dict[str, Any]) -> bool:
    return Command.parse(command.get("text") or "").name == "audit"


def register(app: App, deps: Deps) -> None:
    """Register before the general `/tokens` listener: Bolt runs the first that matches."""

    def acknowledge(ack: Ack, command: dict[str, Any]) -> None:
        """Refuse, correct the usage, or say "Auditing…" — at once, with no network call."""
        request = Command.parse(command.get("text") or "")
        reply, _ = first_reply(deps, request.argument, command["user_id"])
        ack(response_type="ephemeral", **reply.as_kwargs())

    def run(respond: Respond, command: dict[str, Any]) -> None:
        """The audit itself, after the ack; its result goes to the requester only."""
        request = Command.parse(command.get("text") or "")
        _, runs = first_reply(deps, request.argument, command["user_id"])
        if not runs:
            return
        reply = audit_reply(deps, request.argument, command["user_id"], env=os.environ)
        respond(response_type="ephemeral", replace_original=False, **reply.as_kwargs())

    app.command(COMMAND, matchers=[_is_audit])(ack=acknowledge, lazy=[in_background(run)])
