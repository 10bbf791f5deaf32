"""Audit an org for token-billed permissions: fetch from the Platform API, then the pure audit.

The shell of `calculators.audit`: it logs in as the org's OAuth client, fetches the roles, asks
`POST /api/v2/license/infer` which licences each billable role implies (every role with
`all_roles`), then fetches the subject grants of the roles the report lists (billable, or billed
by Genesys' inference) and the members of the groups among them, and hands everything to
`calculators.audit.audit`. `/tokens audit` (`bot.slack.audit`) and `tokenbot audit`
(`bot.cli.audit`) both come through here.

The inference degrades, it never fails the audit: if Genesys refuses it (403), does not know it
(404) or fails in any other way, the audit runs on the permission match and says why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    import requests

from bot.genesys.client import (
    GenesysClient,
    GenesysError,
    Progress,
    Sleep,
    UnexpectedResponseError,
    new_session,
)
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
    genesys_bills,
)
from calculators.ratecard import Licence, RateCard

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


def gather(
    client: GenesysClient, addon: Addon, progress: Progress, *, all_roles: bool = False
) -> AuditInput:
    """Roles; Genesys' inference for the billable ones (or all); grants; group members."""
    roles = tuple(_parse(Role, item, "role") for item in client.roles())
    billable = billable_roles(roles, addon)
    licences, error = infer(client, roles if all_roles else billable, progress)
    billable_ids = {role.id for role in billable}
    listed = [
        role
        for role in roles
        if role.id in billable_ids or genesys_bills(addon, licences.get(role.id))
    ]
    grants: dict[str, tuple[Subject, ...]] = {}
    for number, role in enumerate(listed, start=1):
        if len(listed) > 1:
            progress(f"role grants: role {number} of {len(listed)}")
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
    return AuditInput(
        roles=roles,
        grants=grants,
        group_members=members,
        licences=licences,
        inference_error=error,
        all_roles=all_roles,
    )


def infer(
    client: GenesysClient, roles: Sequence[Role], progress: Progress
) -> tuple[dict[str, tuple[str, ...]], str | None]:
    """Role id -> the licences Genesys infers for that role alone, and why it stopped, if it did.

    One call per role (the endpoint answers for the union of the roles it is given). The first
    failure stops the asking: a 403 or 404 would repeat for every role.
    """
    licences: dict[str, tuple[str, ...]] = {}
    for number, role in enumerate(roles, start=1):
        if len(roles) > 1:
            progress(f"licence inference: role {number} of {len(roles)}")
        try:
            licences[role.id] = client.infer_licences([role.id])
        except GenesysError as exc:
            logger.info("license/infer unavailable at role %s: %s", role.id, exc.message)
            return licences, exc.message
    return licences, None


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
    all_roles: bool = False,
) -> AuditResult:
    """Log in as the org's OAuth client, fetch what the audit needs, and audit it.

    `all_roles` asks Genesys' licence inference about every role, not only the billable ones.
    """
    report: Progress = progress or (lambda message: None)
    client = GenesysClient(
        hosts=org.hosts,
        credentials=org.credentials(env),
        session=session or new_session(),
        sleep=sleep,
        progress=report,
    )
    logger.info("auditing %s for %s", org.name, addon.value)
    data = gather(client, addon, report, all_roles=all_roles)
    return audit(data, addon, licence or org.licence, card)
