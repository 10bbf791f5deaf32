"""`/tokens audit ...` in Slack: the request syntax, the admin check, and the audit as Block Kit.

The fetching is `bot.genesys.audit`; the plain text (shared with the terminal and the ticket
block) is `bot.text.audit`. Role, group and user names come from the customer's org: they are
escaped before they land in mrkdwn, like anything else from outside the code.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from bot.admin import require_admin
from bot.deps import Deps
from bot.errors import BotError, UsageError
from bot.genesys.audit import audit_org
from bot.genesys.orgs import load_orgs
from bot.slack.render import (
    Block,
    Message,
    context,
    divider,
    escape,
    fit,
    header,
    render_error,
    render_notice,
    section,
    split_text,
)
from bot.slack.surfaces import COMMAND
from bot.text.audit import (
    disagreement,
    inactive_line,
    inference_line,
    inference_summary,
    inferred_users_line,
    licences_text,
    notes,
    other_roles_heading,
    role_detail,
    ticket_text,
    title,
    tokens_line,
    users_text,
)
from calculators.audit import Addon, AuditResult, RoleFinding
from calculators.errors import CalculatorError
from calculators.money import grouped
from calculators.ratecard import Licence

logger = logging.getLogger(__name__)

ALL_ROLES = "all-roles"
USAGE = (
    f"expected `{COMMAND} audit sta|copilot [org=NAME] [licence=named|concurrent] [{ALL_ROLES}]`"
)
ROLES_SHOWN_IN_SLACK = 20
OTHER_ROLES_SHOWN_IN_SLACK = 10


@dataclass(frozen=True)
class AuditRequest:
    """What to audit: the add-on, the org (None: the only one configured), the licence model,
    and whether Genesys' licence inference is asked about every role."""

    addon: Addon
    org: str | None = None
    licence: Licence | None = None
    all_roles: bool = False

    @classmethod
    def parse(cls, argument: str) -> AuditRequest:
        """`sta org=acme licence=concurrent all-roles`, in any order after the add-on."""
        words = argument.split()
        if not words:
            raise UsageError(f"audit what? {USAGE}")
        addon = _choice(Addon, words[0], "add-on")
        options: dict[str, str] = {}
        all_roles = False
        for word in words[1:]:
            if word.lower().lstrip("-") == ALL_ROLES:
                all_roles = True
                continue
            key, sep, value = word.partition("=")
            key = key.lower()
            if not sep or not value or key not in ("org", "licence", "license"):
                raise UsageError(f"cannot read '{word}': {USAGE}")
            options["licence" if key == "license" else key] = value
        licence = options.get("licence")
        return cls(
            addon=addon,
            org=options.get("org"),
            licence=None if licence is None else _choice(Licence, licence, "licence model"),
            all_roles=all_roles,
        )


def _choice(enum: Any, word: str, what: str) -> Any:
    values = [member.value for member in enum]
    if word.lower() in values:
        return enum(word.lower())
    raise UsageError(f"unknown {what} '{word}' (expected {' or '.join(values)}): {USAGE}")


REFUSAL = (
    f"`{COMMAND} audit` is only for the tokenbot admins listed in TOKENBOT_ADMINS: it "
    "reads a customer's org through its API. Ask one of them to run it, or see which "
    f"permissions bill tokens with `{COMMAND} ask which permissions bill STA tokens?`"
)


def audit_reply(
    deps: Deps,
    argument: str,
    user_id: str,
    *,
    env: Mapping[str, str],
    session: requests.Session | None = None,
) -> Message:
    """`/tokens audit ...`: the audit as a Slack message, or a one-line error or refusal."""
    try:
        require_admin(deps, user_id, REFUSAL)
        request = AuditRequest.parse(argument)
        org = load_orgs(deps.orgs_path).get(request.org)
        result = audit_org(
            org,
            request.addon,
            deps.default_card,
            env,
            licence=request.licence,
            session=session,
            all_roles=request.all_roles,
        )
    except (BotError, CalculatorError) as exc:
        logger.info("audit by %s not done: %s", user_id, exc.message)
        return render_error(exc.message, hint=HINT)
    return render_audit(result, org.name)


