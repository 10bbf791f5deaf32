"""`tokenbot audit sta|copilot --org NAME`: against a made-up org replayed with `responses`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from bot.cli.main import main
from tests.bot.genesys import fake_genesys as org


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture(autouse=True)
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "orgs.yml"
    path.write_text(org.ORGS_YAML, encoding="utf-8")
    monkeypatch.setenv("TOKENBOT_ORGS", str(path))
    for name, value in org.ENV.items():
        monkeypatch.setenv(name, value)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class TestHumanOutput:
    def test_names_each_billable_role_with_its_user_count(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        code, out, _ = run(capsys, "audit", "sta", "--org", "acme")
        assert code == 0
        roles = [line.split("  ")[-1] for line in out.splitlines() if " users  " in line]
        assert roles[0].startswith("STA Supervisor")
        assert "4 users  STA Supervisor" in out
        assert "2 users  Master Admin\n" in out
        assert "1 user  Transcription Admin" in out
        assert "Summary Viewer" not in out
        assert "Employee" not in out

    def test_shows_distinct_users_and_the_tokens_they_imply(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        _, out, _ = run(capsys, "audit", "sta", "--org", "acme")
        assert "Distinct billable users: 5" in out
        assert "5 distinct users x 45 = 225 tokens/month" in out

    def test_ends_with_a_block_for_a_ticket(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        _, out, _ = run(capsys, "audit", "sta", "--org", "acme")
        ticket = out.split("For a ticket:")[1]
        assert (
            "Billable roles (users): STA Supervisor (4; Genesys infers gcSTAupgrade), "
            "Master Admin (2; Genesys infers cloudCX2, gc2WEMupgrade)"
        ) in ticket
        assert "Disagreement: Master Admin: " in ticket
        assert "https://help.genesys.cloud/365251" in ticket

    def test_reports_pages_fetched_on_stderr(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        _, _, err = run(capsys, "audit", "sta", "--org", "acme")
        assert "tokenbot audit: roles: page 2 of 2" in err
        assert "role grants: role 3 of 3" in err

    def test_copilot_counts_the_copilot_role_only(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        _, out, _ = run(capsys, "audit", "copilot", "--org", "acme")
        assert "3 users  Copilot Agent" in out
        assert "3 distinct users x 40 = 120 tokens/month" in out

    def test_concurrent_points_to_the_usage_report(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        _, out, _ = run(capsys, "audit", "copilot", "--licence", "concurrent")
        assert "peak concurrent users (Concurrent Usage report) x 60 tokens/month" in out


class TestInferredLicences:
    def test_each_role_shows_what_genesys_infers_beside_the_permission_match(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        _, out, _ = run(capsys, "audit", "sta", "--org", "acme")
        supervisor = out[out.index("STA Supervisor") :].splitlines()[:3]
        assert supervisor[1].strip() == "via speechAndTextAnalytics:topic:view,edit"
        assert supervisor[2].strip() == "Genesys infers gcSTAupgrade (agrees)"
        assert "Genesys infers cloudCX2, gc2WEMupgrade (DISAGREES)" in out

    def test_says_plainly_where_genesys_disagrees(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        _, out, _ = run(capsys, "audit", "sta", "--org", "acme")
        assert (
            "Genesys' licence inference: asked about the billable roles (3); 1 role disagrees"
            in out
        )
        section = out.split("Where Genesys and the permission match disagree:\n")[1]
        first = section.splitlines()[0]
        assert first.startswith("- Master Admin: grants billing:user:staUpgrade")
        assert first.endswith(
            "but Genesys infers gc2WEMupgrade, which takes precedence over STA: its 2 users "
            "are billed that add-on, not STA tokens."
        )

    def test_counts_genesys_billed_users_and_the_inactive_left_out(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        _, out, _ = run(capsys, "audit", "sta", "--org", "acme")
        assert "By Genesys' inference: 3 distinct users" in out
        assert "Left out: 1 inactive or deleted group member (only active users count)" in out
        assert "(1 direct, through groups: QA Team; 1 inactive or deleted member left out)" in out

    def test_all_roles_lists_the_roles_genesys_bills_that_look_harmless(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        code, out, err = run(capsys, "audit", "sta", "--all-roles")
        assert code == 0
        billed = out.split("grant none of the listed permissions:\n")[1].splitlines()
        assert billed[0] == "  2 users  Dictionary Editor"
        assert billed[1].strip() == "Genesys infers gcSTAupgrade (DISAGREES)"
        assert "Other 3 roles asked: no billable permission" in out
        assert "  Summary Viewer: no licence" in out
        assert "licence inference: role 7 of 7" in err

    @pytest.mark.parametrize("status", [403, 404])
    def test_refused_or_absent_inference_still_prints_the_audit(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock, status: int
    ) -> None:
        org.add_login(mock)
        org.add_roles(mock)
        org.add_refused_inference(mock, status)
        org.add_grants_and_members(mock)
        code, out, _ = run(capsys, "audit", "sta")
        assert code == 0
        assert "5 distinct users x 45 = 225 tokens/month" in out
        assert "Genesys' inference: unavailable" in out
        assert f"(HTTP {status})" in out
        assert "The audit rests on the permission match." in out

    def test_an_org_without_wildcards_says_what_master_admin_grants_explicitly(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        pages = [
            [
                org.role(
                    "r-master",
                    "Master Admin",
                    org.policy("speechAndTextAnalytics", "topic", "view", "edit"),
                    defaultRoleId="masterAdmin",
                )
            ]
        ]
        org.add_org(mock, pages=pages, grants={"r-master": [org.user("u-al", "Al")]}, members={})
        _, out, _ = run(capsys, "audit", "sta")
        assert (
            "Master Admin grants 2 of the 24 billable STA permissions in this org explicitly: "
            "its 1 user is billed"
        ) in out


class TestJson:
    def test_lists_roles_users_and_totals(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        code, out, _ = run(capsys, "audit", "sta", "--org", "acme", "--json")
        data = json.loads(out)
        assert code == 0
        assert [(r["name"], r["user_count"]) for r in data["roles"]] == [
            ("STA Supervisor", 4),
            ("Master Admin", 2),
            ("Transcription Admin", 1),
        ]
        assert (data["distinct_users"], data["tokens"]) == (5, "225")
        assert sorted(u["id"] for u in data["users"]) == [
            "u-alice",
            "u-bob",
            "u-carol",
            "u-dave",
            "u-erin",
        ]

    def test_carries_the_inferred_licences_and_the_disagreements(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_org(mock)
        _, out, _ = run(capsys, "audit", "sta", "--json", "--all-roles")
        data = json.loads(out)
        assert [(r["name"], r["inferred"], r["agreement"]) for r in data["roles"]] == [
            ("STA Supervisor", ["gcSTAupgrade"], "agrees"),
            ("Master Admin", ["cloudCX2", "gc2WEMupgrade"], "superseded"),
            ("Transcription Admin", ["gcSTAupgrade"], "agrees"),
        ]
        assert [(r["name"], r["user_count"]) for r in data["inferred_only"]] == [
            ("Dictionary Editor", 2)
        ]
        assert [d["role"] for d in data["disagreements"]] == ["r-master", "r-dictionary"]
        assert data["inactive_left_out"] == 1
        assert data["inference_error"] is None


class TestFailures:
    def test_missing_permission_is_one_line_and_exit_1(
        self, capsys: pytest.CaptureFixture[str], mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, f"{org.API}/api/v2/authorization/roles", status=403)
        code, out, err = run(capsys, "audit", "sta", "--org", "acme")
        assert (code, out) == (1, "")
        assert err.count("\n") == 1
        assert "authorization:role:view" in err

    def test_an_unknown_org_says_did_you_mean(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "audit", "sta", "--org", "acne")
        assert code == 1
        assert "did you mean acme?" in err

    def test_an_unknown_add_on_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as caught:
            main(["audit", "wem"])
        assert caught.value.code == 2
        assert "invalid choice: 'wem'" in capsys.readouterr().err


class TestSecrets:
    @pytest.mark.parametrize(
        "failure",
        ["none", "bad-login", "403", "expired-then-refused"],
    )
    def test_no_secret_in_output_or_logs(
        self,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
        mock: responses.RequestsMock,
        failure: str,
    ) -> None:
        caplog.set_level("DEBUG")
        roles = f"{org.API}/api/v2/authorization/roles"
        if failure == "none":
            org.add_org(mock)
        elif failure == "bad-login":
            org.add_login(mock, status=401)
        elif failure == "403":
            org.add_login(mock)
            mock.add(responses.GET, roles, status=403)
        else:
            org.add_login(mock)
            mock.add(responses.GET, roles, status=401)
        _, out, err = run(capsys, "audit", "sta", "--org", "acme")
        for secret in (org.CLIENT_SECRET, org.ACCESS_TOKEN):
            assert secret not in out + err + caplog.text
