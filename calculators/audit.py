"""Which roles of an org bill STA or Agent Copilot tokens, to how many users: a pure audit.

The shell fetches roles, subject grants, group members and Genesys' own licence inference
(`POST /api/v2/license/infer`, one role at a time) from the Platform API and hands them here as
typed models; nothing in this module does I/O.

Two answers are put side by side for each role:

- tokenbot's permission match: the billable permissions are those of the facts sheet §3 and §7
  (the STA admin permissions and `billing:user:staUpgrade`) and the Agent Copilot trigger
  `assistants:copilot:view`; a policy grants a permission `d:e:a` when its `domain` is `d`, its
  `entityName` is `e` or `*` and its `actionSet` holds `a` or `*` (facts sheet §5.2), so
  explicit and wildcard policies count alike;
- the licence ids Genesys infers for the role (facts sheet §7), compared with the add-on's
  known licence ids, WEM taking precedence over STA.

The totals (distinct users, tokens) rest on the permission match, which is what Genesys
documents; the inference is shown beside it, and every disagreement is named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from calculators.ratecard import Licence, RateCard

WILDCARD = "*"
MASTER_ADMIN = "Master Admin"
MASTER_ADMIN_DEFAULT_ID = "masterAdmin"


class Addon(StrEnum):
    """The per-user add-ons billed by permission (the rate card's feature keys)."""

    STA = "sta"
    COPILOT = "copilot"

    @property
    def label(self) -> str:
        return "STA" if self is Addon.STA else "Agent Copilot"


STA_UPGRADE = "billing:user:staUpgrade"
"""Facts sheet §7: the API string of "Billing > User > STA Upgrade" (community confidence)."""

STA_PERMISSIONS: tuple[str, ...] = (
    STA_UPGRADE,
    "routing:transcriptionSettings:view",
    "routing:transcriptionSettings:add",
    "routing:transcriptionSettings:edit",
    "speechAndTextAnalytics:settings:view",
    "speechAndTextAnalytics:settings:edit",
    *(
        f"speechAndTextAnalytics:{entity}:{action}"
        for entity in ("topic", "program", "category")
        for action in ("view", "add", "delete", "edit", "publish")
    ),
    "speechAndTextAnalytics:feedback:view",
    "speechAndTextAnalytics:feedback:add",
    "speechAndTextAnalytics:feedback:delete",
)
"""Facts sheet §3 and §7: every user holding one of these is billed for the STA add-on."""

COPILOT_PERMISSIONS: tuple[str, ...] = ("assistants:copilot:view",)
"""Facts sheet §2/§3: the permission that makes a user billable for Agent Copilot."""

BILLABLE_PERMISSIONS: Mapping[Addon, tuple[str, ...]] = {
    Addon.STA: STA_PERMISSIONS,
    Addon.COPILOT: COPILOT_PERMISSIONS,
}

SOURCES: Mapping[Addon, tuple[str, ...]] = {
    Addon.STA: ("https://help.genesys.cloud/365251",),
    Addon.COPILOT: (
        "https://es-help.mypurecloud.com/?p=346711",
        "https://help.mypurecloud.com/?p=342309",
    ),
}
"""Official pages stating which permissions bill the add-on (facts sheet [S7], [S10], [S11])."""

ADDON_LICENCES: Mapping[Addon, frozenset[str]] = {
    Addon.STA: frozenset({"gcstaupgrade"}),
    Addon.COPILOT: frozenset(),
}
"""Licence ids (casefolded) that `license/infer` answers for the add-on (facts sheet §7).

The Agent Copilot licence id is not in the facts sheet, so Copilot inferences are shown as
Genesys returns them and not compared.
"""

PRECEDING_LICENCES: Mapping[Addon, frozenset[str]] = {
    Addon.STA: frozenset({"gc1wemupgrade", "gc2wemupgrade"}),
    Addon.COPILOT: frozenset(),
}
"""Add-ons that take precedence: a user holding WEM is billed WEM, not STA (facts §3, §7)."""

NOTES: Mapping[Addon, tuple[str, ...]] = {
    Addon.STA: (
        f'{STA_UPGRADE} ("Billing > User > STA Upgrade") is counted as billable: Genesys '
        "documents that the permission bills a user, but its API string comes from a third "
        "party who measured it on live orgs (community confidence).",
        "Since 2026-04-20, on CX 1 and CX 2, transcription alone no longer makes a user "
        "STA-billable: billing follows the permissions above and actual use (announced "
        "2026-02-02, quoted by a third party; community confidence). Whether topic detection "
        "alone bills a user is not settled: if the STA tokens billed exceed what these roles "
        "explain, open a billing case with Genesys.",
    ),
    Addon.COPILOT: (
        "Roles are not the whole story: everyone on a Copilot-enabled queue is processed "
        "(transcription and summaries under fair use), whatever their role.",
    ),
}
"""What the audit cannot see or has only on community confidence, per add-on."""

INFERENCE_NOTE = (
    "Genesys' answer comes from POST /api/v2/license/infer (official endpoint), which a third "
    "party reports is the inference the admin UI runs, WEM taking precedence over STA "
    "(community confidence). Whether an inferred add-on becomes a charge still depends on "
    "named vs concurrent licensing."
)

ACTIVE = "active"
"""The `state` of a user who counts; `inactive` and `deleted` members are left out."""


class Agreement(StrEnum):
    """How Genesys' licence inference for a role compares with tokenbot's permission match."""

    AGREES = "agrees"
    """Both say the role bills the add-on (or both say it does not)."""
    SUPERSEDED = "superseded"
    """The role grants a billable permission, but Genesys infers an add-on that takes
    precedence (WEM over STA): its users are billed that add-on instead."""
    NOT_INFERRED = "not-inferred"
    """The role grants a billable permission, but Genesys infers no licence for the add-on."""
    INFERRED_ONLY = "inferred-only"
    """Genesys infers the add-on for a role that grants none of the listed permissions."""
    UNCOMPARED = "uncompared"
    """Genesys answered, but tokenbot does not know the add-on's licence id (Copilot)."""
    NOT_ASKED = "not-asked"
    """Genesys was not asked, or its inference was unavailable."""

    @property
    def disagrees(self) -> bool:
        return self in (Agreement.SUPERSEDED, Agreement.NOT_INFERRED, Agreement.INFERRED_ONLY)


class _ApiModel(BaseModel):
    """Platform API shapes: camelCase names, extra fields ignored (the API adds fields)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class PermissionPolicy(_ApiModel):
    """One `DomainPermissionPolicy` of a role."""

    domain: str
    entity_name: str = Field(alias="entityName")
    action_set: tuple[str, ...] = Field(default=(), alias="actionSet")

    def grants(self, permission: str) -> bool:
        """Whether this policy grants `domain:entity:action`, honouring `*` wildcards."""
        domain, entity, action = permission.split(":")
        return (
            self.domain == domain
            and self.entity_name in (entity, WILDCARD)
            and (action in self.action_set or WILDCARD in self.action_set)
        )

    @property
    def text(self) -> str:
        """`speechAndTextAnalytics:topic:view,edit` — the policy as an admin reads it."""
        return f"{self.domain}:{self.entity_name}:{','.join(self.action_set)}"


class Role(_ApiModel):
    """One `DomainOrganizationRole` from `GET /api/v2/authorization/roles`."""

    id: str
    name: str
    default_role_id: str | None = Field(default=None, alias="defaultRoleId")
    permission_policies: tuple[PermissionPolicy, ...] = Field(
        default=(), alias="permissionPolicies"
    )

    @property
    def is_master_admin(self) -> bool:
        return (
            self.default_role_id == MASTER_ADMIN_DEFAULT_ID
            or self.name.casefold() == MASTER_ADMIN.casefold()
        )


class Subject(_ApiModel):
    """A user or a group granted a role (`GET .../roles/{roleId}/subjectgrants`)."""

    id: str
    name: str = ""
    type: str = ""

    @property
    def is_group(self) -> bool:
        # Documented values are not in the facts sheet; the API uses PC_USER / PC_GROUP.
        return "group" in self.type.casefold()


class Member(_ApiModel):
    """A user listed by `GET /api/v2/groups/{groupId}/members` (a `User`: active, inactive or
    deleted; a member without a `state` is counted as active)."""

    id: str
    name: str = ""
    state: str = ACTIVE

    @property
    def is_active(self) -> bool:
        return self.state.casefold() == ACTIVE


class AuditInput(BaseModel):
    """Everything the audit needs, as fetched: roles, Genesys' inference, grants, members."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    roles: tuple[Role, ...]
    grants: Mapping[str, tuple[Subject, ...]] = Field(default_factory=dict)
    """Role id -> the users and groups granted it (for the roles the report lists)."""
    group_members: Mapping[str, tuple[Member, ...]] = Field(default_factory=dict)
    """Group id -> its members."""
    licences: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)
    """Role id -> the licence ids `license/infer` answered for that role alone."""
    inference_error: str | None = None
    """Why `license/infer` could not be asked (or not about every role), if it could not."""
    all_roles: bool = False
    """Whether Genesys was to be asked about every role, not only the billable ones."""


