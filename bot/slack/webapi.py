"""The Slack Web API client: bot token, configurable base URL, bounded time and retries.

A call answered 429 is retried after its `Retry-After` (given in seconds or as an HTTP date)
when that is at most `MAX_RETRY_AFTER`; a longer wait is not honoured: the call fails at once,
so that a busy Slack holds no thread for half a minute. 500 and 503 are retried with backoff.
Every call gives up after `TIMEOUT` seconds without an answer.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import time

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.settings import Settings

MAX_RETRIES = 2
"""Extra attempts for a Web API call answered 429 or 5xx (so at most three calls in all)."""
MAX_RETRY_AFTER = 10.0
"""Seconds: the longest `Retry-After` honoured; a longer one fails the call instead."""
DEFAULT_RETRY_AFTER = 1.0
"""Seconds to wait after a 429 without a readable `Retry-After`."""
TIMEOUT = 10
"""Seconds a Web API call may take before it fails."""
DEFAULT_API_URL = "https://slack.com/api/"


def retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait for a `Retry-After` value: delta-seconds (`"3"`) or an HTTP date
    (`"Thu, 01 Jan 2026 00:00:05 GMT"`, counted from `now`, never negative); None if neither."""
    text = (value or "").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (moment - now).total_seconds())


class CappedRateLimitRetryHandler(RetryHandler):
    """Retries a 429 after its `Retry-After`, unless that asks for more than `cap` seconds."""

    def __init__(self, max_retry_count: int = MAX_RETRIES, cap: float = MAX_RETRY_AFTER) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.cap = cap

    @staticmethod
    def _wait(response: HttpResponse) -> float:
        for name, values in response.headers.items():
            if name.lower() == "retry-after" and values:
                seconds = retry_after(values[0], dt.datetime.now(dt.UTC))
                return DEFAULT_RETRY_AFTER if seconds is None else seconds
        return DEFAULT_RETRY_AFTER

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return self._wait(response) <= self.cap

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        assert response is not None  # `_can_retry` only retries an answered 429
        state.next_attempt_requested = True
        time.sleep(self._wait(response) + random.random() / 10)
        state.increment_current_attempt()


def build_client(settings: Settings) -> WebClient:
    """A WebClient with the bot token, the configured base URL, a timeout and bounded retries."""
    return WebClient(
        token=settings.bot_token.get_secret_value(),
        base_url=settings.slack_api_url or DEFAULT_API_URL,
        timeout=TIMEOUT,
        retry_handlers=[
            CappedRateLimitRetryHandler(),
            ServerErrorRetryHandler(max_retry_count=MAX_RETRIES),
        ],
        logger=logging.getLogger("slack_sdk.web"),
    )
