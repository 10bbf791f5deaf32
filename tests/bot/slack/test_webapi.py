"""The Web API client: a `Retry-After` is honoured up to a cap, in seconds or as an HTTP date."""

from __future__ import annotations

import datetime as dt
import email.utils
import time

import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from bot.slack.webapi import MAX_RETRY_AFTER, build_client, retry_after
from tests.bot.slack.fake_slack import FakeSlack

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


class TestRetryAfter:
    @pytest.mark.parametrize(
        ("value", "seconds"),
        [
            ("3", 3.0),
            (" 0 ", 0.0),
            ("Mon, 23 Nov 2026 12:00:05 GMT", 5.0),
            ("Mon, 23 Nov 2026 11:00:00 GMT", 0.0),  # already past: no wait
            ("", None),
            ("-1", None),
            ("soon", None),
            ("1.5", None),
        ],
    )
    def test_seconds_or_an_http_date(self, value: str, seconds: float | None) -> None:
        assert retry_after(value, NOW) == seconds


class TestRateLimits:
    def test_a_wait_longer_than_the_cap_fails_at_once(self, fake_slack: FakeSlack) -> None:
        """A `Retry-After: 35` must not hold a thread for 35 seconds."""
        settings = Settings(bot_token=SecretStr("xoxb-test"), slack_api_url=fake_slack.api_url)
        fake_slack.fail_next(1, status=429, retry_after=35)
        started = time.monotonic()
        with pytest.raises(SlackApiError):
            build_client(settings).chat_postMessage(channel="C1", text="hi")
        assert time.monotonic() - started < MAX_RETRY_AFTER
        assert [c.status for c in fake_slack.all_calls] == [429]

    def test_an_http_date_is_honoured(self, fake_slack: FakeSlack) -> None:
        settings = Settings(bot_token=SecretStr("xoxb-test"), slack_api_url=fake_slack.api_url)
        soon = email.utils.format_datetime(dt.datetime.now(dt.UTC), usegmt=True)
        fake_slack.fail_next(1, status=429, retry_after=soon)
        build_client(settings).chat_postMessage(channel="C1", text="hi")
        assert [c.status for c in fake_slack.all_calls] == [429, 200]

    def test_a_short_wait_is_honoured(self, fake_slack: FakeSlack) -> None:
        settings = Settings(bot_token=SecretStr("xoxb-test"), slack_api_url=fake_slack.api_url)
        fake_slack.fail_next(2, status=429, retry_after=0)
        build_client(settings).chat_postMessage(channel="C1", text="hi")
        assert [c.status for c in fake_slack.all_calls] == [429, 429, 200]
