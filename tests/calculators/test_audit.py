"""The pure audit: billable roles (wildcards honoured), their users, distinct users, tokens, and
Genesys' licence inference beside the permission match."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from calculators.audit import (
    STA_PERMISSIONS,
    STA_UPGRADE,
    Addon,
    Agreement,
    AuditInput,
    PermissionPolicy,
    Role,
    audit,
    billable_permissions,
    compare,
    genesys_bills,
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

    def test_a_full_sta_wildcard_grants_every_billable_sta_domain_permission(self) -> None:
        master = Role.model_validate(role("m", "M", policy("speechAndTextAnalytics", "*", "*")))
        assert billable_permissions(master, Addon.STA) == tuple(
            p for p in STA_PERMISSIONS if p.startswith("speechAndTextAnalytics:")
        )

    def test_the_sta_upgrade_permission_is_billable_explicitly_or_by_wildcard(self) -> None:
        for granted in (("billing", "user", "staUpgrade"), ("billing", "*", "*")):
            holder = Role.model_validate(role("b", "B", policy(*granted)))
            assert billable_permissions(holder, Addon.STA) == (STA_UPGRADE,)

    def test_other_billing_permissions_are_not(self) -> None:
        viewer = Role.model_validate(role("b", "B", policy("billing", "subscription", "view")))
        assert billable_permissions(viewer, Addon.STA) == ()

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

    def test_master_admin_is_called_out_when_it_grants_a_billable_permission(
        self, list_card: RateCard
    ) -> None:
        result = audit(ORG, Addon.STA, Licence.NAMED, list_card)
        assert [r.name for r in result.master_admin_roles] == ["Master Admin"]
        assert result.master_admin_roles[0].policies == (
            "speechAndTextAnalytics:*:*",
            "routing:*:*",
        )

    def test_a_master_admin_granting_nothing_billable_is_not_listed(
        self, list_card: RateCard
    ) -> None:
        data = AuditInput.model_validate(
            {
                "roles": [
                    role(
                        "m",
                        "Master Admin",
                        policy("routing", "queue", "*"),
                        defaultRoleId="masterAdmin",
                    )
                ],
                "grants": {"m": [user("ann")]},
            }
        )
        result = audit(data, Addon.STA, Licence.NAMED, list_card)
        assert (result.roles, result.master_admin_roles) == ((), ())

    def test_says_the_sta_upgrade_string_is_community_confidence(self, list_card: RateCard) -> None:
        result = audit(ORG, Addon.STA, Licence.NAMED, list_card)
        assert any(STA_UPGRADE in n and "community confidence" in n for n in result.notes)

    def test_says_transcription_alone_no_longer_bills_since_2026_04_20(
        self, list_card: RateCard
    ) -> None:
        result = audit(ORG, Addon.STA, Licence.NAMED, list_card)
        [note] = [n for n in result.notes if "2026-04-20" in n]
        assert "transcription alone no longer" in note
        assert "topic detection" in note
        assert "not settled" in note

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


class TestGroupMembers:
    def test_inactive_and_deleted_members_are_left_out_and_counted(
        self, list_card: RateCard
    ) -> None:
        data = AuditInput.model_validate(
            {
                "roles": [role("sup", "Sup", policy("speechAndTextAnalytics", "topic", "view"))],
                "grants": {"sup": [group("qa")]},
                "group_members": {
                    "qa": [
                        {"id": "cid", "name": "Cid", "state": "active"},
                        {"id": "dee", "name": "Dee", "state": "inactive"},
                        {"id": "eve", "name": "Eve", "state": "deleted"},
                        {"id": "fay", "name": "Fay"},
                    ]
                },
            }
        )
        result = audit(data, Addon.STA, Licence.NAMED, list_card)
        assert [u.id for u in result.users] == ["cid", "fay"]
        assert (result.roles[0].inactive_members, result.inactive_left_out) == (2, 2)


class TestCompare:
    @pytest.mark.parametrize(
        ("matched", "inferred", "agreement"),
        [
            (True, ("gcSTAupgrade",), Agreement.AGREES),
            (True, ("cloudCX2", "gcstaupgrade"), Agreement.AGREES),
            (False, ("cloudCX2",), Agreement.AGREES),
            (False, (), Agreement.AGREES),
            (True, ("cloudCX2", "gc2WEMupgrade"), Agreement.SUPERSEDED),
            (True, ("gc1WEMupgrade", "gcSTAupgrade"), Agreement.SUPERSEDED),
            (True, ("cloudCX3",), Agreement.NOT_INFERRED),
            (True, (), Agreement.NOT_INFERRED),
            (False, ("gcSTAupgrade",), Agreement.INFERRED_ONLY),
            (False, ("gc2WEMupgrade",), Agreement.AGREES),
            (True, None, Agreement.NOT_ASKED),
        ],
    )
    def test_sta(
        self, matched: bool, inferred: tuple[str, ...] | None, agreement: Agreement
    ) -> None:
        assert compare(Addon.STA, matched, inferred) is agreement

    def test_copilot_is_not_compared_its_licence_id_being_unknown(self) -> None:
        assert compare(Addon.COPILOT, True, ("cloudCX2",)) is Agreement.UNCOMPARED
        assert compare(Addon.COPILOT, True, None) is Agreement.NOT_ASKED

    def test_wem_over_sta_means_genesys_does_not_bill_sta(self) -> None:
        assert genesys_bills(Addon.STA, ["gcSTAupgrade"])
        assert not genesys_bills(Addon.STA, ["gcSTAupgrade", "gc2WEMupgrade"])
        assert not genesys_bills(Addon.STA, None)


INFERRED = {"master": ("gc2WEMupgrade",), "sup": ("gcSTAupgrade",), "trans": ("cloudCX3",)}
"""What Genesys answers for ORG's roles in these tests: WEM, agreeing, no add-on."""


