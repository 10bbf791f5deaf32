"""A small, read-only Genesys Cloud Platform API client on `requests`.

OAuth client credentials against the region's login host, bearer calls to its API host
(facts sheet §5.1), page-number paging followed to the last page (`pageCount`), and HTTP 401
answered by one fresh login. Transient failures are retried a bounded number of times: HTTP 429
after its `Retry-After`, HTTP 5xx and dropped connections (reset, refused) after an exponential
backoff (or the 5xx answer's own `Retry-After`). A timeout is not retried: it already waited.

`POST /api/v2/license/infer` is the one call that is not a listing. Its shape is the official
SDK's (MyPureCloud/platform-client-sdk-python, build/docs/LicenseApi.md, `post_license_infer`;
facts sheet [S34]): the body is a JSON array of role ids, the answer a JSON array of licence ids
(`["cloudCX2", "gcSTAupgrade"]`), and the SDK lists no permission for it.

Every failure is a `GenesysError` with a one-line message safe to show a user. The client
secret and the access token never appear in a message, a log line or a repr.
"""

from __future__ import annotations

import base64
import difflib
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from bot.errors import BotError

if TYPE_CHECKING:  # `requests` is imported when a call is made: not by every CLI start-up
    import requests

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
"""Retries of a call answered 429 or 5xx, or whose connection dropped (at most four calls)."""
MAX_WAIT = 60.0
"""Longest wait before a retry, in seconds; a longer `Retry-After` is cut to this."""
DEFAULT_WAIT = 1.0
"""Wait after a 429 without a usable `Retry-After`."""
BACKOFF = 1.0
"""First wait after a 5xx or a dropped connection; each further retry waits twice as long."""
TIMEOUT = 30.0

ROLE_VIEW = "authorization:role:view"
GRANT_VIEW = "authorization:grant:view"
GROUP_VIEW = "directory:group:view"
NO_PERMISSION_LISTED = None
"""For endpoints the SDK documents as "Requires no permissions" (`license/infer`)."""

LICENCE_INFER = "/api/v2/license/infer"


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


class NotFoundError(UnexpectedResponseError):
    """The host does not know the path (HTTP 404): an endpoint absent in this org or region."""


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


def new_session() -> requests.Session:
    """A `requests` session (imported here, so that loading this module stays cheap)."""
    import requests

    return requests.Session()


