"""Settings: one typed object from the environment; errors name the variable, never the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import DEFAULT_DB, Mode, Settings

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1-abc",
    "SLACK_SIGNING_SECRET": "s3cret",
    "SLACK_APP_TOKEN": "xapp-1",
}


class TestSettings:
    def test_defaults(self) -> None:
        settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"})
        assert settings.db == DEFAULT_DB
        assert settings.retention_days == 365
        assert settings.slack_api_url is None
        assert settings.admins == frozenset()
        assert settings.experts_channel is None

    def test_reads_every_setting(self) -> None:
        settings = Settings.from_env(
            {
                **GOOD,
                "TOKENBOT_DB": "/tmp/x.db",
                "TOKENBOT_SLACK_API_URL": "http://127.0.0.1:9/api",
                "TOKENBOT_ADMINS": "U012AB3CD, W0456EF7G",
                "TOKENBOT_RETENTION_DAYS": "30",
                "TOKENBOT_EXPERTS_CHANNEL": " C0EXPERTS ",
            }
        )
        assert settings.experts_channel == "C0EXPERTS"
        assert settings.db == "/tmp/x.db"
        assert settings.slack_api_url == "http://127.0.0.1:9/api/"
        assert settings.admins == {"U012AB3CD", "W0456EF7G"}
        assert settings.retention_days == 30

    @pytest.mark.parametrize(
        "url", ["postgresql://tokenbot@db.internal:5432/tokenbot", "postgres://u:pw@h/d"]
    )
    def test_a_postgresql_url_is_taken_as_it_is(self, url: str) -> None:
        assert Settings.from_env({**GOOD, "TOKENBOT_DB": url}).db == url

    def test_a_url_of_another_kind_is_refused_without_echoing_it(self) -> None:
        with pytest.raises(SettingsError, match="TOKENBOT_DB is malformed") as raised:
            Settings.from_env({**GOOD, "TOKENBOT_DB": "mysql://root:hunter2@db/tokenbot"})
        assert "hunter2" not in raised.value.message
        assert "postgresql://" in raised.value.message

    def test_secrets_never_show_in_repr(self) -> None:
        settings = Settings.from_env(GOOD)
        assert "xoxb-1-abc" not in repr(settings)
        assert "s3cret" not in repr(settings)

    def test_is_frozen(self) -> None:
        settings = Settings.from_env(GOOD)
        with pytest.raises(ValueError, match="frozen"):
            settings.retention_days = 1  # type: ignore[misc]

    @pytest.mark.parametrize(
        ("env", "named"),
        [
            ({}, "SLACK_BOT_TOKEN is not set"),
            ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN is malformed"),
            ({**GOOD, "SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN is malformed"),
            ({**GOOD, "TOKENBOT_SLACK_API_URL": "ftp://x"}, "TOKENBOT_SLACK_API_URL is malformed"),
            ({**GOOD, "TOKENBOT_ADMINS": "bob"}, "TOKENBOT_ADMINS is malformed"),
            ({**GOOD, "TOKENBOT_RETENTION_DAYS": "a year"}, "TOKENBOT_RETENTION_DAYS is malformed"),
            ({**GOOD, "TOKENBOT_RETENTION_DAYS": "0"}, "TOKENBOT_RETENTION_DAYS is malformed"),
            (
                {**GOOD, "TOKENBOT_EXPERTS_CHANNEL": "#experts"},
                "TOKENBOT_EXPERTS_CHANNEL is malformed",
            ),
            (
                {**GOOD, "TOKENBOT_EXPERTS_CHANNEL": "D0DM0001"},
                "TOKENBOT_EXPERTS_CHANNEL is malformed",
            ),
            (
                {**GOOD, "TOKENBOT_EXPERTS_CHANNEL": "c0experts"},
                "TOKENBOT_EXPERTS_CHANNEL is malformed",
            ),
        ],
    )
    def test_bad_setting_is_named_in_one_line(self, env: dict[str, str], named: str) -> None:
        with pytest.raises(SettingsError) as raised:
            Settings.from_env(env)
        assert named in str(raised.value)
        assert "\n" not in str(raised.value)

    def test_error_never_echoes_the_value(self) -> None:
        with pytest.raises(SettingsError) as raised:
            Settings.from_env({"SLACK_BOT_TOKEN": "xoxp-very-secret-value"})
        assert "very-secret" not in str(raised.value)

    def test_http_mode_needs_the_signing_secret(self) -> None:
        settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"})
        with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
            settings.require(Mode.HTTP)

    def test_socket_mode_needs_the_app_token(self) -> None:
        settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
        with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
            settings.require(Mode.SOCKET)


class TestSecretsFromFiles:
    """`SLACK_BOT_TOKEN_FILE` and friends: the Docker and Kubernetes secrets convention."""

    @pytest.fixture
    def secrets(self, tmp_path: Path) -> dict[str, str]:
        files = {
            "SLACK_BOT_TOKEN_FILE": "xoxb-from-file\n",
            "SLACK_SIGNING_SECRET_FILE": "signing-from-file\r\n",
            "SLACK_APP_TOKEN_FILE": "xapp-from-file",
        }
        env = {}
        for name, content in files.items():
            path = tmp_path / name.lower()
            path.write_text(content, encoding="utf-8", newline="")
            env[name] = str(path)
        return env

    def test_every_secret_can_come_from_a_file(self, secrets: dict[str, str]) -> None:
        settings = Settings.from_env(secrets)
        assert settings.bot_token.get_secret_value() == "xoxb-from-file"
        assert settings.signing_secret is not None
        assert settings.signing_secret.get_secret_value() == "signing-from-file"
        assert settings.app_token is not None
        assert settings.app_token.get_secret_value() == "xapp-from-file"

    def test_a_file_is_checked_like_a_variable(self, tmp_path: Path) -> None:
        path = tmp_path / "token"
        path.write_text("not-a-bot-token\n")
        with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN is malformed"):
            Settings.from_env({"SLACK_BOT_TOKEN_FILE": str(path)})

    def test_both_ways_at_once_is_an_error(self, secrets: dict[str, str]) -> None:
        with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE"):
            Settings.from_env({**secrets, "SLACK_BOT_TOKEN": "xoxb-1"})

    def test_a_missing_file_is_named_with_its_variable(self, tmp_path: Path) -> None:
        missing = tmp_path / "nope"
        with pytest.raises(SettingsError) as raised:
            Settings.from_env({"SLACK_BOT_TOKEN_FILE": str(missing)})
        assert "SLACK_BOT_TOKEN_FILE" in raised.value.message
        assert str(missing) in raised.value.message
        assert "No such file" in raised.value.message

    def test_an_empty_file_is_an_error(self, tmp_path: Path) -> None:
        empty = tmp_path / "empty"
        empty.write_text("\n")
        with pytest.raises(SettingsError, match="empty"):
            Settings.from_env({"SLACK_BOT_TOKEN_FILE": str(empty)})

    def test_the_secret_in_a_file_is_never_echoed(self, tmp_path: Path) -> None:
        path = tmp_path / "token"
        path.write_text("xoxb-has space\n")
        with pytest.raises(SettingsError) as raised:
            Settings.from_env({"SLACK_BOT_TOKEN_FILE": str(path)})
        assert "has space" not in raised.value.message
