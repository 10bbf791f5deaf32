"""A made-up Genesys Cloud org replayed with `responses`, in the documented shapes (facts §5).

Roles come on two pages (`pageSize`/`pageNumber`/`total`/`pageCount`, `entities` with
`permissionPolicies` of `domain`/`entityName`/`actionSet`); subject grants list users
(`PC_USER`) and groups (`PC_GROUP`); group members are a `UserEntityListing` whose users carry
`state` (active, inactive, deleted); `POST /api/v2/license/infer` takes a JSON array of role
ids and answers a JSON array of licence ids (official SDK, `LicenseApi.post_license_infer`).

STA: Master Admin (wildcards: alice, bob), STA Supervisor (carol directly, and the QA group:
dave, erin, alice, and harry who is inactive), Transcription Admin
(`routing:transcriptionSettings:*`: bob) -> 5 distinct active users, 1 left out. Copilot:
Copilot Agent (carol, and the Agents group: frank, gina) -> 3 distinct users.

Genesys infers (made up, in the shapes of facts sheet §7): `gcSTAupgrade` for STA Supervisor
and Transcription Admin (agreeing), `cloudCX2` + `gc2WEMupgrade` for Master Admin (WEM taking
precedence: disagreeing), and `gcSTAupgrade` for Dictionary Editor, a role holding none of the
listed permissions (disagreeing; found only when every role is asked).
"""

from __future__ import annotations

from typing import Any

import responses
from responses import matchers

REGION = "eu-west-1"
API = "https://api.mypurecloud.ie"
LOGIN = "https://login.mypurecloud.ie/oauth/token"
CLIENT_ID = "client-id-acme-0001"
CLIENT_SECRET = "s3cr3t-Do-Not-Leak-7Qz"
ACCESS_TOKEN = "tok-ACCESS-abc123-never-shown"
FRESH_TOKEN = "tok-FRESH-def456-never-shown"
PAGE_SIZE = "100"

ENV = {"ACME_CLIENT_ID": CLIENT_ID, "ACME_CLIENT_SECRET": CLIENT_SECRET}

ORGS_YAML = f"""\
orgs:
  - name: acme
    region: {REGION}
    client_id_env: ACME_CLIENT_ID
    client_secret_env: ACME_CLIENT_SECRET
"""


def policy(domain: str, entity: str, *actions: str) -> dict[str, Any]:
    return {
        "domain": domain,
        "entityName": entity,
        "actionSet": list(actions),
        "policyName": f"{domain}:{entity}",
        "allowConditions": False,
    }


def role(role_id: str, name: str, *policies: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "permissions": [],
        "permissionPolicies": list(policies),
        "userCount": 0,
        "default": False,
        "selfUri": f"/api/v2/authorization/roles/{role_id}",
        **extra,
    }


def user(user_id: str, name: str) -> dict[str, Any]:
    return {"id": user_id, "name": name, "type": "PC_USER", "divisions": []}


def group(group_id: str, name: str) -> dict[str, Any]:
    return {"id": group_id, "name": name, "type": "PC_GROUP", "divisions": []}


def member(user_id: str, name: str, state: str = "active") -> dict[str, Any]:
    return {"id": user_id, "name": name, "state": state, "selfUri": f"/api/v2/users/{user_id}"}


ROLE_PAGES: list[list[dict[str, Any]]] = [
    [
        role(
            "r-master",
            "Master Admin",
            policy("speechAndTextAnalytics", "*", "*"),
            policy("routing", "*", "*"),
            policy("billing", "*", "*"),
            defaultRoleId="masterAdmin",
        ),
        role("r-employee", "Employee", policy("directory", "user", "view")),
        role(
            "r-sta-sup", "STA Supervisor", policy("speechAndTextAnalytics", "topic", "view", "edit")
        ),
    ],
    [
        role(
            "r-transcript", "Transcription Admin", policy("routing", "transcriptionSettings", "*")
        ),
        role("r-summary", "Summary Viewer", policy("speechAndTextAnalytics", "aiSummary", "view")),
        role("r-copilot", "Copilot Agent", policy("assistants", "copilot", "view")),
        role(
            "r-dictionary",
            "Dictionary Editor",
            policy("speechAndTextAnalytics", "dictionaryterm", "view", "add"),
        ),
    ],
]

GRANTS: dict[str, list[dict[str, Any]]] = {
    "r-master": [user("u-alice", "Alice"), user("u-bob", "Bob")],
    "r-sta-sup": [user("u-carol", "Carol"), group("g-qa", "QA Team")],
    "r-transcript": [user("u-bob", "Bob")],
    "r-copilot": [user("u-carol", "Carol"), group("g-agents", "Agents")],
    "r-dictionary": [user("u-ivy", "Ivy"), user("u-jon", "Jon")],
}

