"""`/tokens audit`: admins only, acknowledged at once, the result posted after the ack, with
the licences Genesys infers beside each role."""

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
from bot.errors import UsageError
from bot.slack.audit import AuditRequest
from calculators.audit import Addon
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


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """The texts Slack formats (mentions included); plain_text is shown as it is."""
    found = []
    for block in blocks:
        for element in [block.get("text"), *block.get("elements", [])]:
            if isinstance(element, dict) and element.get("type") == "mrkdwn":
                found.append(element["text"])
    return found


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


class TestInferredLicences:
    def test_each_role_shows_genesys_answer_and_disagreements_are_flagged(
        self, admin_slack: Driver, mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        admin_slack.command_reply("audit sta org=acme", user=ADMIN)
        text = all_text(posted(admin_slack))
        assert (
            "`speechAndTextAnalytics:topic:view,edit` · Genesys infers gcSTAupgrade (agrees)"
            in (text)
        )
        assert "Genesys infers cloudCX2, gc2WEMupgrade (DISAGREES)" in text
        assert ":warning: Master Admin: grants billing:user:staUpgrade" in text
        assert "By Genesys' inference: 3 distinct users" in text

    def test_all_roles_asks_about_every_role(
        self, admin_slack: Driver, mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        ack = admin_slack.command_reply("audit sta all-roles", user=ADMIN)
        assert "asking Genesys about every role" in all_text(ack)
        text = all_text(posted(admin_slack))
        assert "*Roles Genesys bills for STA that grant none of the listed permissions*" in text
        assert "*Dictionary Editor*: 2 users · Genesys infers gcSTAupgrade (DISAGREES)" in text
        assert len(org.infer_calls(mock)) == 7

    def test_a_refused_inference_still_posts_the_audit(
        self, admin_slack: Driver, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        org.add_roles(mock)
        org.add_refused_inference(mock, 403)
        org.add_grants_and_members(mock)
        admin_slack.command_reply("audit sta", user=ADMIN)
        text = all_text(posted(admin_slack))
        assert "5 distinct users x 45 = 225 tokens/month" in text
        assert "license/infer) was unavailable" in text

    def test_licence_ids_from_the_org_are_escaped(
        self, admin_slack: Driver, mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock, licences={**org.LICENCES, "r-sta-sup": ["<!channel>"]})
        admin_slack.command_reply("audit sta", user=ADMIN)
        result = posted(admin_slack)
        mrkdwn = [result["text"], *mrkdwn_texts(result["blocks"])]
        assert not [text for text in mrkdwn if "<!channel>" in text]
        assert any("Genesys infers &lt;!channel&gt;" in text for text in mrkdwn)


class TestRequest:
    def test_reads_all_roles_anywhere_after_the_add_on(self) -> None:
        assert AuditRequest.parse("sta all-roles org=acme") == AuditRequest(
            addon=Addon.STA, org="acme", all_roles=True
        )
        assert AuditRequest.parse("copilot --all-roles").all_roles

    def test_an_unknown_word_names_the_accepted_ones(self) -> None:
        with pytest.raises(UsageError, match=r"cannot read 'everything'.*\[all-roles\]"):
            AuditRequest.parse("sta everything")


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
