"""`tokenbot serve`: bad or missing settings give one line naming the setting, and exit 2."""

from __future__ import annotations

import pytest

from bot.cli.main import main


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "TOKENBOT_DB",
        "TOKENBOT_SLACK_API_URL",
        "TOKENBOT_ADMINS",
        "TOKENBOT_RETENTION_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)


class TestServeSettings:
    @pytest.mark.parametrize(
        ("args", "env", "named"),
        [
            (["serve"], {}, "SLACK_BOT_TOKEN"),
            (["serve"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN"),
            (["serve", "--http"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
            (
                ["serve", "--http"],
                {"SLACK_BOT_TOKEN": "oops", "SLACK_SIGNING_SECRET": "s"},
                "SLACK_BOT_TOKEN",
            ),
            (
                ["serve", "--http"],
                {
                    "SLACK_BOT_TOKEN": "xoxb-1",
                    "SLACK_SIGNING_SECRET": "s",
                    "TOKENBOT_SLACK_API_URL": "not a url",
                },
                "TOKENBOT_SLACK_API_URL",
            ),
        ],
    )
    def test_one_clear_line_and_exit_2(
        self,
        args: list[str],
        env: dict[str, str],
        named: str,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert err.startswith("tokenbot serve: ")
        assert named in err
        assert "Traceback" not in err
