"""An org audit as plain text: the terminal report and the block to paste into a ticket.

`bot.slack.audit` builds the Block Kit version from the same pieces (and escapes the role,
group and user names, which come from the customer's org).
"""

from __future__ import annotations

from calculators.audit import SOURCES, AuditResult, RoleFinding
from calculators.money import grouped, plain
from calculators.ratecard import Licence


def users_text(count: int) -> str:
    return f"{grouped(count)} {'user' if count == 1 else 'users'}"


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
    return f" ({'; '.join(parts)})" if parts else ""


def master_admin_note(result: AuditResult) -> str | None:
    if not result.master_admin_roles:
        return None
    users = sum(role.user_count for role in result.master_admin_roles)
    return (
        f"Master Admin grants every billable {result.addon.label} permission through its "
        f"wildcard policies: its {users_text(users)} are billed whether or not they use "
        f"{result.addon.label}. Move people who do not need Master Admin to a narrower role."
    )


def audit_text(result: AuditResult, org: str) -> str:
    """The human output of `tokenbot audit`."""
    lines = [title(result, org), ""]
    if result.roles:
        lines.append(
            f"Roles granting a billable {result.addon.label} permission, most users first:"
        )
        width = max(len(users_text(role.user_count)) for role in result.roles)
        for role in result.roles:
            count = users_text(role.user_count).rjust(width)
            lines.append(f"  {count}  {role.name}{role_detail(role)}")
            lines.append(f"  {' ' * width}  via {', '.join(role.policies)}")
    else:
        lines.append(f"No role grants a billable {result.addon.label} permission.")
    lines += [
        "",
        f"Distinct billable users: {grouped(result.distinct_users)} "
        "(a user holding several of these roles counts once)",
        f"Tokens implied: {tokens_line(result)}",
        "List rate: the customer's contract and invoice govern.",
    ]
    note = master_admin_note(result)
    notes = ([note] if note else []) + list(result.notes)
    lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    lines += ["", "For a ticket:", "-------------", ticket_text(result, org)]
    return "\n".join(lines)


def ticket_text(result: AuditResult, org: str) -> str:
    """Plain text to paste into a support ticket."""
    roles = ", ".join(f"{r.name} ({r.user_count})" for r in result.roles) or "none"
    lines = [
        title(result, org),
        f"Billable roles (users): {roles}",
        f"Distinct billable users: {grouped(result.distinct_users)}",
        f"Tokens implied: {tokens_line(result)} (list rate; the contract governs)",
    ]
    note = master_admin_note(result)
    if note:
        lines.append(note)
    lines.append(f"Permissions checked: {_compact(result.checked_permissions)}")
    lines.append("Official sources: " + ", ".join(SOURCES[result.addon]))
    return "\n".join(lines)


def _compact(permissions: tuple[str, ...]) -> str:
    """`routing:transcriptionSettings:view|add|edit, ...`: one item per domain and entity."""
    actions: dict[str, list[str]] = {}
    for permission in permissions:
        entity, _, action = permission.rpartition(":")
        actions.setdefault(entity, []).append(action)
    return ", ".join(f"{entity}:{'|'.join(acts)}" for entity, acts in actions.items())
