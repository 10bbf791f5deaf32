"""The one typed settings object, built from the environment at the edge and passed down.

Secrets are `SecretStr`: they never appear in a repr, a log line or an error message. Every
error names the variable and what it expects, never the value that was found.

Each secret may instead be given as a file, the Docker and Kubernetes secrets convention:
`SLACK_BOT_TOKEN_FILE=/run/secrets/slack_bot_token` (a trailing newline is ignored). Given so,
the secret is in no process's environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr

from bot.errors import SettingsError
from bot.genesys.orgs import orgs_path_from_env
from bot.store.base import backend_of

DEFAULT_DB = "./tokenbot.db"
"""`TOKENBOT_DB` when unset: a sqlite file in the working directory."""
DEFAULT_RETENTION_DAYS = 365
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
"""A public (`C…`) or private (`C…`, older ones `G…`) channel id; not a DM (`D…`), not a name."""


class Mode(StrEnum):
    """How Slack reaches the app."""

    SOCKET = "socket"
    HTTP = "http"


class Settings(BaseModel):
    """Everything the bot reads from its environment, validated once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bot_token: SecretStr
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    db: str = DEFAULT_DB
    """`TOKENBOT_DB`: a sqlite file path, or a `postgresql://` URL (which may hold a password:
    never printed; `bot.store` shows it without)."""
    slack_api_url: str | None = None
    admins: frozenset[str] = frozenset()
    retention_days: int = DEFAULT_RETENTION_DAYS
    orgs_path: Path | None = None
    """The orgs file `/tokens audit` reads (`TOKENBOT_ORGS`)."""
    experts_channel: str | None = None
    """Where unanswered questions are forwarded (`TOKENBOT_EXPERTS_CHANNEL`); None: nowhere."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read and check every setting; raises `SettingsError` naming the first bad one."""
        bot_token = _secret(env, "SLACK_BOT_TOKEN", prefix="xoxb-", required=True)
        assert bot_token is not None
        return cls(
            bot_token=bot_token,
            signing_secret=_secret(env, "SLACK_SIGNING_SECRET"),
            app_token=_secret(env, "SLACK_APP_TOKEN", prefix="xapp-"),
            db=_db(env),
            slack_api_url=_api_url(env),
            admins=_admins(env),
            retention_days=_retention_days(env),
            orgs_path=orgs_path_from_env(env),
            experts_channel=experts_channel(env),
        )

    def require(self, mode: Mode) -> None:
        """Check that the settings `mode` needs are present."""
        if mode is Mode.HTTP and self.signing_secret is None:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs the app's signing secret "
                "(Basic Information > App Credentials), or SLACK_SIGNING_SECRET_FILE naming a "
                "file that holds it"
            )
        if mode is Mode.SOCKET and self.app_token is None:
            raise SettingsError(
                "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token starting "
                "'xapp-' with the connections:write scope, or SLACK_APP_TOKEN_FILE naming a "
                "file that holds it (or run with --http)"
            )


class StoreSettings(BaseModel):
    """What the database commands (`show`, `report`, `forget`, `db`) read: no Slack token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    db: str = DEFAULT_DB
    retention_days: int = DEFAULT_RETENTION_DAYS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StoreSettings:
        """`TOKENBOT_DB` and `TOKENBOT_RETENTION_DAYS`; raises `SettingsError` naming a bad one."""
        return cls(db=_db(env), retention_days=_retention_days(env))


def _value(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


FILE_SUFFIX = "_FILE"
MAX_SECRET_FILE = 64 * 1024
"""Bytes: a secret file larger than this is not a token."""


def _secret(
    env: Mapping[str, str], name: str, *, prefix: str = "", required: bool = False
) -> SecretStr | None:
    value = _secret_value(env, name)
    if value is None:
        if required:
            raise SettingsError(
                f"{name} is not set: expected a bot token starting '{prefix}' "
                f"(or {name}{FILE_SUFFIX} naming a file that holds it)"
            )
        return None
    if prefix and not value.startswith(prefix):
        raise SettingsError(f"{name} is malformed: expected a token starting '{prefix}'")
    if any(char.isspace() for char in value):
        raise SettingsError(f"{name} is malformed: expected no spaces inside the value")
    return SecretStr(value)


def _secret_value(env: Mapping[str, str], name: str) -> str | None:
    """`name`'s value, from the variable or from the file `name_FILE` names (not both)."""
    file_name = name + FILE_SUFFIX
    value, path = _value(env, name), _value(env, file_name)
    if path is None:
        return value
    if value is not None:
        raise SettingsError(f"{name} and {file_name} are both set: give the secret one way")
    try:
        with open(path, "rb") as secret_file:
            data = secret_file.read(MAX_SECRET_FILE + 1)
    except OSError as exc:
        raise SettingsError(
            f"{file_name} names {path}, which cannot be read ({exc.strerror or exc})"
        ) from None
    if len(data) > MAX_SECRET_FILE:
        raise SettingsError(f"{file_name} names {path}, which is too large to hold a secret")
    try:
        text = data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise SettingsError(f"{file_name} names {path}, which is not UTF-8 text") from None
    if not text.strip():
        raise SettingsError(f"{file_name} names {path}, which is empty")
    return text


def _db(env: Mapping[str, str]) -> str:
    value = _value(env, "TOKENBOT_DB")
    if value is None:
        return DEFAULT_DB
    scheme = value.split("://", 1)[0] if "://" in value else None
    if scheme is not None and backend_of(value) != "postgresql":
        raise SettingsError(
            "TOKENBOT_DB is malformed: expected a sqlite file path (./tokenbot.db) or a "
            "PostgreSQL URL (postgresql://USER@HOST:PORT/DATABASE), not a URL of another kind"
        )
    return value


def _api_url(env: Mapping[str, str]) -> str | None:
    value = _value(env, "TOKENBOT_SLACK_API_URL")
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            "TOKENBOT_SLACK_API_URL is malformed: expected an http(s) URL such as "
            "https://slack.com/api/"
        )
    return value if value.endswith("/") else value + "/"


def _admins(env: Mapping[str, str]) -> frozenset[str]:
    value = _value(env, "TOKENBOT_ADMINS")
    if value is None:
        return frozenset()
    ids = [part.strip() for part in value.split(",") if part.strip()]
    for user_id in ids:
        if not _USER_ID.match(user_id):
            raise SettingsError(
                "TOKENBOT_ADMINS is malformed: expected comma-separated Slack user ids "
                "such as U012AB3CD,W0456EF7G"
            )
    return frozenset(ids)


def experts_channel(env: Mapping[str, str]) -> str | None:
    """`TOKENBOT_EXPERTS_CHANNEL`: a channel id (`C012AB3CD`), or None when not set."""
    value = _value(env, "TOKENBOT_EXPERTS_CHANNEL")
    if value is None:
        return None
    if not _CHANNEL_ID.match(value):
        raise SettingsError(
            "TOKENBOT_EXPERTS_CHANNEL is malformed: expected a channel id such as C012AB3CD "
            "(the channel's details show it at the bottom), not a #name or a DM"
        )
    return value


def _retention_days(env: Mapping[str, str]) -> int:
    value = _value(env, "TOKENBOT_RETENTION_DAYS")
    if value is None:
        return DEFAULT_RETENTION_DAYS
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(
            "TOKENBOT_RETENTION_DAYS is malformed: expected a whole number of days, at least 1"
        )
    return int(value)