@dataclass
class GenesysClient:
    """Read-only Platform API calls for one org (one OAuth client, one region)."""

    hosts: Hosts
    credentials: Credentials = field(repr=False)
    session: requests.Session = field(default_factory=new_session, repr=False)
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
        token = _json_object(response, host).get("access_token")
        if not isinstance(token, str) or not token:
            raise UnexpectedResponseError(f"{host} answered the login without an access token")
        self._token = SecretStr(token)

    # -- calls -------------------------------------------------------------------------------

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, permission: str
    ) -> dict[str, Any]:
        """`GET path` with the bearer token; `permission` is named if the answer is 403."""
        response = self._call("GET", path, permission, params=params)
        return _json_object(response, _host(response.url or self.hosts.api_url))

    def _call(
        self, method: str, path: str, permission: str | None, **kwargs: Any
    ) -> requests.Response:
        """One API call with the bearer token (one fresh login on 401); 200 or an error."""
        if self._token is None:
            self.login()
        url = f"{self.hosts.api_url}{path}"
        refreshed = False
        while True:
            assert self._token is not None
            response = self._send(
                method,
                url,
                headers={"Authorization": f"Bearer {self._token.get_secret_value()}"},
                **kwargs,
            )
            if response.status_code == 401 and not refreshed:
                logger.info("access token refused for %s; logging in again", path)
                refreshed = True
                self.login()
                continue
            return self._checked(response, method, path, permission)

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
        """Members of a group: `GET /api/v2/groups/{groupId}/members` (each with its `state`)."""
        return self.pages(
            f"/api/v2/groups/{group_id}/members", permission=GROUP_VIEW, what="group members"
        )

    def infer_licences(self, role_ids: Sequence[str]) -> tuple[str, ...]:
        """The licence ids Genesys infers for a set of roles: `POST /api/v2/license/infer`.

        Body and answer are bare JSON arrays (role ids in, licence ids out), as the official
        SDK's `LicenseApi.post_license_infer` documents; ask with one role id to learn what
        that role alone implies.
        """
        response = self._call("POST", LICENCE_INFER, NO_PERMISSION_LISTED, json=list(role_ids))
        host = _host(response.url or self.hosts.api_url)
        body = _json(response, host)
        if not isinstance(body, list) or not all(isinstance(item, str) for item in body):
            raise UnexpectedResponseError(
                f"{host} answered {LICENCE_INFER} without a list of licence ids"
            )
        return tuple(body)

    # -- plumbing ----------------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request, retried (bounded) after a 429, a 5xx or a dropped connection.

        After the last retry a 429 raises `RateLimitedError`, a dropped connection
        `NetworkError`, and a 5xx answer is returned for `_checked` to report.
        """
        import requests

        host = _host(url)
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.Timeout:
                raise NetworkError(f"{host} did not answer within {self.timeout:g} s") from None
            except requests.ConnectionError:
                if last:
                    raise NetworkError(
                        f"could not reach {host} (the connection failed {attempt + 1} times): "
                        "check the region or URLs and the network"
                    ) from None
                wait = _backoff(attempt)
                logger.info("connection to %s failed; retrying in %.1f s", host, wait)
                self.sleep(wait)
                continue
            except requests.RequestException:
                raise NetworkError(
                    f"could not reach {host}: check the region or URLs and the network"
                ) from None
            status = response.status_code
            if status != 429 and status < 500:
                return response
            if last:
                if status == 429:
                    raise RateLimitedError(
                        f"{host} is still rate limiting (HTTP 429) after {self.max_retries} "
                        "retries; try again in a few minutes"
                    )
                return response
            if status == 429:
                wait = _retry_after(response, DEFAULT_WAIT)
                logger.info("%s is rate limiting (429); waiting %.1f s", host, wait)
            else:
                wait = _retry_after(response, _backoff(attempt))
                logger.info("%s answered HTTP %d; retrying in %.1f s", host, status, wait)
            self.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _checked(
        self, response: requests.Response, method: str, path: str, permission: str | None
    ) -> requests.Response:
        """The response if it is a 200; otherwise the one-line error its status means."""
        host = _host(response.url or self.hosts.api_url)
        status = response.status_code
        verb = "read" if method == "GET" else f"call {method}"
        if status == 200:
            return response
        if status == 401:
            raise BadCredentialsError(
                f"{host} refused a freshly issued access token for {path} (HTTP 401): "
                f"check {self.credentials.source}"
            )
        if status == 403:
            fix = (
                f"give its role the {permission} permission"
                if permission
                else "the official SDK lists no permission for it"
            )
            raise MissingPermissionError(
                f"the OAuth client may not {verb} {path} (HTTP 403): {fix}"
            )
        if status == 404:
            raise NotFoundError(f"{host} does not know {path} (HTTP 404)")
        if status >= 500:
            raise UnexpectedResponseError(
                f"{host} answered {path} with HTTP {status} after {self.max_retries} retries; "
                "try again later"
            )
        raise UnexpectedResponseError(f"{host} answered {path} with HTTP {status}")


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _json(response: requests.Response, host: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise UnexpectedResponseError(f"{host} answered with something other than JSON") from None


def _json_object(response: requests.Response, host: str) -> dict[str, Any]:
    body = _json(response, host)
    if not isinstance(body, dict):
        raise UnexpectedResponseError(f"{host} answered with JSON that is not an object")
    return body


def _backoff(attempt: int) -> float:
    """Seconds to wait before retry `attempt + 1`: 1, 2, 4, ... capped at `MAX_WAIT`."""
    return min(BACKOFF * 2.0**attempt, MAX_WAIT)


def _retry_after(response: requests.Response, default: float) -> float:
    """Seconds to wait from `Retry-After` (seconds form), capped; `default` when absent."""
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return default
    return min(max(seconds, 0.0), MAX_WAIT)
