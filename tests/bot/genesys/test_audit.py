"""The audit's fetching against orgs replayed with `responses`: Genesys' licence inference beside
the permission match, orgs without wildcards, the STA Upgrade permission, inactive members,
and transient server errors."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from responses import matchers

from bot.genesys.audit import audit_org
from bot.genesys.orgs import Org
from calculators.audit import STA_UPGRADE, Addon, Agreement, AuditResult, RoleFinding
from calculators.ratecard import RateCard
from knowledge.loader import load_cards
from tests.bot.genesys import fake_genesys as org

ACME = Org(
    name="acme",
    region=org.REGION,
    client_id_env="ACME_CLIENT_ID",
    client_secret_env="ACME_CLIENT_SECRET",
)


@pytest.fixture(scope="module")
def list_card() -> RateCard:
    return load_cards()["list"]


@pytest.fixture
def run(list_card: RateCard, slept: list[float]) -> Any:
    def audit(addon: Addon = Addon.STA, *, all_roles: bool = False) -> AuditResult:
        return audit_org(ACME, addon, list_card, org.ENV, sleep=slept.append, all_roles=all_roles)

    return audit


def by_name(result: AuditResult) -> dict[str, RoleFinding]:
    return {role.name: role for role in (*result.roles, *result.inferred_only)}


def one_page(*roles: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [list(roles)]


class TestLicenceInference:
    def test_asks_genesys_once_per_billable_role(self, run: Any, mock: Any) -> None:
        org.add_org(mock)
        run()
        assert org.infer_calls(mock) == [["r-master"], ["r-sta-sup"], ["r-transcript"]]

    def test_shows_genesys_answer_beside_the_permission_match(self, run: Any, mock: Any) -> None:
        org.add_org(mock)
        supervisor = by_name(run())["STA Supervisor"]
        assert supervisor.permissions == (
            "speechAndTextAnalytics:topic:view",
            "speechAndTextAnalytics:topic:edit",
        )
        assert (supervisor.inferred, supervisor.agreement) == (
            ("gcSTAupgrade",),
            Agreement.AGREES,
        )

    def test_wem_taking_precedence_is_a_disagreement(self, run: Any, mock: Any) -> None:
        org.add_org(mock)
        result = run()
        master = by_name(result)["Master Admin"]
        assert master.agreement is Agreement.SUPERSEDED
        assert [role.name for role in result.disagreements] == ["Master Admin"]

    def test_users_genesys_bills_for_wem_are_not_billed_for_sta_by_its_inference(
        self, run: Any, mock: Any
    ) -> None:
        """Alice and Bob hold Master Admin (WEM), so Genesys bills them WEM, not STA."""
        org.add_org(mock)
        result = run()
        assert result.distinct_users == 5
        assert result.inferred_users is not None
        assert [user.id for user in result.inferred_users] == ["u-carol", "u-dave", "u-erin"]

    def test_a_billable_role_genesys_infers_no_add_on_for_disagrees(
        self, run: Any, mock: Any
    ) -> None:
        org.add_org(mock, licences={**org.LICENCES, "r-transcript": ["cloudCX3"]})
        transcript = by_name(run())["Transcription Admin"]
        assert (transcript.inferred, transcript.agreement) == (
            ("cloudCX3",),
            Agreement.NOT_INFERRED,
        )

    def test_all_roles_finds_a_role_genesys_bills_without_a_listed_permission(
        self, run: Any, mock: Any
    ) -> None:
        org.add_org(mock)
        result = run(all_roles=True)
        assert len(org.infer_calls(mock)) == sum(len(page) for page in org.ROLE_PAGES)
        [dictionary] = result.inferred_only
        assert (dictionary.name, dictionary.user_count, dictionary.permissions) == (
            "Dictionary Editor",
            2,
            (),
        )
        assert dictionary.agreement is Agreement.INFERRED_ONLY
        assert [r.name for r in result.other_roles] == [
            "Employee",
            "Summary Viewer",
            "Copilot Agent",
        ]

    def test_the_inference_never_changes_the_permission_match_totals(
        self, run: Any, mock: Any
    ) -> None:
        org.add_org(mock)
        result = run(all_roles=True)
        assert (result.distinct_users, result.tokens) == (5, 225)

    @pytest.mark.parametrize(("status", "says"), [(403, "HTTP 403"), (404, "HTTP 404")])
    def test_refused_or_absent_the_audit_still_runs_on_the_permission_match(
        self, run: Any, mock: Any, status: int, says: str
    ) -> None:
        org.add_login(mock)
        org.add_roles(mock)
        org.add_refused_inference(mock, status)
        org.add_grants_and_members(mock)
        result = run()
        assert (result.distinct_users, result.tokens) == (5, 225)
        assert result.inference_error is not None
        assert says in result.inference_error
        assert all(role.agreement is Agreement.NOT_ASKED for role in result.roles)
        assert result.inferred_users is None
        assert any("license/infer) was unavailable" in note for note in result.notes)
        assert len(org.infer_calls(mock)) == 1, "a refusal is not asked again for every role"

    def test_a_503_on_the_inference_is_retried(
        self, run: Any, mock: Any, slept: list[float]
    ) -> None:
        org.add_login(mock)
        org.add_roles(mock)
        mock.add(
            responses.POST,
            org.INFER,
            status=503,
            match=[matchers.json_params_matcher(["r-master"])],
        )
        org.add_inference(mock)
        org.add_grants_and_members(mock)
        result = run()
        assert by_name(result)["Master Admin"].inferred == ("cloudCX2", "gc2WEMupgrade")
        assert slept == [1.0]

    def test_copilot_inferences_are_shown_not_compared(self, run: Any, mock: Any) -> None:
        org.add_org(mock)
        result = run(Addon.COPILOT)
        [agent] = result.roles
        assert (agent.inferred, agent.agreement) == (("cloudCX2",), Agreement.UNCOMPARED)
        assert result.disagreements == ()
        assert result.inferred_users is None


NO_WILDCARDS_GRANTS = {
    "r-master": [org.user("u-alice", "Alice")],
    "r-sta-sup": [org.user("u-carol", "Carol")],
}
NO_WILDCARDS = one_page(
    org.role(
        "r-master",
        "Master Admin",
        org.policy("speechAndTextAnalytics", "topic", "view", "add", "delete", "edit", "publish"),
        org.policy("speechAndTextAnalytics", "program", "view"),
        org.policy("routing", "queue", "view", "add"),
        org.policy("directory", "user", "view"),
        defaultRoleId="masterAdmin",
    ),
    org.role("r-sta-sup", "STA Supervisor", org.policy("speechAndTextAnalytics", "topic", "view")),
)


class TestOrgWithoutWildcards:
    """Default-role wildcards were reportedly removed on 2026-06-01 (facts sheet §7)."""

    def test_explicit_policies_are_matched_like_wildcards(self, run: Any, mock: Any) -> None:
        org.add_org(mock, pages=NO_WILDCARDS, grants=NO_WILDCARDS_GRANTS, members={})
        master = by_name(run())["Master Admin"]
        assert master.policies == (
            "speechAndTextAnalytics:topic:view,add,delete,edit,publish",
            "speechAndTextAnalytics:program:view",
        )
        assert len(master.permissions) == 6
        assert master.wildcard is False

    def test_master_admin_is_called_out_for_what_it_grants_here(self, run: Any, mock: Any) -> None:
        org.add_org(mock, pages=NO_WILDCARDS, grants=NO_WILDCARDS_GRANTS, members={})
        result = run()
        assert [role.name for role in result.master_admin_roles] == ["Master Admin"]

    def test_a_master_admin_without_billable_permissions_is_not_called_out(
        self, run: Any, mock: Any
    ) -> None:
        harmless = one_page(
            org.role(
                "r-master",
                "Master Admin",
                org.policy("routing", "queue", "*"),
                org.policy("directory", "*", "view"),
                defaultRoleId="masterAdmin",
            ),
            NO_WILDCARDS[0][1],
        )
        org.add_org(mock, pages=harmless, grants=NO_WILDCARDS_GRANTS, members={})
        result = run()
        assert [role.name for role in result.roles] == ["STA Supervisor"]
        assert result.master_admin_roles == ()
        assert org.infer_calls(mock) == [["r-sta-sup"]]


class TestStaUpgradePermission:
    def test_a_role_holding_only_the_sta_upgrade_permission_is_billable(
        self, run: Any, mock: Any
    ) -> None:
        pages = one_page(
            org.role("r-upgrade", "STA Upgrade", org.policy("billing", "user", "staUpgrade")),
            org.role("r-billing", "Billing Viewer", org.policy("billing", "subscription", "view")),
        )
        org.add_org(
            mock,
            pages=pages,
            grants={"r-upgrade": [org.user("u-kim", "Kim")]},
            members={},
            licences={"r-upgrade": ["gcSTAupgrade"]},
        )
        result = run()
        [upgrade] = result.roles
        assert (upgrade.name, upgrade.permissions, upgrade.user_count) == (
            "STA Upgrade",
            (STA_UPGRADE,),
            1,
        )
        assert upgrade.agreement is Agreement.AGREES
        assert result.tokens == 45
        assert any(STA_UPGRADE in n and "community confidence" in n for n in result.notes)


class TestGroupMembers:
    def test_only_active_members_count_and_the_others_are_counted_as_left_out(
        self, run: Any, mock: Any
    ) -> None:
        members = {
            "g-qa": [
                org.member("u-dave", "Dave"),
                org.member("u-erin", "Erin", state="inactive"),
                org.member("u-lou", "Lou", state="deleted"),
            ],
            "g-agents": [],
        }
        org.add_org(mock, members=members)
        result = run()
        supervisor = by_name(result)["STA Supervisor"]
        assert [user.id for user in supervisor.users] == ["u-carol", "u-dave"]
        assert supervisor.inactive_members == 2
        assert result.inactive_left_out == 2
        assert result.distinct_users == 4


class TestTransientErrors:
    def test_a_503_on_the_roles_then_success_completes_the_audit(
        self, run: Any, mock: Any, slept: list[float]
    ) -> None:
        org.add_login(mock)
        roles = f"{org.API}/api/v2/authorization/roles"
        mock.add(responses.GET, roles, status=503, match=[org.page_query(1)])
        org.add_roles(mock)
        org.add_inference(mock)
        org.add_grants_and_members(mock)
        result = run()
        assert result.distinct_users == 5
        assert slept == [1.0]
