"""Audit an org for token-billed permissions: fetch from the Platform API, then the pure audit.

The shell of `calculators.audit`: it logs in as the org's OAuth client, fetches the roles, and
only for the billable roles their subject grants and the members of the groups among them, then
hands everything to `calculators.audit.audit`. `/tokens audit` (`bot.slack.audit`) and
`tokenbot audit` (`bot.cli.audit`) both come through here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from bot.genesys.client import GenesysClient, Progress, Sleep, UnexpectedResponseError
from bot.genesys.orgs import Org
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
from calculators.ratecard import Licence, RateCard

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


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
