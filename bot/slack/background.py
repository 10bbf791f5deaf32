"""Work after the acknowledgement, on a pool of its own: a slow Slack never delays an ack.

Every listener acknowledges in the request's own thread (the app runs with
`process_before_response`), computing at most local things: the reply to a slash command, a
database row. Every call to the Web API or to a `response_url` happens in a Bolt lazy function,
which runs on the pool made by `executor()`. Those calls may hang or wait out a `Retry-After`;
they delay other deliveries, never an acknowledgement.

Bolt only logs the message of an exception raised in a lazy function, so `in_background()`
wraps each one: the traceback goes to the log and the user gets the same short apology as the
app's error handler gives for a failure before the ack.

`deliver_once()` makes an event's answer at-least-once without double answers: the event id is
claimed, marked finished only once the answer was posted, and released when posting failed, so
that Slack's retry is answered.

`later()` runs work at a given time on a timer thread of its own (the experts' replies queued
for the rest of a minute); what it runs logs its own failure, as there is nobody to apologise to.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Respond
from slack_bolt.kwargs_injection.args import Args
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import StorageUnavailableError
from bot.slack import render
from bot.store import Store

log = logging.getLogger(__name__)

THREADS = 16
"""Threads per process for work after the ack; more Slack calls than this wait their turn."""


def executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="tokenbot-after-ack")


def apologise(
    error: Exception,
    body: dict[str, Any],
    respond: Respond | None,
    client: WebClient,
    logger: logging.Logger,
) -> None:
    """Anything unexpected: the traceback goes to the log, a short apology to the user.

    Only ever called for a verified request (or one from the Socket Mode connection), so the
    `response_url`, channel and user it answers are Slack's.
    """
    logger.error("unexpected error while handling a Slack request", exc_info=error)
    apology = render.render_apology()
    try:
        if respond is not None and body.get("response_url"):
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
    except (SlackApiError, OSError, ValueError):
        logger.exception("could not send the apology either")


def in_background(work: Callable[..., None]) -> Callable[[Args], None]:
    """`work` as a Bolt lazy function, with its failure logged and apologised for.

    `work` names the listener arguments it needs (`body`, `respond`, `client`, ...), as any
    Bolt listener does.
    """
    wanted = list(inspect.signature(work).parameters)

    def run(args: Args) -> None:
        try:
            work(**{name: getattr(args, name) for name in wanted})
        except Exception as error:  # the lazy function's @app.error: see the module docstring
            apologise(error, args.body, args.respond, args.client, args.logger)

    run.__name__ = run.__qualname__ = work.__name__  # Bolt tells lazy functions by name
    return run


Schedule = Callable[[dt.datetime, Callable[[], None]], None]
"""`schedule(at, work)`: run `work` at `at` (or soon after), without waiting for it."""


def later(at: dt.datetime, work: Callable[[], None]) -> None:
    """Run `work` at `at` on a daemon timer thread; its failure is logged, never raised."""

    def run() -> None:
        try:
            work()
        except Exception:  # a timer thread has no caller to raise to: log the traceback
            log.exception("scheduled work failed")

    delay = max(0.0, (at - dt.datetime.now(dt.UTC)).total_seconds())
    timer = threading.Timer(delay, run)
    timer.daemon = True
    timer.start()


def deliver_once(store: Store, event_id: object, send: Callable[[], object]) -> None:
    """Send an event's answer unless it was sent, or another delivery is sending it.

    A database that is away costs the deduplication (logged by the store), never the answer.
    """
    if not isinstance(event_id, str):
        send()
        return
    try:
        claimed = store.claim_event(event_id)
    except StorageUnavailableError:
        claimed = True
    if not claimed:
        log.info("skipping event %s: answered, or being answered, by another delivery", event_id)
        return
    try:
        send()
    except BaseException:
        _quietly(store.release_event, event_id)
        raise
    _quietly(store.finish_event, event_id)


def _quietly(record: Callable[[str], None], event_id: str) -> None:
    with contextlib.suppress(StorageUnavailableError):  # logged once by the store
        record(event_id)
