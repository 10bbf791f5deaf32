"""Audit an org for token-billed permissions: fetch from the Platform API, then the pure audit.

The shell of `calculators.audit`: it reads the orgs file, logs in as the org's OAuth client,
fetches the roles, and only for the billable roles their subject grants and the members of the
groups among them, then hands everything to `calculators.audit.audit`. `/tokens audit` and
`tokenbot audit` both come through here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from bot import render_audit
from bot.deps import Deps
from bot.errors import BotError, NotAllowedError, UsageError
from bot.genesys import GenesysClient, Progress, Sleep, UnexpectedResponseError
from bot.orgs import Org, load_orgs
from bot.render import Message, render_error, render_notice
from bot.render import escape as render_escape
from bot.surfaces import COMMAND
from calculators.audit import (
    Addon,
    AuditInput,
    AuditResult,
    Member,
    Role,
    Subject,
    audit,
    billable_roles,
)
from calculators.errors import CalculatorError
from calculators.ratecard import Licence, RateCard

logger = logging.getLogger(__name__)

USAGE = f"expected `{COMMAND} audit sta|copilot [org=NAME] [licence=named|concurrent]`"
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class AuditRequest:
    """What to audit: the add-on, the org (None: the only one configured), the licence model."""

    addon: Addon
    org: str | None = None
    licence: Licence | None = None

    @classmethod
    def parse(cls, argument: str) -> AuditRequest:
        """`sta org=acme licence=concurrent`, in any order after the add-on."""
        words = argument.split()
        if not words:
            raise UsageError(f"audit what? {USAGE}")
        addon = _choice(Addon, words[0], "add-on")
        options: dict[str, str] = {}
        for word in words[1:]:
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
        )


def _choice(enum: Any, word: str, what: str) -> Any:
    values = [member.value for member in enum]
    if word.lower() in values:
        return enum(word.lower())
    raise UsageError(f"unknown {what} '{word}' (expected {' or '.join(values)}): {USAGE}")


# -- fetching --------------------------------------------------------------------------------


def gather(client: GenesysClient, addon: Addon, progress: Progress) -> AuditInput:
    """Roles, then grants of the billable roles only, then members of the groups among them."""
    roles = tuple(_parse(Role, item, "role") for item in client.roles())
    billable = billable_roles(roles, addon)
    grants: dict[str, tuple[Subject, ...]] = {}
    for number, role in enumerate(billable, start=1):
        if len(billable) > 1:
            progress(f"role grants: role {number} of {len(billable)}")
        grants[role.id] = tuple(
            _parse(Subject, item, "subject grant") for item in client.subject_grants(role.id)
        )
    group_ids = sorted({s.id for subjects in grants.values() for s in subjects if s.is_group})
    members: dict[str, tuple[Member, ...]] = {}
    for number, group_id in enumerate(group_ids, start=1):
        if len(group_ids) > 1:
            progress(f"group members: group {number} of {len(group_ids)}")
        members[group_id] = tuple(
            _parse(Member, item, "group member") for item in client.group_members(group_id)
        )
    return AuditInput(roles=roles, grants=grants, group_members=members)


def _parse(model: type[M], item: dict[str, Any], what: str) -> M:
    try:
        return model.model_validate(item)
    except ValidationError:
        raise UnexpectedResponseError(
            f"the API returned a {what} without the documented fields (id, name)"
        ) from None


def audit_org(
    org: Org,
    addon: Addon,
    card: RateCard,
    env: Mapping[str, str],
    *,
    licence: Licence | None = None,
    session: requests.Session | None = None,
    sleep: Sleep = time.sleep,
    progress: Progress | None = None,
) -> AuditResult:
    """Log in as the org's OAuth client, fetch what the audit needs, and audit it."""
    report: Progress = progress or (lambda message: None)
    client = GenesysClient(
        hosts=org.hosts,
        credentials=org.credentials(env),
        session=session or requests.Session(),
        sleep=sleep,
        progress=report,
    )
    logger.info("auditing %s for %s", org.name, addon.value)
    data = gather(client, addon, report)
    return audit(data, addon, licence or org.licence, card)


# -- Slack -----------------------------------------------------------------------------------


def may_audit(deps: Deps, user_id: str) -> bool:
    return user_id in deps.admins


def check_admin(deps: Deps, user_id: str) -> None:
    """Raise a polite `NotAllowedError` for anyone not in TOKENBOT_ADMINS."""
    if not may_audit(deps, user_id):
        raise NotAllowedError(
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
        check_admin(deps, user_id)
        request = AuditRequest.parse(argument)
        org = load_orgs(deps.orgs_path).get(request.org)
        result = audit_org(
            org,
            request.addon,
            deps.default_card,
            env,
            licence=request.licence,
            session=session,
        )
    except (BotError, CalculatorError) as exc:
        logger.info("audit by %s not done: %s", user_id, exc.message)
        return render_error(exc.message, hint=HINT)
    return render_audit.render_audit(result, org.name)


HINT = f"Usage: {USAGE.removeprefix('expected ')}. Orgs are configured in TOKENBOT_ORGS."


def acknowledgement(request: AuditRequest) -> Message:
    """The immediate answer while the audit runs (Slack wants an ack within 3 s)."""
    org = f"org {request.org}" if request.org else "the org"
    return render_notice(
        f"Auditing {render_escape(org)} for {request.addon.label} permissions… "
        "the result follows here in a moment."
    )


def first_reply(deps: Deps, argument: str, user_id: str) -> tuple[Message, bool]:
    """The immediate answer to `/tokens audit ...`, and whether the audit should run after it.

    Refusals and usage errors are final; an admin's well-formed request gets "Auditing…".
    """
    try:
        check_admin(deps, user_id)
        request = AuditRequest.parse(argument)
    except BotError as exc:
        return render_error(exc.message, hint=HINT), False
    return acknowledgement(request), True
