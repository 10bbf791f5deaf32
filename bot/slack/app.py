"""`build_app(settings, deps)`: the Bolt app with every listener, built on demand (never at import).

The Web API client retries a bounded number of times on 429 (honouring `Retry-After`) and on
5xx, and can be pointed at another base URL (`TOKENBOT_SLACK_API_URL`) for tests and staging.
A global middleware drops Slack's retries of events already handled, using the shared sqlite
store so that it holds across restarts and across server processes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.deps import Deps
from bot.settings import Settings
from bot.slack import render
from bot.slack.listeners import actions, commands, events, home

logger = logging.getLogger(__name__)

MAX_RETRIES = 2
"""Extra attempts for a Web API call answered 429 or 5xx (so at most three calls in all)."""
DEFAULT_API_URL = "https://slack.com/api/"


def build_client(settings: Settings) -> WebClient:
    """A WebClient with the bot token, the configured base URL and bounded retries."""
    return WebClient(
        token=settings.bot_token.get_secret_value(),
        base_url=settings.slack_api_url or DEFAULT_API_URL,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=MAX_RETRIES),
            ServerErrorRetryHandler(max_retry_count=MAX_RETRIES),
        ],
        logger=logging.getLogger("slack_sdk.web"),
    )


def build_app(
    settings: Settings,
    deps: Deps,
    *,
    client: WebClient | None = None,
    process_before_response: bool = False,
    token_verification: bool = True,
) -> App:
    """The Bolt app for `settings`, with every surface registered."""
    secret = settings.signing_secret.get_secret_value() if settings.signing_secret else None
    app = App(
        client=client or build_client(settings),
        # Socket Mode requests carry no signature; Bolt only checks it for HTTP requests.
        signing_secret=secret or "",
        request_verification_enabled=secret is not None,
        process_before_response=process_before_response,
        token_verification_enabled=token_verification,
        ignoring_self_events_enabled=True,
        logger=logging.getLogger("tokenbot.slack"),
        name="tokenbot",
    )
    app.middleware(_drop_retried_events(deps))
    app.error(_apologise)
    commands.register(app, deps)
    events.register(app, deps)
    actions.register(app, deps)
    home.register(app, deps)
    return app


def _drop_retried_events(deps: Deps) -> Callable[..., BoltResponse | None]:
    def drop_retried_events(
        body: dict[str, Any], next: Callable[[], None], logger: logging.Logger
    ) -> BoltResponse | None:
        """Answer an event Slack already delivered with 200 and do nothing else."""
        event_id = body.get("event_id")
        is_event = body.get("type") == "event_callback" and isinstance(event_id, str)
        if is_event and not deps.store.mark_event_seen(str(event_id)):
            logger.info("skipping event %s: already handled", event_id)
            return BoltResponse(status=200, body="")
        next()
        return None

    return drop_retried_events


def _apologise(
    error: Exception,
    body: dict[str, Any],
    respond: Respond,
    client: WebClient,
    logger: logging.Logger,
) -> None:
    """Anything unexpected: the traceback goes to the log, a short apology to the user."""
    logger.error("unexpected error while handling a Slack request", exc_info=error)
    apology = render.render_apology()
    try:
        if body.get("response_url"):
            respond(response_type="ephemeral", replace_original=False, **apology.as_kwargs())
            return
        event = body.get("event") or {}
        channel, user = event.get("channel"), event.get("user")
        if isinstance(channel, str) and isinstance(user, str):
            client.chat_postEphemeral(
                channel=channel,
                user=user,
                thread_ts=event.get("thread_ts") or event.get("ts"),
                **apology.as_kwargs(),
            )
    except (SlackApiError, OSError):
        logger.exception("could not send the apology either")
