"""An org audit as plain text: the terminal report and the block to paste into a ticket.

`bot.slack.audit` builds the Block Kit version from the same pieces (and escapes the role,
group and user names and the licence ids, which come from the customer's org).
"""

from __future__ import annotations

from calculators.audit import (
    ADDON_LICENCES,
    PRECEDING_LICENCES,
    SOURCES,
    Agreement,
    AuditResult,
    RoleFinding,
)
from calculators.money import grouped, plain
from calculators.ratecard import Licence

ADDONS_COMPARED = frozenset(addon for addon, ids in ADDON_LICENCES.items() if ids)
"""The add-ons whose licence ids are known, so that Genesys' answer can be compared."""

NO_LICENCE = "no licence"
"""How an empty `license/infer` answer reads."""


def counted(count: int, noun: str) -> str:
    """`1 user`, `1,204 users`."""
    return f"{grouped(count)} {noun if count == 1 else noun + 's'}"


def users_text(count: int) -> str:
    return counted(count, "user")


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


def roles_text(count: int) -> str:
    return counted(count, "role")


def tokens_line(result: AuditResult) -> str:
    """`12 distinct users x 45 = 540 tokens/month`, or what to read for a concurrent org."""
    n = result.distinct_users
    distinct = f"{grouped(n)} distinct {'user' if n == 1 else 'users'}"
    if result.licence is Licence.NAMED:
        if result.rate is None or result.tokens is None:
            return f"{distinct} x rate not published on the {result.card} card"
        return f"{distinct} x {plain(result.rate)} = {grouped(result.tokens)} tokens/month"
    rate = "the concurrent rate (not published)" if result.rate is None else plain(result.rate)
    return (
        f"peak concurrent users (Concurrent Usage report) x {rate} tokens/month; "
        f"{distinct} hold the permission (an upper bound on the peak)"
    )


def title(result: AuditResult, org: str) -> str:
    return (
        f"{result.addon.label} permission audit of org {org} "
        f"({result.licence.value} licences, {result.card} card)"
    )


def role_detail(role: RoleFinding) -> str:
    parts = []
    if role.master_admin and role.name.casefold() != "master admin":
        parts.append("the default Master Admin role")
    if role.groups:
        parts.append(f"{role.direct_users} direct, through groups: {', '.join(role.groups)}")
    if role.inactive_members:
        parts.append(f"{counted(role.inactive_members, 'inactive or deleted member')} left out")
    return f" ({'; '.join(parts)})" if parts else ""


def licences_text(inferred: tuple[str, ...]) -> str:
    """`cloudCX2, gcSTAupgrade`, or "no licence" for an empty answer."""
    return ", ".join(inferred) or NO_LICENCE


def inference_line(role: RoleFinding) -> str:
    """`Genesys infers gcSTAupgrade (agrees)`: Genesys' answer for the role, and the verdict."""
    if role.inferred is None:
        return "Genesys' inference: unavailable"
    verdict = {
        Agreement.AGREES: "agrees",
        Agreement.UNCOMPARED: "not compared",
    }.get(role.agreement, "DISAGREES")
    return f"Genesys infers {licences_text(role.inferred)} ({verdict})"


def disagreement(result: AuditResult, role: RoleFinding) -> str:
    """One plain sentence: how Genesys' answer and the permission match differ for a role."""
    label = result.addon.label
    holders = f"its {users_text(role.user_count)} {_are(role.user_count)}"
    if role.agreement is Agreement.SUPERSEDED:
        preceding = [
            licence
            for licence in role.inferred or ()
            if licence.casefold() in PRECEDING_LICENCES[result.addon]
        ]
        return (
            f"{role.name}: grants {_some(role.permissions)}, but Genesys infers "
            f"{', '.join(preceding)}, which takes precedence over {label}: {holders} billed "
            f"that add-on, not {label} tokens."
        )
    if role.agreement is Agreement.NOT_INFERRED:
        return (
            f"{role.name}: grants {_some(role.permissions)}, but Genesys infers "
            f"{licences_text(role.inferred or ())} and no {label} add-on: by Genesys' answer "
            f"{holders} not billed for {label} (counted above all the same, on the documented "
            "permissions)."
        )
    return (
        f"{role.name}: grants none of the listed {label} permissions, but Genesys infers "
        f"{licences_text(role.inferred or ())}: {holders} billed for {label} (not counted above)."
    )


def _some(permissions: tuple[str, ...], shown: int = 3) -> str:
    """The first few permissions, `…` when there are more."""
    return ", ".join(permissions[:shown]) + ("…" if len(permissions) > shown else "")


def inference_summary(result: AuditResult) -> str:
    """`Genesys' licence inference: asked about 4 roles; 1 disagrees` (or why not)."""
    if result.inference_error is not None:
        return "Genesys' licence inference: unavailable (see the notes)"
    if not result.roles_asked:
        return "Genesys' licence inference: no role to ask about"
    scope = "every role" if result.all_roles else "the billable roles"
    asked = f"asked about {scope} ({grouped(result.roles_asked)})"
    disagreeing = len(result.disagreements)
    if disagreeing:
        verb = "disagrees" if disagreeing == 1 else "disagree"
        return f"Genesys' licence inference: {asked}; {roles_text(disagreeing)} {verb}"
    if any(role.agreement is Agreement.UNCOMPARED for role in result.roles):
        return f"Genesys' licence inference: {asked}; shown, not compared"
    return f"Genesys' licence inference: {asked}; it agrees with the permission match"


