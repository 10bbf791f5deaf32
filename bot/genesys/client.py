"""A small, read-only Genesys Cloud Platform API client on `requests`.

OAuth client credentials against the region's login host, bearer calls to its API host
(facts sheet §5.1), page-number paging followed to the last page (`pageCount`), HTTP 429 retried
after `Retry-After` a bounded number of times, and HTTP 401 answered by one fresh login.

Every failure is a `GenesysError` with a one-line message safe to show a user. The client
secret and the access token never appear in a message, a log line or a repr.
"""

from __future__ import annotations

import base64
import difflib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import SecretStr

from bot.errors import BotError

logger = logging.getLogger(__name__)

REGIONS: Mapping[str, str] = {
    "us-east-1": "mypurecloud.com",
    "eu-west-1": "mypurecloud.ie",
    "eu-central-1": "mypurecloud.de",
    "eu-west-2": "euw2.pure.cloud",
    "eu-central-2": "euc2.pure.cloud",
    "ap-southeast-2": "mypurecloud.com.au",
    "ap-northeast-1": "mypurecloud.jp",
    "ap-northeast-2": "apne2.pure.cloud",
    "ap-northeast-3": "apne3.pure.cloud",
    "ap-south-1": "aps1.pure.cloud",
    "ap-southeast-1": "apse1.pure.cloud",
    "us-west-2": "usw2.pure.cloud",
    "ca-central-1": "cac1.pure.cloud",
    "sa-east-1": "sae1.pure.cloud",
    "me-central-1": "mec1.pure.cloud",
    "mx-central-1": "mxc1.pure.cloud",
    "us-east-2": "use2.us-gov-pure.cloud",
}
"""Region -> domain; the API host is `api.<domain>`, the login host `login.<domain>` (§5.1)."""

PAGE_SIZE = 100
MAX_PAGES = 10_000
MAX_RETRIES = 3
"""Retries of a call answered 429 (so at most four calls in all)."""
MAX_WAIT = 60.0
"""Longest `Retry-After` honoured, in seconds; a longer one is cut to this."""
DEFAULT_WAIT = 1.0
TIMEOUT = 30.0

ROLE_VIEW = "authorization:role:view"
GRANT_VIEW = "authorization:grant:view"
GROUP_VIEW = "directory:group:view"


class GenesysError(BotError):
    """Base class: the Platform API could not give what the audit needs."""


class UnknownRegionError(GenesysError):
    """The region is not one of the Genesys Cloud regions the client knows."""


class BadCredentialsError(GenesysError):
    """The login host refused the OAuth client's id or secret."""


class MissingPermissionError(GenesysError):
    """The OAuth client's roles lack a permission an endpoint needs (HTTP 403)."""


class RateLimitedError(GenesysError):
    """Still answered 429 after the bounded retries."""


class NetworkError(GenesysError):
    """The host could not be reached (DNS, connection refused, timeout, TLS)."""


class UnexpectedResponseError(GenesysError):
    """Any other status, or a body that is not the documented JSON shape."""


@dataclass(frozen=True)
class Hosts:
    """Base URLs of an org's API and login hosts."""

    api_url: str
    login_url: str

    @classmethod
    def for_region(cls, region: str) -> Hosts:
        """The hosts of a region of facts sheet §5.1; raises with "did you mean" otherwise."""
        key = region.strip().lower()
        domain = REGIONS.get(key)
        if domain is None:
            close = difflib.get_close_matches(key, list(REGIONS), n=1, cutoff=0.6)
            hint = f" — did you mean {close[0]}?" if close else ""
            raise UnknownRegionError(
                f"unknown Genesys Cloud region '{region}'{hint} (regions: {', '.join(REGIONS)})"
            )
        return cls(api_url=f"https://api.{domain}", login_url=f"https://login.{domain}")

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_url", self.api_url.rstrip("/"))
        object.__setattr__(self, "login_url", self.login_url.rstrip("/"))


@dataclass(frozen=True)
class Credentials:
    """An OAuth client: its id, its secret, and where they came from (for messages)."""

    client_id: str
    client_secret: SecretStr
    source: str = "the OAuth client id and secret"

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, client_secret=SecretStr('**********'))"


Progress = Callable[[str], None]
Sleep = Callable[[float], None]


def _no_progress(message: str) -> None:
    """Progress reports go nowhere unless a caller asks for them."""