MEMBERS: dict[str, list[dict[str, Any]]] = {
    "g-qa": [
        member("u-dave", "Dave"),
        member("u-erin", "Erin"),
        member("u-alice", "Alice"),
        member("u-harry", "Harry", state="inactive"),
    ],
    "g-agents": [member("u-frank", "Frank"), member("u-gina", "Gina")],
}


LICENCES: dict[str, list[str]] = {
    "r-master": ["cloudCX2", "gc2WEMupgrade"],
    "r-employee": ["cloudCX2"],
    "r-sta-sup": ["gcSTAupgrade"],
    "r-transcript": ["gcSTAupgrade"],
    "r-summary": [],
    "r-copilot": ["cloudCX2"],
    "r-dictionary": ["gcSTAupgrade"],
}
"""Role id -> what `license/infer` answers for that role alone."""

INFER = f"{API}/api/v2/license/infer"


def listing(entities: list[dict[str, Any]], page: int, page_count: int) -> dict[str, Any]:
    return {
        "entities": entities,
        "pageSize": int(PAGE_SIZE),
        "pageNumber": page,
        "total": len(entities),
        "pageCount": page_count,
    }


def page_query(page: int) -> Any:
    return matchers.query_param_matcher({"pageSize": PAGE_SIZE, "pageNumber": str(page)})


def bearer(token: str) -> Any:
    return matchers.header_matcher({"Authorization": f"Bearer {token}"})


def add_login(mock: responses.RequestsMock, token: str = ACCESS_TOKEN, status: int = 200) -> None:
    body = {"access_token": token, "token_type": "bearer", "expires_in": 86399}
    mock.add(responses.POST, LOGIN, json=body if status == 200 else {"error": "x"}, status=status)


def add_roles(
    mock: responses.RequestsMock,
    token: str = ACCESS_TOKEN,
    pages: list[list[dict[str, Any]]] | None = None,
) -> None:
    pages = ROLE_PAGES if pages is None else pages
    for number, entities in enumerate(pages, start=1):
        mock.add(
            responses.GET,
            f"{API}/api/v2/authorization/roles",
            json=listing(entities, number, len(pages)),
            match=[page_query(number), bearer(token)],
        )


def add_grants_and_members(
    mock: responses.RequestsMock,
    token: str = ACCESS_TOKEN,
    grants: dict[str, list[dict[str, Any]]] | None = None,
    members: dict[str, list[dict[str, Any]]] | None = None,
) -> None:
    for role_id, subjects in (GRANTS if grants is None else grants).items():
        mock.add(
            responses.GET,
            f"{API}/api/v2/authorization/roles/{role_id}/subjectgrants",
            json=listing(subjects, 1, 1),
            match=[page_query(1), bearer(token)],
        )
    for group_id, users in (MEMBERS if members is None else members).items():
        mock.add(
            responses.GET,
            f"{API}/api/v2/groups/{group_id}/members",
            json=listing(users, 1, 1),
            match=[page_query(1), bearer(token)],
        )


def add_inference(
    mock: responses.RequestsMock,
    licences: dict[str, list[str]] | None = None,
    token: str = ACCESS_TOKEN,
) -> None:
    """`POST /api/v2/license/infer` with `[roleId]` answers that role's licence ids."""
    for role_id, answer in (LICENCES if licences is None else licences).items():
        mock.add(
            responses.POST,
            INFER,
            json=answer,
            match=[matchers.json_params_matcher([role_id]), bearer(token)],
        )


def add_refused_inference(mock: responses.RequestsMock, status: int) -> None:
    """`license/infer` refused (403) or absent (404), for every role, as the API answers."""
    body = {"message": "Not found" if status == 404 else "Missing permission", "status": status}
    mock.add(responses.POST, INFER, json=body, status=status)


def add_org(
    mock: responses.RequestsMock,
    *,
    pages: list[list[dict[str, Any]]] | None = None,
    grants: dict[str, list[dict[str, Any]]] | None = None,
    members: dict[str, list[dict[str, Any]]] | None = None,
    licences: dict[str, list[str]] | None = None,
) -> None:
    """A whole org (this one unless told otherwise): login, roles, inference, grants, members."""
    add_login(mock)
    add_roles(mock, pages=pages)
    add_inference(mock, licences)
    add_grants_and_members(mock, grants=grants, members=members)


def infer_calls(mock: responses.RequestsMock) -> list[Any]:
    """The role ids each `license/infer` call asked about, in order."""
    import json

    return [
        json.loads(call.request.body)
        for call in mock.calls
        if call.request.url == INFER and call.request.body
    ]
