"""The HTTP way in: `POST /slack/events` verified, parsed and checked for replays, then Bolt.

Order matters: the body is read (bounded), the signature verified, the body parsed once, and
a replayed slash command or interaction refused, all before Bolt or any listener, middleware or
error handler of ours runs. A refused request gets its status (401, 400, 411, 413, 415) and one
line in the log, never its body. Slack's certificate check (`ssl_check=1`, carrying nothing
else) is answered 200 unsigned, as Bolt does.

`GET /healthz` is liveness: 200 while the process and its knowledge base are up, whether or not
the database answers (a database that blinks must not get every server restarted); it says
which store and whether it answered. `GET /readyz` is readiness, for a load balancer: 503 while
the database does not answer, so that traffic goes to servers that can save what they answer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse

from bot.deps import Deps
from bot.errors import StorageUnavailableError
from bot.slack import inbound
from bot.slack.inbound import Refused, Signature

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
_ERRORS = {401: "invalid request", 400: "malformed request"}


class TokenbotWsgi:
    """Routes `/healthz` and `/readyz` to their answers and verified Slack requests to Bolt."""

    def __init__(
        self,
        app: App,
        deps: Deps,
        signing_secret: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app = app
        self._deps = deps
        self._secret = signing_secret
        self._clock = clock

    def health(self) -> dict[str, Any]:
        """Liveness: `ok` is the knowledge base alone; the store is reported, not required."""
        return {
            "ok": self._knowledge_up(),
            "entries": len(self._deps.kb.entries),
            "cards": sorted(self._deps.cards),
            **self._store_state(),
        }

    def readiness(self) -> dict[str, Any]:
        """Readiness: `ready` when the knowledge base is up and the store answers now."""
        state = self._store_state()
        return {"ready": self._knowledge_up() and state["store_reachable"], **state}

    def _knowledge_up(self) -> bool:
        return bool(self._deps.kb.entries) and bool(self._deps.cards)

    def _store_state(self) -> dict[str, Any]:
        store = self._deps.store
        try:
            store.ping()
        except StorageUnavailableError as exc:
            return {"store": store.backend, "store_reachable": False, "store_problem": exc.message}
        return {"store": store.backend, "store_reachable": True}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path in (HEALTH_PATH, READY_PATH) and method in ("GET", "HEAD"):
            if path == HEALTH_PATH:
                answer, up = self.health(), self._knowledge_up()
            else:
                answer = self.readiness()
                up = answer["ready"]
            return _send(start_response, 200 if up else 503, json.dumps(answer), "application/json")
        if path != EVENTS_PATH or method != "POST":
            return _send(start_response, 404, "Not Found", "text/plain;charset=utf-8")
        try:
            raw = _read_body(environ)
            if inbound.is_ssl_check(raw, environ.get("CONTENT_TYPE") or ""):
                return _send(start_response, 200, "", "text/plain;charset=utf-8")
            request = self._verified_request(environ, raw)
        except Refused as refusal:
            logger.info(
                "refused a request from %s: %s (%s bytes)",
                environ.get("REMOTE_ADDR", "?"),
                refusal.reason,
                environ.get("CONTENT_LENGTH") or "no length",
            )
            error = _ERRORS.get(refusal.status, HTTPStatus(refusal.status).phrase.lower())
            body = json.dumps({"error": error})
            return _send(start_response, refusal.status, body, "application/json")
        return _send_bolt(start_response, self._app.dispatch(request))

    def _verified_request(self, environ: WSGIEnvironment, raw: bytes) -> BoltRequest:
        headers = _headers(environ)
        signature = inbound.verify(self._secret, headers, raw, self._clock())
        payload = inbound.parse(raw, headers.get("content-type", ""))
        if not inbound.is_event(payload) and not self._first_use(signature):
            raise Refused(401, "a replay of a signed request already served")
        try:
            # Bolt's "socket_mode" requests arrive parsed and already authenticated, as ours
            # now are: Bolt then neither parses the body again nor checks the signature again.
            return BoltRequest(body=payload, headers=dict(headers), mode="socket_mode")
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            raise Refused(400, "a payload of a shape Slack does not send") from None

    def _first_use(self, signature: Signature) -> bool:
        """False for a replay; a database that is away lets the request through (and logs)."""
        try:
            return self._deps.store.claim_signature(signature.timestamp, signature.signature)
        except StorageUnavailableError:
            return True


def _read_body(environ: WSGIEnvironment) -> bytes:
    length_text = environ.get("CONTENT_LENGTH") or ""
    if not length_text:
        raise Refused(411, "no Content-Length")
    if not length_text.isdigit():
        raise Refused(400, "Content-Length is not a number")
    length = int(length_text)
    if length > inbound.MAX_BODY:
        raise Refused(413, f"the body is larger than {inbound.MAX_BODY} bytes")
    body: bytes = environ["wsgi.input"].read(length)
    if len(body) != length:
        raise Refused(400, "the body is shorter than its Content-Length")
    return body


def _headers(environ: WSGIEnvironment) -> dict[str, str]:
    """Request headers keyed in lower case, as Slack and Bolt name them (`x-slack-signature`)."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


def _send(start_response: StartResponse, status: int, body: str, content_type: str) -> list[bytes]:
    data = body.encode("utf-8")
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", content_type), ("Content-Length", str(len(data)))],
    )
    return [data]


def _send_bolt(start_response: StartResponse, response: BoltResponse) -> list[bytes]:
    data = (response.body or "").encode("utf-8")
    headers = [
        (name, value)
        for name, values in response.headers.items()
        if name.lower() != "content-length"
        for value in values
    ]
    headers.append(("Content-Length", str(len(data))))
    start_response(f"{response.status} {HTTPStatus(response.status).phrase}", headers)
    return [data]
