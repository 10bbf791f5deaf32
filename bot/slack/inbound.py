"""What arrives on `POST /slack/events`, checked before any of our code, or Bolt's, sees it.

`verify()` checks Slack's request signature: `v0=` and the hex HMAC-SHA256, under the signing
secret, of `v0:{X-Slack-Request-Timestamp}:{raw body}`, compared in constant time, with the
timestamp within 5 minutes of now. `parse()` then reads the body once: a JSON event, a
form-encoded slash command, or a form whose only field is `payload`, an interaction in JSON.
Both are pure (bytes and headers in, a value out) and raise `Refused` with the HTTP status and a
one-line reason, which is safe to log: it quotes neither the body nor a header's value.

Parsing here, and handing Bolt the parsed body, also sidesteps slack-bolt 1.30's own parser,
which takes any form body merely *containing* the text "payload" for an interaction, so that
`/tokens ask what is the payload of an STA token` went unanswered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

SIGNATURE_WINDOW = 300
"""Seconds a request's timestamp may differ from now (Slack's own rule)."""
MAX_BODY = 1024 * 1024
"""Bytes: an interaction carries the message it came from (50 blocks of at most 3,000
characters), comfortably below this."""
MAX_FORM_FIELDS = 64
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Refused(Exception):
    """The request is not served: `status` is the HTTP answer, `reason` a line for the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Signature:
    """The verified signature headers of one request (what a replay would repeat exactly)."""

    timestamp: int
    signature: str


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> Signature:
    """The request's signature if it is Slack's and fresh; else `Refused(401, ...)`.

    `headers` are keyed in lower case. Every malformed header is refused the same way as a
    wrong one: an empty or non-numeric timestamp, a missing `v0=`, hex of the wrong length.
    """
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp:
        raise Refused(401, "no X-Slack-Request-Timestamp header")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Refused(401, "X-Slack-Request-Timestamp is not a number of seconds")
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW:
        raise Refused(401, "X-Slack-Request-Timestamp is more than 5 minutes from now")
    if not signature:
        raise Refused(401, "no X-Slack-Signature header")
    if not _SIGNATURE.fullmatch(signature):
        raise Refused(401, "X-Slack-Signature is not 'v0=' and 64 hex digits")
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Refused(401, "X-Slack-Signature does not match the body")
    return Signature(int(timestamp), signature)


def media_type(content_type: str) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    return content_type.split(";", 1)[0].strip().lower()


def parse(body: bytes, content_type: str) -> dict[str, Any]:
    """The request's payload as Bolt expects it; `Refused(400 or 415, ...)` when malformed."""
    kind = media_type(content_type)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the body is not UTF-8") from None
    if kind == JSON_TYPE:
        return _checked(_json_object(text, "the body"))
    if kind != FORM_TYPE:
        raise Refused(415, f"content type '{kind[:60]}' is neither {JSON_TYPE} nor {FORM_TYPE}")
    try:
        fields = parse_qsl(
            text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "the form is not UTF-8, or has too many fields") from None
    form = dict(fields)
    if "payload" in form:  # an interaction: a form with one field, JSON
        return _checked(_json_object(form["payload"], "the payload field"))
    return form


def is_ssl_check(body: bytes, content_type: str) -> bool:
    """Slack's certificate check of a slash command URL: `ssl_check=1` (and a token), nothing else.

    It is answered 200 without a signature, as Bolt does, and no code of ours runs for it.
    """
    if media_type(content_type) != FORM_TYPE or len(body) > 200:
        return False
    try:
        fields = dict(parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="strict"))
    except (UnicodeDecodeError, ValueError):
        return False
    return fields.get("ssl_check") == "1" and set(fields) <= {"ssl_check", "token"}


def is_event(payload: Mapping[str, Any]) -> bool:
    """An Events API delivery (deduplicated by event id rather than by signature)."""
    return payload.get("type") in ("event_callback", "url_verification", "app_rate_limited")


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise Refused(400, f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, f"{what} is JSON but not an object")
    return data


_OBJECTS = ("event", "view", "container", "message", "state")
"""Keys whose value, when present at the top of a payload, must be a JSON object."""
_LISTS = ("authorizations", "actions")
"""Keys whose value, when present, must be a list of objects."""


def _checked(payload: dict[str, Any]) -> dict[str, Any]:
    """Refuse the shapes Slack never sends and Bolt's routing cannot read (it would crash)."""
    kind = payload.get("type")
    if kind is not None and not isinstance(kind, str):
        raise Refused(400, "the payload's type is not text")
    for key in _OBJECTS:
        if key in payload and not isinstance(payload[key], dict):
            raise Refused(400, f"the payload's {key} is not an object")
    for key in _LISTS:
        value = payload.get(key)
        if key in payload and not (
            isinstance(value, list) and all(isinstance(item, dict) for item in value)
        ):
            raise Refused(400, f"the payload's {key} is not a list of objects")
    if kind == "block_actions" and not payload.get("actions"):
        raise Refused(400, "a block_actions payload without actions")
    event = payload.get("event")
    if isinstance(event, dict) and not isinstance(event.get("type"), str):
        raise Refused(400, "the event has no type")
    return payload
