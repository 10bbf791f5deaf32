"""`/tokens audit`: admins only, acknowledged at once, the result posted after the ack."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import responses

from bot.deps import Deps
from tests.bot.genesys import fake_genesys as org
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.conftest import Driver, MakeDriver, all_text

ADMIN = "UADMIN001"


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    # Only Genesys calls are mocked: the fake Slack's response URL is reached through urllib.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def admin_slack(
    make_driver: MakeDriver, deps: Deps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Driver:
    path = tmp_path / "orgs.yml"
    path.write_text(org.ORGS_YAML, encoding="utf-8")
    for name, value in org.ENV.items():
        monkeypatch.setenv(name, value)
    return make_driver(replace(deps, admins=frozenset({ADMIN}), orgs_path=path))


def posted(slack: Driver) -> dict[str, Any]:
    """The message sent to the command's response URL after the acknowledgement."""
    [hook] = slack.fake.wait_for("/hooks/")
    return hook.body


class TestAdmins:
    def test_acknowledges_at_once_then_posts_the_audit(
        self, admin_slack: Driver, mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        ack = admin_slack.command_reply("audit sta org=acme", user=ADMIN)
        assert ack["response_type"] == "ephemeral"
        assert "Auditing org acme for STA permissions" in all_text(ack)
        result = posted(admin_slack)
        assert result["response_type"] == "ephemeral"
        text = all_text(result)
        assert "*STA Supervisor*: 4 users" in text
        assert "5 distinct users x 45 = 225 tokens/month" in text
        assert "For a ticket" in text

    def test_a_missing_permission_is_reported_in_one_line(
        self, admin_slack: Driver, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, f"{org.API}/api/v2/authorization/roles", status=403)
        admin_slack.command_reply("audit copilot", user=ADMIN)
        section = posted(admin_slack)["blocks"][0]["text"]["text"]
        assert "authorization:role:view" in section
        assert "\n" not in section

    def test_a_bad_request_is_corrected_in_the_ack_without_calling_genesys(
        self, admin_slack: Driver, mock: responses.RequestsMock
    ) -> None:
        ack = admin_slack.command_reply("audit wem", user=ADMIN)
        assert "unknown add-on 'wem'" in all_text(ack)
        assert len(mock.calls) == 0
        assert admin_slack.fake.hooks() == []


class TestOthers:
    def test_get_a_polite_refusal_and_nothing_is_fetched(
        self, admin_slack: Driver, mock: responses.RequestsMock
    ) -> None:
        ack = admin_slack.command_reply("audit sta org=acme", user=rq.USER)
        assert ack["response_type"] == "ephemeral"
        assert "only for the tokenbot admins" in all_text(ack)
        assert len(mock.calls) == 0
        assert admin_slack.fake.hooks() == []


class TestSecrets:
    def test_no_secret_in_the_replies_or_the_logs(
        self,
        admin_slack: Driver,
        mock: responses.RequestsMock,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        org.add_login(mock)
        org.add_login(mock, status=401)
        mock.add(responses.GET, f"{org.API}/api/v2/authorization/roles", status=401)
        ack = admin_slack.command_reply("audit sta", user=ADMIN)
        result = posted(admin_slack)
        assert "refused the OAuth client credentials" in all_text(result)
        shown = json.dumps(ack) + json.dumps(result) + caplog.text
        for secret in (org.CLIENT_SECRET, org.ACCESS_TOKEN):
            assert secret not in shown
