"""Which roles of an org bill STA or Agent Copilot tokens, to how many users: a pure audit.

The shell fetches roles, subject grants and group members from the Platform API and hands them
here as typed models; nothing in this module does I/O. The billable permissions are those of the
facts sheet §3 (STA admin permissions) and the Agent Copilot trigger `assistants:copilot:view`;
a policy grants a permission `d:e:a` when its `domain` is `d`, its `entityName` is `e` or `*`
and its `actionSet` holds `a` or `*` (facts sheet §5.2).
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


STA_PERMISSIONS: tuple[str, ...] = (
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
"""Facts sheet §3: every user holding one of these is billed for the STA add-on."""

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

NOT_CHECKED: Mapping[Addon, tuple[str, ...]] = {
    Addon.STA: (
        'The explicit upgrade permission "Billing > User > STA Upgrade" also bills a user, but '
        "its API permission string is not published, so this audit cannot see it: check which "
        "roles hold it in Admin > Roles / Permissions (search 'STA Upgrade').",
        "Agents can also become STA-billable through use (topic spotting or transcription on "
        "their interactions); roles do not show that.",
    ),
    Addon.COPILOT: (
        "Roles are not the whole story: everyone on a Copilot-enabled queue is processed "
        "(transcription and summaries under fair use), whatever their role.",
    ),
}


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
    """A user listed by `GET /api/v2/groups/{groupId}/members`."""

    id: str
    name: str = ""


class AuditInput(BaseModel):
    """Everything the audit needs, as fetched: roles, and for billable roles their grants."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    roles: tuple[Role, ...]
    grants: Mapping[str, tuple[Subject, ...]] = Field(default_factory=dict)
    """Role id -> the users and groups granted it."""
    group_members: Mapping[str, tuple[Member, ...]] = Field(default_factory=dict)
    """Group id -> its members."""


class User(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str


class RoleFinding(BaseModel):
    """A role that grants at least one billable permission, and who holds it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    master_admin: bool
    policies: tuple[str, ...]
    """The role's policies that grant a billable permission (`domain:entity:actions`)."""
    permissions: tuple[str, ...]
    """The billable permissions the role grants."""
    users: tuple[User, ...]
    """Distinct users holding the role, directly or through a group."""
    direct_users: int
    groups: tuple[str, ...]
    """Names of the groups the role is granted to."""

    @property
    def user_count(self) -> int:
        return len(self.users)


class AuditResult(BaseModel):
    """The audit of one add-on in one org."""

    model_config = ConfigDict(frozen=True)

    addon: Addon
    licence: Licence
    card: str
    roles: tuple[RoleFinding, ...]
    """Billable roles, most users first."""
    users: tuple[User, ...]
    """Distinct users billable for the add-on (holding any billable role)."""
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
        return tuple(role for role in self.roles if role.master_admin)


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


def audit(data: AuditInput, addon: Addon, licence: Licence, card: RateCard) -> AuditResult:
    """Billable roles, their users (directly or via groups), distinct users and tokens implied."""
    findings = [_finding(role, addon, data) for role in billable_roles(data.roles, addon)]
    findings.sort(key=lambda f: (-f.user_count, f.name.casefold(), f.id))
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
        roles=tuple(findings),
        users=users,
        rate=rate,
        tokens=tokens,
        checked_permissions=BILLABLE_PERMISSIONS[addon],
        notes=_notes(addon, licence, rate, len(users)),
    )


def _finding(role: Role, addon: Addon, data: AuditInput) -> RoleFinding:
    permissions = billable_permissions(role, addon)
    policies = tuple(
        policy.text
        for policy in role.permission_policies
        if any(policy.grants(permission) for permission in permissions)
    )
    subjects = data.grants.get(role.id, ())
    direct = [User(id=s.id, name=s.name) for s in subjects if not s.is_group]
    groups = [s for s in subjects if s.is_group]
    via_groups = [
        User(id=member.id, name=member.name)
        for group in groups
        for member in data.group_members.get(group.id, ())
    ]
    return RoleFinding(
        id=role.id,
        name=role.name,
        master_admin=role.is_master_admin,
        policies=policies,
        permissions=permissions,
        users=_distinct([*direct, *via_groups]),
        direct_users=len(_distinct(direct)),
        groups=tuple(group.name or group.id for group in groups),
    )


def _distinct(users: Iterable[User]) -> tuple[User, ...]:
    """Users by id, first occurrence kept, sorted by name then id (stable output)."""
    seen: dict[str, User] = {}
    for user in users:
        seen.setdefault(user.id, user)
    return tuple(sorted(seen.values(), key=lambda u: (u.name.casefold(), u.id)))


def _notes(addon: Addon, licence: Licence, rate: Decimal | None, users: int) -> tuple[str, ...]:
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
    notes.extend(NOT_CHECKED[addon])
    return tuple(notes)