HINT = f"Usage: {USAGE.removeprefix('expected ')}. Orgs are configured in TOKENBOT_ORGS."


def acknowledgement(request: AuditRequest) -> Message:
    """The immediate answer while the audit runs (Slack wants an ack within 3 s)."""
    org = f"org {request.org}" if request.org else "the org"
    scope = " (asking Genesys about every role)" if request.all_roles else ""
    return render_notice(
        f"Auditing {escape(org)} for {request.addon.label} permissions{scope}… "
        "the result follows here in a moment."
    )


def first_reply(deps: Deps, argument: str, user_id: str) -> tuple[Message, bool]:
    """The immediate answer to `/tokens audit ...`, and whether the audit should run after it.

    Refusals and usage errors are final; an admin's well-formed request gets "Auditing…".
    """
    try:
        require_admin(deps, user_id, REFUSAL)
        request = AuditRequest.parse(argument)
    except BotError as exc:
        return render_error(exc.message, hint=HINT), False
    return acknowledgement(request), True


def render_audit(result: AuditResult, org: str) -> Message:
    """The audit as an ephemeral Slack message, with its ticket block."""
    label = result.addon.label
    blocks: list[Block] = [header(f"{label} audit: {org}")]
    blocks.append(context(escape(title(result, org))))
    if result.roles:
        blocks.append(
            section(
                f"*Roles granting a billable {label} permission*\n"
                + _role_lines(result.roles, ROLES_SHOWN_IN_SLACK)
            )
        )
    else:
        blocks.append(section(f"No role grants a billable {label} permission."))
    if result.inferred_only:
        blocks.append(
            section(
                f"*Roles Genesys bills for {label} that grant none of the listed permissions*\n"
                + _role_lines(result.inferred_only, ROLES_SHOWN_IN_SLACK)
            )
        )
    inference = [escape(inference_summary(result))]
    inference += [
        f":warning: {escape(disagreement(result, role))}"
        for role in result.disagreements[:ROLES_SHOWN_IN_SLACK]
    ]
    if result.other_roles:
        shown = result.other_roles[:OTHER_ROLES_SHOWN_IN_SLACK]
        others = ", ".join(f"{r.name} ({licences_text(r.inferred)})" for r in shown)
        more = len(result.other_roles) - len(shown)
        tail = f" …and {more} more (see the CLI)" if more else ""
        inference.append(f"{escape(other_roles_heading(result))} {escape(others)}{tail}")
    blocks.append(section("\n".join(inference)))
    totals = [f"*Distinct billable users:* {grouped(result.distinct_users)}"]
    totals += [
        escape(line) for line in (inferred_users_line(result), inactive_line(result)) if line
    ]
    totals.append(f"*Tokens implied:* {escape(tokens_line(result))}")
    blocks.append(section("\n".join(totals)))
    blocks.append(context(*(escape(n) for n in notes(result)[:10])))
    blocks.append(divider())
    blocks.append(section("*For a ticket*"))
    for chunk in split_text(ticket_text(result, org)):
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": chunk}})
    fallback = f"{label} audit of {org}: {tokens_line(result)}"
    return fit(escape(fallback), blocks)


def _role_lines(roles: tuple[RoleFinding, ...], limit: int) -> str:
    """One mrkdwn line per role: name, users, the policies, and what Genesys infers."""
    shown = roles[:limit]
    lines = []
    for role in shown:
        policies = f" — `{escape(', '.join(role.policies))}`" if role.policies else ""
        lines.append(
            f"• *{escape(role.name)}*: {users_text(role.user_count)}{escape(role_detail(role))}"
            f"{policies} · {escape(inference_line(role))}"
        )
    if len(roles) > len(shown):
        lines.append(f"…and {len(roles) - len(shown)} more roles (see the CLI).")
    return "\n".join(lines)
