"""Fixtures: a fake Slack Web API and a driver that sends signed requests into the app.

The driver goes through the same WSGI application `tokenbot serve --http` serves (signature,
parsing, replay check, then Bolt), in-process; the work after each acknowledgement runs at once
on the calling thread, so that everything a request caused is done when `send` returns.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr
from slack_bolt import App

from bot.deps import Deps
from bot.settings import Settings
from bot.slack.app import build_app
from bot.slack.wsgi import EVENTS_PATH, TokenbotWsgi
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
        db=":memory:",
    )


class InlineExecutor(Executor):
    """Runs submitted work at once, in the submitting thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future


@dataclass
class Timers:
    """A `schedule` for the app that keeps what it is given until the test runs it."""

    pending: list[tuple[dt.datetime, Callable[[], None]]] = field(default_factory=list)

    def __call__(self, at: dt.datetime, work: Callable[[], None]) -> None:
        self.pending.append((at, work))

    def run(self) -> list[dt.datetime]:
        """Run everything scheduled so far (not what that schedules); returns when it was for."""
        due, self.pending = self.pending, []
        for _, work in due:
            work()
        return [at for at, _ in due]


@dataclass(frozen=True)
class Response:
    """What the app answered over HTTP."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def call_wsgi(
    wsgi: TokenbotWsgi, body: bytes, headers: dict[str, str], *, method: str = "POST"
) -> Response:
    """One request through the WSGI application, as gunicorn would make it."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": EVENTS_PATH,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            environ[f"HTTP_{key}"] = value
    answered: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        answered["status"] = int(status.split()[0])
        answered["headers"] = {k.lower(): v for k, v in response_headers}

    chunks = wsgi(environ, start_response)  # type: ignore[arg-type]
    text = b"".join(chunks).decode("utf-8")
    return Response(answered["status"], text, answered["headers"])


@dataclass
class Driver:
    """Sends signed Slack requests into the app in-process and reads what came back."""

    app: App
    fake: FakeSlack
    deps: Deps
    wsgi: TokenbotWsgi
    timers: Timers = field(default_factory=Timers)

    def send(
        self,
        body: str | bytes,
        content_type: str,
        *,
        extra_headers: dict[str, str] | None = None,
        **sign: Any,
    ) -> Response:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        headers = {**rq.sign(raw, content_type, **sign), **(extra_headers or {})}
        return call_wsgi(self.wsgi, raw, headers)

    def send_unsigned(self, body: str | bytes, headers: dict[str, str]) -> Response:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        return call_wsgi(self.wsgi, raw, headers)

    def command(self, text: str, **kwargs: Any) -> Response:
        return self.send(rq.command(text, self.fake.hook_url(), **kwargs), rq.FORM)

    def command_reply(self, text: str, **kwargs: Any) -> dict[str, Any]:
        """The acknowledgement body of a `/tokens` command (the reply itself)."""
        response = self.command(text, **kwargs)
        assert response.status == 200, response.body
        reply: dict[str, Any] = json.loads(response.body)
        return reply

    def event(self, inner: dict[str, Any], *, event_id: str = "Ev0001", **sign: Any) -> Response:
        return self.send(rq.event(inner, event_id=event_id), rq.JSON, **sign)

    def click(self, action_id: str, value: str, **kwargs: Any) -> Response:
        body = rq.click(action_id, value, self.fake.hook_url("actions/T0001/2/xyz"), **kwargs)
        return self.send(body, rq.FORM)


MakeDriver = Callable[[Deps], Driver]


@pytest.fixture
def make_driver(settings: Settings, fake_slack: FakeSlack) -> MakeDriver:
    """Build a driver over other dependencies (e.g. a made-up knowledge base)."""

    def make(deps: Deps) -> Driver:
        timers = Timers()
        app = build_app(settings, deps, executor=InlineExecutor(), schedule=timers)
        wsgi = TokenbotWsgi(app, deps, rq.SECRET)
        return Driver(app=app, fake=fake_slack, deps=deps, wsgi=wsgi, timers=timers)

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
