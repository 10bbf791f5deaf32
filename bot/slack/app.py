"""`build_app(settings, deps)`: the Bolt app with every listener, built on demand (never at import).

Acknowledgements never wait for Slack: the app runs with `process_before_response`, so each
listener's ack runs in the request's own thread, and every Web API or `response_url` call is a
lazy function on a pool of its own (`bot.slack.background`). An exception before the ack still
acknowledges at once: a slash command's ack carries the apology, anything else gets a quiet 200
and the apology is sent from the pool.

HTTP requests reach the app verified and parsed by `bot.slack.wsgi`; Socket Mode requests come
over the app's authenticated connection. The Web API client (`bot.slack.webapi`) has bounded
time and retries and can be pointed at another base URL (`TOKENBOT_SLACK_API_URL`).
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.settings import Settings
from bot.slack import background, render
from bot.slack.background import Schedule
from bot.slack.listeners import actions, commands, events, experts, home
from bot.slack.webapi import build_client


def build_app(
    settings: Settings,
    deps: Deps,
    *,
    client: WebClient | None = None,
    executor: Executor | None = None,
    schedule: Schedule = background.later,
    token_verification: bool = True,
) -> App:
    """The Bolt app for `settings`, with every surface registered.

    `executor` runs the work after each ack (default: `background.executor()`); tests pass one
    that runs it at once, so that what a request caused is done when it returns. `schedule`
    runs work at a later time (the experts' replies queued for the rest of a minute); tests
    pass one that runs it when they say.
    """
    secret = settings.signing_secret.get_secret_value() if settings.signing_secret else None
    after_ack = executor or background.executor()
    app = App(
        client=client or build_client(settings),
        # Requests that `bot.slack.wsgi` verified, and Socket Mode's, skip Bolt's own check;
        # it still guards a raw HTTP request dispatched to the app in any other way.
        signing_secret=secret or "",
        request_verification_enabled=secret is not None,
        process_before_response=True,
        listener_executor=after_ack,
        token_verification_enabled=token_verification,
        ignoring_self_events_enabled=True,
        logger=logging.getLogger("tokenbot.slack"),
        name="tokenbot",
    )
    app.error(_acknowledge_failure(after_ack))
    commands.register(app, deps)
    experts.register(app, deps, schedule)  # before `events`: its catch-all message listener
    events.register(app, deps)
    actions.register(app, deps)
    home.register(app, deps)
    return app


def _acknowledge_failure(after_ack: Executor) -> Any:
    def acknowledge_failure(
        error: Exception,
        body: dict[str, Any],
        respond: Respond | None,
        client: WebClient,
        logger: logging.Logger,
    ) -> BoltResponse:
        """Something unexpected before the ack: acknowledge at once, apologise, log it all."""
        if body.get("command"):
            logger.error("unexpected error while handling a Slack request", exc_info=error)
            apology = render.render_apology()
            return BoltResponse(
                status=200, body={"response_type": "ephemeral", **apology.as_kwargs()}
            )
        after_ack.submit(background.apologise, error, body, respond, client, logger)
        return BoltResponse(status=200, body="")

    return acknowledge_failure