@dataclass
class GenesysClient:
    """Read-only Platform API calls for one org (one OAuth client, one region)."""

    hosts: Hosts
    credentials: Credentials = field(repr=False)
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    sleep: Sleep = field(default=time.sleep, repr=False)
    progress: Progress = field(default=_no_progress, repr=False)
    max_retries: int = MAX_RETRIES
    timeout: float = TIMEOUT
    _token: SecretStr | None = field(default=None, init=False, repr=False)

    # -- login -------------------------------------------------------------------------------

    def login(self) -> None:
        """Get a fresh access token with the client-credentials grant."""
        pair = f"{self.credentials.client_id}:{self.credentials.client_secret.get_secret_value()}"
        basic = base64.b64encode(pair.encode()).decode()
        url = f"{self.hosts.login_url}/oauth/token"
        host = _host(url)
        logger.debug("logging in to %s", host)
        response = self._send(
            "POST",
            url,
            headers={"Authorization": f"Basic {basic}"},
            data={"grant_type": "client_credentials"},
        )
        if response.status_code in (400, 401, 403):
            raise BadCredentialsError(
                f"{host} refused the OAuth client credentials (HTTP {response.status_code}): "
                f"check {self.credentials.source} and that the client uses the Client "
                "Credentials grant in this region"
            )
        if response.status_code != 200:
            raise UnexpectedResponseError(
                f"{host} answered the login with HTTP {response.status_code}; try again later"
            )
        token = _json(response, host).get("access_token")
        if not isinstance(token, str) or not token:
            raise UnexpectedResponseError(f"{host} answered the login without an access token")
        self._token = SecretStr(token)

    # -- calls -------------------------------------------------------------------------------

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, permission: str
    ) -> dict[str, Any]:
        """`GET path` with the bearer token; `permission` is named if the answer is 403."""
        if self._token is None:
            self.login()
        url = f"{self.hosts.api_url}{path}"
        refreshed = False
        while True:
            assert self._token is not None
            response = self._send(
                "GET",
                url,
                params=params,
                headers={"Authorization": f"Bearer {self._token.get_secret_value()}"},
            )
            if response.status_code == 401 and not refreshed:
                logger.info("access token refused for %s; logging in again", path)
                refreshed = True
                self.login()
                continue
            return self._checked(response, path, permission)

    def pages(
        self, path: str, *, permission: str, what: str, page_size: int = PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """Every entity of a page-number listing, following `pageCount` to the last page."""
        page = 1
        while page <= MAX_PAGES:
            body = self.get(
                path, {"pageSize": page_size, "pageNumber": page}, permission=permission
            )
            entities = body.get("entities") or []
            if not isinstance(entities, list):
                raise UnexpectedResponseError(f"{path} answered without an entities list")
            yield from (e for e in entities if isinstance(e, dict))
            page_count = body.get("pageCount")
            if isinstance(page_count, int) and page_count > 1:
                self.progress(f"{what}: page {page} of {page_count}")
            if isinstance(page_count, int):
                if page >= page_count:
                    return
            elif len(entities) < page_size:
                return
            page += 1
        raise UnexpectedResponseError(f"{path} has more than {MAX_PAGES} pages; stopped")

    # -- the endpoints the audit uses (facts sheet §5.2, §5.3) ---------------------------------

    def roles(self) -> Iterator[dict[str, Any]]:
        """`GET /api/v2/authorization/roles`, every page (roles with `permissionPolicies`)."""
        return self.pages("/api/v2/authorization/roles", permission=ROLE_VIEW, what="roles")

    def subject_grants(self, role_id: str) -> Iterator[dict[str, Any]]:
        """Users and groups granted a role: `GET .../roles/{roleId}/subjectgrants`."""
        return self.pages(
            f"/api/v2/authorization/roles/{role_id}/subjectgrants",
            permission=f"{ROLE_VIEW} and {GRANT_VIEW}",
            what="role grants",
        )

    def group_members(self, group_id: str) -> Iterator[dict[str, Any]]:
        """Members of a group: `GET /api/v2/groups/{groupId}/members`."""
        return self.pages(
            f"/api/v2/groups/{group_id}/members", permission=GROUP_VIEW, what="group members"
        )

    # -- plumbing ----------------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request, retried after `Retry-After` while the answer is 429 (bounded)."""
        host = _host(url)
        for attempt in range(self.max_retries + 1):
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.Timeout:
                raise NetworkError(f"{host} did not answer within {self.timeout:g} s") from None
            except requests.RequestException:
                raise NetworkError(
                    f"could not reach {host}: check the region or URLs and the network"
                ) from None
            if response.status_code != 429:
                return response
            if attempt < self.max_retries:
                wait = _retry_after(response)
                logger.info("%s is rate limiting (429); waiting %.1f s", host, wait)
                self.sleep(wait)
        raise RateLimitedError(
            f"{host} is still rate limiting (HTTP 429) after {self.max_retries} retries; "
            "try again in a few minutes"
        )

    def _checked(self, response: requests.Response, path: str, permission: str) -> dict[str, Any]:
        host = _host(response.url or self.hosts.api_url)
        status = response.status_code
        if status == 200:
            return _json(response, host)
        if status == 401:
            raise BadCredentialsError(
                f"{host} refused a freshly issued access token for {path} (HTTP 401): "
                f"check {self.credentials.source}"
            )
        if status == 403:
            raise MissingPermissionError(
                f"the OAuth client may not read {path} (HTTP 403): give its role the "
                f"{permission} permission"
            )
        if status == 404:
            raise UnexpectedResponseError(f"{host} does not know {path} (HTTP 404)")
        raise UnexpectedResponseError(f"{host} answered {path} with HTTP {status}")


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _json(response: requests.Response, host: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise UnexpectedResponseError(f"{host} answered with something other than JSON") from None
    if not isinstance(body, dict):
        raise UnexpectedResponseError(f"{host} answered with JSON that is not an object")
    return body


def _retry_after(response: requests.Response) -> float:
    """Seconds to wait from `Retry-After` (seconds form), capped; a default when absent."""
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return DEFAULT_WAIT
    return min(max(seconds, 0.0), MAX_WAIT)