class User(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str


class RoleFinding(BaseModel):
    """A role that grants a billable permission (or that Genesys bills), and who holds it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    master_admin: bool
    policies: tuple[str, ...]
    """The role's policies that grant a billable permission (`domain:entity:actions`)."""
    permissions: tuple[str, ...]
    """The billable permissions the role grants (none for an `INFERRED_ONLY` role)."""
    wildcard: bool
    """Whether a wildcard (`*`) policy grants one of them."""
    users: tuple[User, ...]
    """Distinct active users holding the role, directly or through a group."""
    direct_users: int
    groups: tuple[str, ...]
    """Names of the groups the role is granted to."""
    inactive_members: int
    """Members of those groups left out because they are inactive or deleted."""
    inferred: tuple[str, ...] | None
    """The licence ids Genesys infers for the role; None when it was not asked."""
    agreement: Agreement

    @property
    def user_count(self) -> int:
        return len(self.users)


class InferredRole(BaseModel):
    """A role Genesys was asked about that the report does not list, and its answer."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    inferred: tuple[str, ...]


class AuditResult(BaseModel):
    """The audit of one add-on in one org."""

    model_config = ConfigDict(frozen=True)

    addon: Addon
    licence: Licence
    card: str
    roles: tuple[RoleFinding, ...]
    """Roles granting a billable permission, most users first."""
    inferred_only: tuple[RoleFinding, ...]
    """Roles granting none of the listed permissions that Genesys bills for the add-on."""
    users: tuple[User, ...]
    """Distinct users billable for the add-on (holding any billable role)."""
    inferred_users: tuple[User, ...] | None
    """Distinct users Genesys bills for the add-on: holding a role it bills for the add-on and
    none it bills a preceding add-on (WEM). None when not comparable (inference unavailable for
    a listed role, or the add-on's licence id is unknown)."""
    inactive_left_out: int
    """Distinct inactive or deleted group members not counted."""
    roles_asked: int
    """How many roles Genesys' inference answered for."""
    other_roles: tuple[InferredRole, ...]
    """Roles Genesys answered for that are neither billable nor billed (with `all_roles`)."""
    all_roles: bool
    inference_error: str | None
    rate: Decimal | None
    """The card's tokens per user per month for the licence model (None: not published)."""
    tokens: Decimal | None
    """Tokens per month implied, for named orgs with a known rate; None otherwise."""
    checked_permissions: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def distinct_users(self) -> int:
        return len(self.users)

    @property
    def master_admin_roles(self) -> tuple[RoleFinding, ...]:
        """Master Admin roles that grant a billable permission in this org (none otherwise)."""
        return tuple(role for role in self.roles if role.master_admin and role.permissions)

    @property
    def disagreements(self) -> tuple[RoleFinding, ...]:
        """Roles where Genesys' inference and the permission match disagree."""
        return tuple(r for r in (*self.roles, *self.inferred_only) if r.agreement.disagrees)


def billable_permissions(role: Role, addon: Addon) -> tuple[str, ...]:
    """The add-on's billable permissions that `role` grants, in the facts sheet's order."""
    return tuple(
        permission
        for permission in BILLABLE_PERMISSIONS[addon]
        if any(policy.grants(permission) for policy in role.permission_policies)
    )


def billable_roles(roles: Iterable[Role], addon: Addon) -> tuple[Role, ...]:
    """The roles that grant at least one of the add-on's billable permissions."""
    return tuple(role for role in roles if billable_permissions(role, addon))


def genesys_bills(addon: Addon, inferred: Iterable[str] | None) -> bool:
    """Whether Genesys' inferred licences bill the add-on (and no preceding add-on instead)."""
    ids = {licence.casefold() for licence in inferred or ()}
    return bool(ids & ADDON_LICENCES[addon]) and not ids & PRECEDING_LICENCES[addon]


def compare(addon: Addon, matched: bool, inferred: tuple[str, ...] | None) -> Agreement:
    """Genesys' inference for one role against tokenbot's permission match for it."""
    if inferred is None:
        return Agreement.NOT_ASKED
    if not ADDON_LICENCES[addon]:
        return Agreement.UNCOMPARED
    ids = {licence.casefold() for licence in inferred}
    if matched and ids & PRECEDING_LICENCES[addon]:
        return Agreement.SUPERSEDED
    if genesys_bills(addon, inferred) == matched:
        return Agreement.AGREES
    return Agreement.NOT_INFERRED if matched else Agreement.INFERRED_ONLY


def audit(data: AuditInput, addon: Addon, licence: Licence, card: RateCard) -> AuditResult:
    """Billable roles, their users (directly or via groups), distinct users and tokens implied,
    each role beside the licences Genesys infers for it."""
    billable = billable_roles(data.roles, addon)
    billable_ids = {role.id for role in billable}
    inferred_only = [
        role
        for role in data.roles
        if role.id not in billable_ids and genesys_bills(addon, data.licences.get(role.id))
    ]
    listed = billable_ids | {role.id for role in inferred_only}
    findings = _sorted(_finding(role, addon, data) for role in billable)
    extra = _sorted(_finding(role, addon, data) for role in inferred_only)
    users = _distinct(user for finding in findings for user in finding.users)
    feature = card.feature(addon.value)
    rate = feature.per_user_rate(licence)
    tokens = None
    if licence is Licence.NAMED and rate is not None:
        tokens = rate * len(users)
    return AuditResult(
        addon=addon,
        licence=licence,
        card=card.name,
        roles=findings,
        inferred_only=extra,
        users=users,
        inferred_users=_inferred_users(addon, (*findings, *extra)),
        inactive_left_out=_inactive_left_out(billable, data, users),
        roles_asked=sum(1 for role in data.roles if role.id in data.licences),
        other_roles=tuple(
            InferredRole(id=role.id, name=role.name, inferred=data.licences[role.id])
            for role in data.roles
            if role.id in data.licences and role.id not in listed
        ),
        all_roles=data.all_roles,
        inference_error=data.inference_error,
        rate=rate,
        tokens=tokens,
        checked_permissions=BILLABLE_PERMISSIONS[addon],
        notes=_notes(addon, licence, rate, len(users), data),
    )


def _finding(role: Role, addon: Addon, data: AuditInput) -> RoleFinding:
    permissions = billable_permissions(role, addon)
    granting = [
        policy
        for policy in role.permission_policies
        if any(policy.grants(permission) for permission in permissions)
    ]
    subjects = data.grants.get(role.id, ())
    direct = [User(id=s.id, name=s.name) for s in subjects if not s.is_group]
    groups = [s for s in subjects if s.is_group]
    members = [member for group in groups for member in data.group_members.get(group.id, ())]
    via_groups = [User(id=m.id, name=m.name) for m in members if m.is_active]
    inferred = data.licences.get(role.id)
    return RoleFinding(
        id=role.id,
        name=role.name,
        master_admin=role.is_master_admin,
        policies=tuple(policy.text for policy in granting),
        permissions=permissions,
        wildcard=any(WILDCARD in (policy.entity_name, *policy.action_set) for policy in granting),
        users=_distinct([*direct, *via_groups]),
        direct_users=len(_distinct(direct)),
        groups=tuple(group.name or group.id for group in groups),
        inactive_members=len({m.id for m in members if not m.is_active}),
        inferred=inferred,
        agreement=compare(addon, bool(permissions), inferred),
    )


def _sorted(findings: Iterable[RoleFinding]) -> tuple[RoleFinding, ...]:
    """Most users first, then by name and id (stable output)."""
    return tuple(sorted(findings, key=lambda f: (-f.user_count, f.name.casefold(), f.id)))


def _inferred_users(addon: Addon, findings: tuple[RoleFinding, ...]) -> tuple[User, ...] | None:
    """Users of the roles Genesys bills for the add-on, less the users of a role it bills a
    preceding add-on (each user holds one add-on, WEM before STA); None unless Genesys
    answered for every role listed and the add-on's licence id is known."""
    if not ADDON_LICENCES[addon] or any(f.inferred is None for f in findings):
        return None
    preceded = {
        user.id
        for f in findings
        if {licence.casefold() for licence in f.inferred or ()} & PRECEDING_LICENCES[addon]
        for user in f.users
    }
    return _distinct(
        user
        for f in findings
        if genesys_bills(addon, f.inferred)
        for user in f.users
        if user.id not in preceded
    )


def _inactive_left_out(billable: Iterable[Role], data: AuditInput, users: Iterable[User]) -> int:
    counted = {user.id for user in users}
    left_out = {
        member.id
        for role in billable
        for subject in data.grants.get(role.id, ())
        if subject.is_group
        for member in data.group_members.get(subject.id, ())
        if not member.is_active
    }
    return len(left_out - counted)


def _distinct(users: Iterable[User]) -> tuple[User, ...]:
    """Users by id, first occurrence kept, sorted by name then id (stable output)."""
    seen: dict[str, User] = {}
    for user in users:
        seen.setdefault(user.id, user)
    return tuple(sorted(seen.values(), key=lambda u: (u.name.casefold(), u.id)))


def _notes(
    addon: Addon, licence: Licence, rate: Decimal | None, users: int, data: AuditInput
) -> tuple[str, ...]:
    notes: list[str] = []
    if licence is Licence.CONCURRENT:
        rate_text = (
            f"the concurrent rate ({rate} tokens per concurrent user)"
            if rate is not None
            else f"the concurrent {addon.label} rate, which is not published (take it from the "
            "contract or the org's token usage page)"
        )
        notes.append(
            f"Concurrent org: the bill is not {users} users x a rate. Take the highest "
            "'Peak Concurrent Users' of the billing period in the Concurrent Usage report "
            "(Admin > Account Settings > Subscription > Download Usage Report) and multiply it by "
            f"{rate_text}. The {users} users found here are an upper bound on that peak."
        )
    if addon is Addon.STA:
        notes.append("STA is included in CX 3 and CX 4: such orgs pay no STA tokens.")
    notes.extend(NOTES[addon])
    notes.extend(_inference_notes(addon, data))
    return tuple(notes)


def _inference_notes(addon: Addon, data: AuditInput) -> list[str]:
    asked = sum(1 for role in data.roles if role.id in data.licences)
    if data.inference_error is not None:
        unasked = f"; {asked} roles were answered before it failed" if asked else ""
        return [
            "Genesys' licence inference (POST /api/v2/license/infer) was unavailable: "
            f"{data.inference_error}. The audit rests on the permission match{unasked}."
        ]
    if not asked:
        return []
    notes = [INFERENCE_NOTE]
    if not ADDON_LICENCES[addon]:
        notes.append(
            f"The {addon.label} licence id is not documented, so the licences Genesys infers "
            "are shown as it returned them, not compared."
        )
    elif not data.all_roles:
        notes.append(
            "Genesys was asked only about the roles above. Ask about every role (--all-roles; "
            "in Slack, all-roles) to find roles Genesys bills that grant none of the listed "
            "permissions."
        )
    return notes
