"""A local stand-in for Slack's Web API and `response_url`s, as bolt-python tests itself.

A stdlib `ThreadingHTTPServer` on 127.0.0.1 (port 0) records every request as a `Call` and
answers like Slack: `auth.test` with a bot identity, `chat.*` and `views.publish` with
`ok: true`, `chat.getPermalink` with a permalink, `conversations.open` with a DM channel, and
`/hooks/...` (response URLs) with `ok`. It can be told to fail the next calls with 429 (and
`Retry-After`) or 500, to refuse one with `ok: false` and an error (`not_in_channel`), and to
hold calls (hang without answering) until released, as a Slack having a bad day would.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

HOLD_AT_MOST = 30.0
"""Seconds a held call hangs at most, so that a test that forgets to release still ends."""
POSTED_TS = "1700000001.000200"
"""The `ts` every `chat.postMessage` is answered with (unless `FakeSlack(distinct_ts=True)`)."""
OPENED_DM = "D0OPENED1"
"""The DM channel `conversations.open` opens."""
BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0001"


@dataclass(frozen=True)
class Call:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    refused: str | None = None
    """The `error` of an `ok: false` answer (see `fail_with_error`)."""

    @property
    def method(self) -> str:
        """The Web API method (`chat.postMessage`) or the hook path."""
        return self.path.removeprefix("/api/")


class FakeSlack:
    """Start with `start()`, stop with `stop()`; read `calls` (only those answered 200, ok)."""

    def __init__(self, *, distinct_ts: bool = False) -> None:
        self.all_calls: list[Call] = []
        self._posts = itertools.count(1) if distinct_ts else None
        self._failures: deque[tuple[int, dict[str, str], str | None]] = deque()
        self._errors: deque[tuple[str, str]] = deque()
        self._held: tuple[str, ...] = ()
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.daemon = True

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def hook_url(self, name: str = "commands/T0001/1/abc") -> str:
        return f"{self.url}/hooks/{name}"

    # -- behaviour ---------------------------------------------------------------------------

    def fail_next(
        self,
        count: int,
        status: int = 429,
        retry_after: int | str = 0,
        *,
        method: str | None = None,
    ) -> None:
        """Answer the next `count` calls (not `auth.test`; only `method`'s if given) with `status`.

        `retry_after` is sent as it is: seconds, or an HTTP date.
        """
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        with self._lock:
            for _ in range(count):
                self._failures.append((status, headers, method))

    def fail_with_error(self, error: str, method: str = "chat.postMessage") -> None:
        """Answer the next call to `method` 200 with `{"ok": false, "error": error}`."""
        with self._lock:
            self._errors.append((method, error))

    def hold(self, *prefixes: str) -> None:
        """Calls whose method (or hook path) starts with a prefix hang until `release()`."""
        with self._lock:
            self._release.clear()
            self._held = prefixes

    def release(self) -> None:
        with self._lock:
            self._held = ()
        self._release.set()

    def _wait_if_held(self, method: str) -> None:
        with self._lock:
            held = any(method.startswith(prefix) for prefix in self._held)
        if held:
            self._release.wait(HOLD_AT_MOST)

    # -- what was received -------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return [c for c in self.all_calls if c.status == 200 and c.refused is None]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def hooks(self) -> list[Call]:
        return [c for c in self.calls if c.path.startswith("/hooks/")]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Poll until `count` calls to `method` arrived (listeners may run after the ack)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = (
                self.calls_to(method)
                if not method.startswith("/")
                else [c for c in self.calls if c.path.startswith(method)]
            )
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} call(s) to {method}; got {self.calls!r}")

    def clear(self) -> None:
        with self._lock:
            self.all_calls.clear()

    # -- the HTTP side -----------------------------------------------------------------------

    def _answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        method = path.removeprefix("/api/")
        if method == "auth.test":
            if not headers.get("authorization", "").startswith("Bearer xoxb-"):
                return 200, {}, {"ok": False, "error": "invalid_auth"}
            return (
                200,
                {"x-oauth-scopes": "chat:write,commands"},
                {
                    "ok": True,
                    "url": "https://example.slack.com/",
                    "team": "Example",
                    "user": "tokenbot",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "is_enterprise_install": False,
                },
            )
        with self._lock:
            failure = next((f for f in self._failures if f[2] is None or f[2] == method), None)
            if failure is not None:
                self._failures.remove(failure)
        if failure is not None:
            status, extra, _ = failure
            error = "ratelimited" if status == 429 else "internal_error"
            return status, extra, {"ok": False, "error": error}
        with self._lock:
            refusal = next((e for e in self._errors if e[0] == method), None)
            if refusal is not None:
                self._errors.remove(refusal)
        if refusal is not None:
            return 200, {}, {"ok": False, "error": refusal[1]}
        if path.startswith("/hooks/"):
            return 200, {}, "ok"
        if method == "chat.getPermalink":
            return (
                200,
                {},
                {
                    "ok": True,
                    "channel": "C1",
                    "permalink": "https://example.slack.com/archives/C1/p1700000000000100",
                },
            )
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            ts = POSTED_TS if self._posts is None else f"1700000001.{next(self._posts):06d}"
            return 200, {}, {"ok": True, "channel": "C1", "ts": ts}
        if method == "conversations.open":
            return 200, {}, {"ok": True, "channel": {"id": OPENED_DM}}
        return 200, {}, {"ok": True}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Silence the per-request log lines."""

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                headers = {k.lower(): v for k, v in self.headers.items()}
                path = self.path.split("?", 1)[0]
                fake._wait_if_held(path.removeprefix("/api/"))
                status, extra, answer = fake._answer(path, headers)
                body = _parse(raw, headers.get("content-type", ""))
                refused = None
                if isinstance(answer, dict) and answer.get("ok") is False and status == 200:
                    refused = str(answer.get("error"))
                with fake._lock:
                    fake.all_calls.append(Call(path, body, headers, status, refused))
                payload = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
                self.send_response(status)
                content_type = "text/plain" if isinstance(answer, str) else "application/json"
                self.send_header("Content-Type", content_type)
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

        return Handler


def _parse(raw: str, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        data = json.loads(raw)
        return data if isinstance(data, dict) else {"_": data}
    fields: dict[str, Any] = dict(parse_qsl(raw, keep_blank_values=True))
    for key in ("blocks", "view"):
        if isinstance(fields.get(key), str):
            fields[key] = json.loads(fields[key])
    return fields
