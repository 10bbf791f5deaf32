"""Fixtures: a fake Slack Web API and a driver that sends signed requests into the app."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr
from slack_bolt import App, BoltRequest, BoltResponse

from bot.deps import Deps
from bot.settings import Settings
from bot.slack.app import build_app
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.fake_slack import FakeSlack


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def settings(fake_slack: FakeSlack) -> Settings:
    return Settings(
        bot_token=SecretStr("xoxb-test"),
        signing_secret=SecretStr(rq.SECRET),
        slack_api_url=fake_slack.api_url,
        db_path=":memory:",  # type: ignore[arg-type]
    )


@dataclass
class Driver:
    """Sends signed Slack requests into the app in-process and reads what came back."""

    app: App
    fake: FakeSlack
    deps: Deps

    def send(self, body: str, content_type: str, **sign: Any) -> BoltResponse:
        headers = rq.sign(body, content_type, **sign)
        return self.app.dispatch(BoltRequest(body=body, headers=headers))

    def command(self, text: str, **kwargs: Any) -> BoltResponse:
        return self.send(rq.command(text, self.fake.hook_url(), **kwargs), rq.FORM)

    def command_reply(self, text: str, **kwargs: Any) -> dict[str, Any]:
        """The acknowledgement body of a `/tokens` command (the reply itself)."""
        response = self.command(text, **kwargs)
        assert response.status == 200, response.body
        reply: dict[str, Any] = json.loads(response.body)
        return reply

    def event(
        self, inner: dict[str, Any], *, event_id: str = "Ev0001", **sign: Any
    ) -> BoltResponse:
        return self.send(rq.event(inner, event_id=event_id), rq.JSON, **sign)

    def click(self, action_id: str, value: str, **kwargs: Any) -> BoltResponse:
        body = rq.click(action_id, value, self.fake.hook_url("actions/T0001/2/xyz"), **kwargs)
        return self.send(body, rq.FORM)


MakeDriver = Callable[[Deps], Driver]


@pytest.fixture
def make_driver(settings: Settings, fake_slack: FakeSlack) -> MakeDriver:
    """Build a driver over other dependencies (e.g. a made-up knowledge base)."""

    def make(deps: Deps) -> Driver:
        app = build_app(settings, deps, process_before_response=True)
        return Driver(app=app, fake=fake_slack, deps=deps)

    return make


@pytest.fixture
def slack(make_driver: MakeDriver, deps: Deps) -> Driver:
    return make_driver(deps)


def button(reply: dict[str, Any], action_prefix: str) -> dict[str, Any]:
    """The first button in a reply whose action_id starts with `action_prefix`."""
    for block in reply["blocks"]:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element["action_id"].startswith(action_prefix):
                found: dict[str, Any] = element
                return found
    raise AssertionError(f"no {action_prefix} button in {reply['blocks']!r}")


def all_text(reply: dict[str, Any]) -> str:
    """Every piece of text in a message's blocks, joined (for 'does it say X' checks)."""
    return json.dumps(reply.get("blocks", []), ensure_ascii=False) + "\n" + reply.get("text", "")
