"""The pure audit: billable roles (wildcards honoured), their users, distinct users, tokens."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from calculators.audit import (
    STA_PERMISSIONS,
    Addon,
    AuditInput,
    PermissionPolicy,
    Role,
    audit,
    billable_permissions,
)
from calculators.ratecard import Licence, RateCard


def policy(domain: str, entity: str, *actions: str) -> dict[str, Any]:
    return {"domain": domain, "entityName": entity, "actionSet": list(actions)}


def role(role_id: str, name: str, *policies: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": role_id, "name": name, "permissionPolicies": list(policies), **extra}


def user(user_id: str) -> dict[str, Any]:
    return {"id": user_id, "name": user_id.title(), "type": "PC_USER"}


def group(group_id: str) -> dict[str, Any]:
    return {"id": group_id, "name": f"Group {group_id}", "type": "PC_GROUP"}


ORG = AuditInput.model_validate(
    {
        "roles": [
            role(
                "master",
                "Master Admin",
                policy("speechAndTextAnalytics", "*", "*"),
                policy("routing", "*", "*"),
                defaultRoleId="masterAdmin",
            ),
            role("sup", "STA Supervisor", policy("speechAndTextAnalytics", "topic", "view")),
            role("trans", "Transcription", policy("routing", "transcriptionSettings", "edit")),
            role("summary", "Summaries", policy("speechAndTextAnalytics", "aiSummary", "view")),
            role("agent", "Copilot Agent", policy("assistants", "copilot", "view")),
        ],
        "grants": {
            "master": [user("ann")],
            "sup": [user("bea"), group("qa")],
            "trans": [user("ann"), user("bea")],
            "summary": [user("zed")],
            "agent": [group("agents")],
        },
        "group_members": {
            "qa": [{"id": "cid", "name": "Cid"}, {"id": "dee", "name": "Dee"}],
            "agents": [{"id": "eve", "name": "Eve"}],
        },
    }
)


class TestPolicyMatching:
    @pytest.mark.parametrize(
        ("granted", "permission", "grants"),
        [
            (
                ("speechAndTextAnalytics", "topic", "view"),
                "speechAndTextAnalytics:topic:view",
                True,
            ),
            (
                ("speechAndTextAnalytics", "topic", "*"),
                "speechAndTextAnalytics:topic:publish",
                True,
            ),
            (("speechAndTextAnalytics", "*", "view"), "speechAndTextAnalytics:program:view", True),
            (("speechAndTextAnalytics", "*", "*"), "speechAndTextAnalytics:feedback:delete", True),
            (("speechAndTextAnalytics", "*", "view"), "speechAndTextAnalytics:program:edit", False),
            (
                ("speechAndTextAnalytics", "topic", "view"),
                "speechAndTextAnalytics:topic:edit",
                False,
            ),
            (
                ("speechAndTextAnalytics", "aiSummary", "*"),
                "speechAndTextAnalytics:topic:view",
                False,
            ),
            (("routing", "*", "*"), "speechAndTextAnalytics:topic:view", False),
            (("assistants", "copilot", "view"), "assistants:copilot:view", True),
        ],
    )
    def test_wildcards_in_entity_and_action(
        self, granted: tuple[str, str, str], permission: str, grants: bool
    ) -> None:
        domain, entity, action = granted
        assert (
            PermissionPolicy.model_validate(policy(domain, entity, action)).grants(permission)
            is grants
        )

    def test_a_full_sta_wildcard_grants_every_billable_sta_permission(self) -> None:
        master = Role.model_validate(role("m", "M", policy("speechAndTextAnalytics", "*", "*")))
        routing = [p for p in STA_PERMISSIONS if p.startswith("routing:")]
        assert billable_permissions(master, Addon.STA) == tuple(
            p for p in STA_PERMISSIONS if p not in routing
        )

    def test_unknown_api_fields_are_ignored(self) -> None:
        data = role("r", "R", {**policy("assistants", "copilot", "view"), "namedResources": []})
        assert Role.model_validate({**data, "userCount": 3, "base": False}).name == "R"


class TestStaAudit:
    def test_finds_exactly_the_billable_roles_most_users_first(self, list_card: RateCard) -> None:
        result = audit(ORG, Addon.STA, Licence.NAMED, list_card)
        assert [(r.name, r.user_count) for r in result.roles] == [
            ("STA Supervisor", 3),
            ("Transcription", 2),
            ("Master Admin", 1),
        ]

    def test_counts_users_through_groups(self, list_card: RateCard) -> None:
        result = audit(ORG, Addon.STA, Licence.NAMED, list_card)
        supervisor = result.roles[0]
        assert [u.id for u in supervisor.users] == ["bea", "cid", "dee"]
        assert supervisor.direct_users == 1
        assert supervisor.groups == ("Group qa",)

    def test_a_user_in_several_billable_roles_counts_once(self, list_card: RateCard) -> None:
        result = audit(ORG, Addon.STA, Licence.NAMED, list_card)
        assert [u.id for u in result.users] == ["ann", "bea", "cid", "dee"]

    def test_named_tokens_are_distinct_users_times_45(self, list_card: RateCard) -> None:
        result = audit(ORG, Addon.STA, Licence.NAMED, list_card)
        assert (result.rate, result.tokens) == (Decimal(45), Decimal(180))

    def test_master_admin_is_called_out(self, list_card: RateCard) -> None:
        result = audit(ORG, Addon.STA, Licence.NAMED, list_card)
        assert [r.name for r in result.master_admin_roles] == ["Master Admin"]
        assert result.master_admin_roles[0].policies == (
            "speechAndTextAnalytics:*:*",
            "routing:*:*",
        )

    def test_says_the_sta_upgrade_permission_could_not_be_checked(
        self, list_card: RateCard
    ) -> None:
        result = audit(ORG, Addon.STA, Licence.NAMED, list_card)
        assert any("STA Upgrade" in note and "not published" in note for note in result.notes)

    def test_concurrent_orgs_get_the_usage_report_not_a_guess(self, list_card: RateCard) -> None:
        result = audit(ORG, Addon.STA, Licence.CONCURRENT, list_card)
        assert (result.rate, result.tokens) == (None, None)
        concurrent = result.notes[0]
        assert "Concurrent Usage report" in concurrent
        assert "not published" in concurrent

    def test_an_org_without_billable_roles_has_no_users_and_no_tokens(
        self, list_card: RateCard
    ) -> None:
        data = AuditInput.model_validate({"roles": [role("e", "Employee")]})
        result = audit(data, Addon.STA, Licence.NAMED, list_card)
        assert (result.roles, result.distinct_users, result.tokens) == ((), 0, Decimal(0))


class TestCopilotAudit:
    def test_only_assistants_copilot_view_bills_copilot(self, list_card: RateCard) -> None:
        result = audit(ORG, Addon.COPILOT, Licence.NAMED, list_card)
        assert [(r.name, r.user_count) for r in result.roles] == [("Copilot Agent", 1)]
        assert result.tokens == Decimal(40)

    def test_concurrent_copilot_points_to_the_peak_at_60(self, list_card: RateCard) -> None:
        result = audit(ORG, Addon.COPILOT, Licence.CONCURRENT, list_card)
        assert (result.rate, result.tokens) == (Decimal(60), None)
        assert "Peak Concurrent Users" in result.notes[0]
