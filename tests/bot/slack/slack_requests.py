"""Requests shaped and signed the way Slack sends them (see reference/slack-platform.md §1.4)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

SECRET = "test-signing-secret"
USER = "U0USER01"
CHANNEL = "C0CHAN01"
DM_CHANNEL = "D0DM0001"
TEAM = "T0001"


_TRIGGERS = itertools.count(1)


def trigger_id() -> str:
    """A fresh trigger id: Slack gives every command and click its own, so no two bodies match."""
    return f"{next(_TRIGGERS)}.1700000000.abcdef"


def sign(
    body: str | bytes, content_type: str, *, secret: str = SECRET, age: int = 0
) -> dict[str, str]:
    """Headers for `body`: a valid signature over a timestamp `age` seconds old."""
    timestamp = str(int(time.time()) - age)
    raw = body.encode("utf-8") if isinstance(body, str) else body
    # Slack signs the bytes it sends, UTF-8 or not (slack_sdk's helper only takes text).
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    signature = "v0=" + digest.hexdigest()
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
    }


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def command(
    text: str,
    response_url: str,
    *,
    user: str = USER,
    channel: str = CHANNEL,
    channel_name: str = "general",
    trigger: str | None = None,
) -> str:
    """A form-encoded `/tokens` slash command (with a fresh trigger id unless `trigger`)."""
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": "csm",
            "command": "/tokens",
            "text": text,
            "api_app_id": "A0APP001",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger or trigger_id(),
        }
    )


def event(inner: dict[str, Any], *, event_id: str = "Ev0001") -> str:
    """A JSON Events API `event_callback` wrapping `inner`."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0APP001",
            "event": inner,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": TEAM,
                    "user_id": "UBOT0001",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
    )


def mention(
    text: str, *, ts: str = "1700000000.000100", user: str = USER, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@UBOT0001> {text}",
        "ts": ts,
        "channel": CHANNEL,
        "event_ts": ts,
        **extra,
    }


def dm(text: str, *, ts: str = "1700000000.000300", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "user": USER,
        "text": text,
        "ts": ts,
        "channel": DM_CHANNEL,
        "event_ts": ts,
        **extra,
    }


def channel_message(
    text: str,
    *,
    ts: str = "1700000010.000100",
    user: str = USER,
    channel: str = CHANNEL,
    channel_type: str = "channel",
    **extra: Any,
) -> dict[str, Any]:
    """A `message.channels` event (`channel_type="group"`: `message.groups`)."""
    return {
        "type": "message",
        "channel_type": channel_type,
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        **extra,
    }


def click(
    action_id: str,
    value: str,
    response_url: str,
    *,
    ephemeral: bool = False,
    message_ts: str = "1700000001.000200",
    thread_ts: str | None = None,
    channel: str = CHANNEL,
    user: str = USER,
) -> str:
    """A form-encoded `block_actions` payload for one button."""
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel,
        "is_ephemeral": ephemeral,
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": "csm", "name": "csm", "team_id": TEAM},
        "api_app_id": "A0APP001",
        "token": "legacy",
        "container": container,
        "trigger_id": trigger_id(),
        "team": {"id": TEAM, "domain": "example"},
        "channel": {"id": channel, "name": "general"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b",
                "text": {"type": "plain_text", "text": "x"},
                "value": value,
                "type": "button",
                "action_ts": "1700000002.0",
            }
        ],
    }
    if not ephemeral:
        payload["message"] = {"type": "message", "ts": message_ts, "text": "…", "blocks": []}
        if thread_ts:
            payload["message"]["thread_ts"] = thread_ts
    return urlencode({"payload": json.dumps(payload)})