def other_roles_heading(result: AuditResult) -> str:
    """The heading over the roles asked (with all roles) that the report does not list."""
    n = len(result.other_roles)
    if result.addon in ADDONS_COMPARED:
        return (
            f"Other {roles_text(n)} asked: no billable permission, and Genesys infers no "
            f"{result.addon.label} add-on:"
        )
    return f"Other {roles_text(n)} asked: no billable permission; Genesys infers:"


def inferred_users_line(result: AuditResult) -> str | None:
    if result.inferred_users is None:
        return None
    label = result.addon.label
    preceding = " and none it bills WEM for" if PRECEDING_LICENCES[result.addon] else ""
    return (
        f"By Genesys' inference: {counted(len(result.inferred_users), 'distinct user')} "
        f"(holding a role Genesys bills for {label}{preceding})"
    )


def inactive_line(result: AuditResult) -> str | None:
    if not result.inactive_left_out:
        return None
    members = counted(result.inactive_left_out, "inactive or deleted group member")
    return f"Left out: {members} (only active users count)"


def master_admin_note(result: AuditResult) -> str | None:
    """Master Admin, called out only when its policies grant a billable permission here."""
    roles = result.master_admin_roles
    if not roles:
        return None
    label = result.addon.label
    users = len({user.id for role in roles for user in role.users})
    granted = {permission for role in roles for permission in role.permissions}
    how = "through wildcard policies" if any(r.wildcard for r in roles) else "explicitly"
    share = (
        f"every billable {label} permission"
        if len(granted) == len(result.checked_permissions)
        else f"{len(granted)} of the {len(result.checked_permissions)} billable {label} permissions"
    )
    return (
        f"Master Admin grants {share} in this org {how}: its {users_text(users)} "
        f"{_are(users)} billed whether or not they use {label}. Move people who do not need "
        "Master Admin to a narrower role."
    )


def notes(result: AuditResult) -> list[str]:
    note = master_admin_note(result)
    return ([note] if note else []) + list(result.notes)


def audit_text(result: AuditResult, org: str) -> str:
    """The human output of `tokenbot audit`."""
    label = result.addon.label
    lines = [title(result, org), ""]
    if result.roles:
        lines.append(f"Roles granting a billable {label} permission, most users first:")
        lines += _role_lines(result.roles)
    else:
        lines.append(f"No role grants a billable {label} permission.")
    if result.inferred_only:
        lines += ["", f"Roles Genesys bills for {label} that grant none of the listed permissions:"]
        lines += _role_lines(result.inferred_only)
    lines += ["", inference_summary(result)]
    if result.other_roles:
        lines.append(other_roles_heading(result))
        lines += [f"  {r.name}: {licences_text(r.inferred)}" for r in result.other_roles]
    if result.disagreements:
        lines += ["", "Where Genesys and the permission match disagree:"]
        lines += [f"- {disagreement(result, role)}" for role in result.disagreements]
    lines += [
        "",
        f"Distinct billable users: {grouped(result.distinct_users)} "
        "(a user holding several of these roles counts once)",
    ]
    lines += [line for line in (inferred_users_line(result), inactive_line(result)) if line]
    lines += [
        f"Tokens implied: {tokens_line(result)}",
        "List rate: the customer's contract and invoice govern.",
    ]
    lines += ["", "Notes:"] + [f"- {n}" for n in notes(result)]
    lines += ["", "For a ticket:", "-------------", ticket_text(result, org)]
    return "\n".join(lines)


def _role_lines(roles: tuple[RoleFinding, ...]) -> list[str]:
    width = max(len(users_text(role.user_count)) for role in roles)
    lines: list[str] = []
    for role in roles:
        count = users_text(role.user_count).rjust(width)
        lines.append(f"  {count}  {role.name}{role_detail(role)}")
        if role.policies:
            lines.append(f"  {' ' * width}  via {', '.join(role.policies)}")
        lines.append(f"  {' ' * width}  {inference_line(role)}")
    return lines


def ticket_text(result: AuditResult, org: str) -> str:
    """Plain text to paste into a support ticket."""
    lines = [
        title(result, org),
        f"Billable roles (users): {_ticket_roles(result.roles)}",
    ]
    if result.inferred_only:
        lines.append(
            f"Roles Genesys bills for {result.addon.label} without a listed permission: "
            + _ticket_roles(result.inferred_only)
        )
    lines.append(inference_summary(result))
    lines += [f"Disagreement: {disagreement(result, role)}" for role in result.disagreements]
    lines.append(f"Distinct billable users: {grouped(result.distinct_users)}")
    lines += [line for line in (inferred_users_line(result), inactive_line(result)) if line]
    lines.append(f"Tokens implied: {tokens_line(result)} (list rate; the contract governs)")
    note = master_admin_note(result)
    if note:
        lines.append(note)
    lines.append(f"Permissions checked: {_compact(result.checked_permissions)}")
    lines.append("Official sources: " + ", ".join(SOURCES[result.addon]))
    return "\n".join(lines)


def _ticket_roles(roles: tuple[RoleFinding, ...]) -> str:
    """`STA Supervisor (4; Genesys infers gcSTAupgrade), ...`, or "none"."""
    parts = []
    for role in roles:
        inferred = (
            "" if role.inferred is None else f"; Genesys infers {licences_text(role.inferred)}"
        )
        parts.append(f"{role.name} ({role.user_count}{inferred})")
    return ", ".join(parts) or "none"


def _compact(permissions: tuple[str, ...]) -> str:
    """`routing:transcriptionSettings:view|add|edit, ...`: one item per domain and entity."""
    actions: dict[str, list[str]] = {}
    for permission in permissions:
        entity, _, action = permission.rpartition(":")
        actions.setdefault(entity, []).append(action)
    return ", ".join(f"{entity}:{'|'.join(acts)}" for entity, acts in actions.items())