class TestInference:
    def test_each_role_carries_genesys_answer_and_the_verdict(self, list_card: RateCard) -> None:
        data = ORG.model_copy(update={"licences": INFERRED})
        result = audit(data, Addon.STA, Licence.NAMED, list_card)
        assert [(r.name, r.agreement) for r in result.roles] == [
            ("STA Supervisor", Agreement.AGREES),
            ("Transcription", Agreement.NOT_INFERRED),
            ("Master Admin", Agreement.SUPERSEDED),
        ]
        assert [r.name for r in result.disagreements] == ["Transcription", "Master Admin"]

    def test_users_genesys_bills_exclude_those_it_bills_wem(self, list_card: RateCard) -> None:
        data = ORG.model_copy(update={"licences": INFERRED})
        result = audit(data, Addon.STA, Licence.NAMED, list_card)
        assert result.inferred_users is not None
        assert [u.id for u in result.inferred_users] == ["bea", "cid", "dee"]
        assert result.tokens == Decimal(180), "the tokens stay on the permission match"

    def test_a_role_genesys_bills_without_a_listed_permission_is_reported_apart(
        self, list_card: RateCard
    ) -> None:
        licences = {**INFERRED, "summary": ("gcSTAupgrade",)}
        data = ORG.model_copy(update={"licences": licences, "all_roles": True})
        result = audit(data, Addon.STA, Licence.NAMED, list_card)
        assert [(r.name, r.agreement) for r in result.inferred_only] == [
            ("Summaries", Agreement.INFERRED_ONLY)
        ]
        assert "Summaries" not in [r.name for r in result.roles]
        assert [u.id for u in result.users] == ["ann", "bea", "cid", "dee"]

    def test_an_unavailable_inference_is_said_in_the_notes(self, list_card: RateCard) -> None:
        data = ORG.model_copy(update={"inference_error": "the host does not know it (HTTP 404)"})
        result = audit(data, Addon.STA, Licence.NAMED, list_card)
        assert result.inferred_users is None
        [note] = [n for n in result.notes if "unavailable" in n]
        assert "HTTP 404" in note
        assert "rests on the permission match" in note
