"""App Home: how to use the bot, the rate card at a glance, the user's recent estimates."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack.background import deliver_once, in_background
from bot.slack.listeners.events import acknowledge
from bot.slack.replies import home


def register(app: App, deps: Deps) -> None:
    def publish_home(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        user = event.get("user")
        if event.get("tab", "home") != "home" or not isinstance(user, str):
            return
        deliver_once(
            deps.store,
            body.get("event_id"),
            lambda: client.views_publish(user_id=user, view=home(deps, user)),
        )

    app.event("app_home_opened")(ack=acknowledge, lazy=[in_background(publish_home)])
