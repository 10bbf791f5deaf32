"""The Platform API client: login, paging, retries (429, 5xx, dropped connections), 401 refresh,
`license/infer`, one-line errors."""

from __future__ import annotations

import logging

import pytest
import requests
import responses
from pydantic import SecretStr

from bot.genesys.client import (
    MAX_RETRIES,
    REGIONS,
    BadCredentialsError,
    Credentials,
    GenesysClient,
    Hosts,
    MissingPermissionError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    UnexpectedResponseError,
    UnknownRegionError,
)
from tests.bot.genesys import fake_genesys as org

ROLES = f"{org.API}/api/v2/authorization/roles"


@pytest.fixture
def client(slept: list[float]) -> GenesysClient:
    return GenesysClient(
        hosts=Hosts.for_region(org.REGION),
        credentials=Credentials(
            org.CLIENT_ID, SecretStr(org.CLIENT_SECRET), "ACME_CLIENT_ID and ACME_CLIENT_SECRET"
        ),
        sleep=slept.append,
    )


def one_role_page(token: str = org.ACCESS_TOKEN) -> dict[str, object]:
    return org.listing(org.ROLE_PAGES[0], 1, 1)


class TestRegions:
    @pytest.mark.parametrize("region", list(REGIONS))
    def test_every_region_of_the_facts_sheet_has_api_and_login_hosts(self, region: str) -> None:
        hosts = Hosts.for_region(region)
        assert hosts.api_url.startswith("https://api.")
        assert hosts.login_url == hosts.api_url.replace("https://api.", "https://login.")

    def test_frankfurt_is_mypurecloud_de(self) -> None:
        assert Hosts.for_region("eu-central-1") == Hosts(
            "https://api.mypurecloud.de", "https://login.mypurecloud.de"
        )

    def test_unknown_region_says_did_you_mean(self) -> None:
        with pytest.raises(UnknownRegionError, match="did you mean eu-west-1"):
            Hosts.for_region("eu-west1")


class TestLogin:
    def test_posts_client_credentials_with_basic_auth(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        client.login()
        sent = mock.calls[0].request
        assert sent.headers["Authorization"].startswith("Basic ")
        assert sent.body == "grant_type=client_credentials"

    @pytest.mark.parametrize("status", [400, 401])
    def test_refused_credentials_name_the_variables_in_one_line(
        self, client: GenesysClient, mock: responses.RequestsMock, status: int
    ) -> None:
        org.add_login(mock, status=status)
        with pytest.raises(BadCredentialsError) as caught:
            client.login()
        message = caught.value.message
        assert "ACME_CLIENT_ID and ACME_CLIENT_SECRET" in message
        assert "login.mypurecloud.ie" in message
        assert "\n" not in message

    def test_unreachable_host_is_a_network_error(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        mock.add(responses.POST, org.LOGIN, body=requests.ConnectionError("refused"))
        with pytest.raises(NetworkError, match=r"could not reach login\.mypurecloud\.ie"):
            client.login()

    def test_a_login_answer_without_a_token_is_unexpected(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        mock.add(responses.POST, org.LOGIN, json={"token_type": "bearer"})
        with pytest.raises(UnexpectedResponseError, match="without an access token"):
            client.login()


class TestPaging:
    def test_follows_page_count_to_the_last_page(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        org.add_roles(mock)
        names = [role["name"] for role in client.roles()]
        assert names == [r["name"] for page in org.ROLE_PAGES for r in page]
        pages = [c.request.params["pageNumber"] for c in mock.calls if "roles" in c.request.url]
        assert pages == ["1", "2"]

    def test_reports_progress_for_listings_of_several_pages(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        seen: list[str] = []
        client.progress = seen.append
        org.add_login(mock)
        org.add_roles(mock)
        list(client.roles())
        assert seen == ["roles: page 1 of 2", "roles: page 2 of 2"]

    def test_sends_the_bearer_token(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, json=one_role_page(), match=[org.bearer(org.ACCESS_TOKEN)])
        assert len(list(client.roles())) == 3


class TestRateLimits:
    def test_waits_for_retry_after_then_retries(
        self, client: GenesysClient, mock: responses.RequestsMock, slept: list[float]
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, status=429, headers={"Retry-After": "7"})
        mock.add(responses.GET, ROLES, json=one_role_page())
        assert len(list(client.roles())) == 3
        assert slept == [7.0]

    def test_gives_up_after_the_bounded_retries_in_one_line(
        self, client: GenesysClient, mock: responses.RequestsMock, slept: list[float]
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, status=429, headers={"Retry-After": "2"})
        with pytest.raises(RateLimitedError, match=r"still rate limiting \(HTTP 429\)"):
            list(client.roles())
        assert slept == [2.0] * MAX_RETRIES
        assert len(mock.calls) == 1 + MAX_RETRIES + 1  # login, then every attempt

    def test_an_enormous_retry_after_is_capped(
        self, client: GenesysClient, mock: responses.RequestsMock, slept: list[float]
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, status=429, headers={"Retry-After": "86400"})
        mock.add(responses.GET, ROLES, json=one_role_page())
        list(client.roles())
        assert slept == [60.0]


class TestServerErrors:
    def test_a_503_then_success_is_retried_after_a_backoff(
        self, client: GenesysClient, mock: responses.RequestsMock, slept: list[float]
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, status=503, body="<html>busy</html>")
        mock.add(responses.GET, ROLES, json=one_role_page())
        assert len(list(client.roles())) == 3
        assert slept == [1.0]

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_every_5xx_is_transient(
        self, client: GenesysClient, mock: responses.RequestsMock, status: int
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, status=status)
        mock.add(responses.GET, ROLES, json=one_role_page())
        assert len(list(client.roles())) == 3

    def test_the_backoff_doubles_and_is_bounded(
        self, client: GenesysClient, mock: responses.RequestsMock, slept: list[float]
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, status=502)
        with pytest.raises(UnexpectedResponseError, match="HTTP 502 after 3 retries"):
            list(client.roles())
        assert slept == [1.0, 2.0, 4.0]
        assert len(mock.calls) == 1 + MAX_RETRIES + 1

    def test_a_5xx_retry_after_is_honoured(
        self, client: GenesysClient, mock: responses.RequestsMock, slept: list[float]
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, status=503, headers={"Retry-After": "5"})
        mock.add(responses.GET, ROLES, json=one_role_page())
        list(client.roles())
        assert slept == [5.0]

    def test_a_reset_connection_is_retried(
        self, client: GenesysClient, mock: responses.RequestsMock, slept: list[float]
    ) -> None:
        org.add_login(mock)
        reset = requests.ConnectionError(ConnectionResetError(104, "Connection reset by peer"))
        mock.add(responses.GET, ROLES, body=reset)
        mock.add(responses.GET, ROLES, json=one_role_page())
        assert len(list(client.roles())) == 3
        assert slept == [1.0]

    def test_a_connection_that_keeps_failing_is_a_network_error(
        self, client: GenesysClient, mock: responses.RequestsMock, slept: list[float]
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, body=requests.ConnectionError("reset"))
        with pytest.raises(NetworkError, match="failed 4 times"):
            list(client.roles())
        assert slept == [1.0, 2.0, 4.0]

    def test_a_timeout_is_not_retried(
        self, client: GenesysClient, mock: responses.RequestsMock, slept: list[float]
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, body=requests.ReadTimeout("slow"))
        with pytest.raises(NetworkError, match="did not answer within 30 s"):
            list(client.roles())
        assert slept == []

    def test_the_login_is_retried_too(
        self, client: GenesysClient, mock: responses.RequestsMock, slept: list[float]
    ) -> None:
        mock.add(responses.POST, org.LOGIN, status=503)
        org.add_login(mock)
        client.login()
        assert slept == [1.0]


class TestLicenceInference:
    def test_posts_a_json_array_of_role_ids_and_reads_an_array_of_licence_ids(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        org.add_inference(mock)
        assert client.infer_licences(["r-master"]) == ("cloudCX2", "gc2WEMupgrade")
        assert org.infer_calls(mock) == [["r-master"]]

    def test_an_empty_answer_is_no_licence(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        org.add_inference(mock)
        assert client.infer_licences(["r-summary"]) == ()

    def test_refused_is_a_missing_permission_in_one_line(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        org.add_refused_inference(mock, 403)
        with pytest.raises(MissingPermissionError) as caught:
            client.infer_licences(["r-master"])
        assert caught.value.message == (
            "the OAuth client may not call POST /api/v2/license/infer (HTTP 403): the "
            "official SDK lists no permission for it"
        )

    def test_absent_is_not_found(self, client: GenesysClient, mock: responses.RequestsMock) -> None:
        org.add_login(mock)
        org.add_refused_inference(mock, 404)
        with pytest.raises(NotFoundError, match=r"does not know /api/v2/license/infer"):
            client.infer_licences(["r-master"])

    @pytest.mark.parametrize("body", [{"licenses": ["gcSTAupgrade"]}, [1, 2], "gcSTAupgrade"])
    def test_an_answer_that_is_not_a_list_of_ids_is_unexpected(
        self, client: GenesysClient, mock: responses.RequestsMock, body: object
    ) -> None:
        org.add_login(mock)
        mock.add(responses.POST, org.INFER, json=body)
        with pytest.raises(UnexpectedResponseError, match="without a list of licence ids"):
            client.infer_licences(["r-master"])


class TestExpiredToken:
    def test_logs_in_again_once_and_retries(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        org.add_login(mock, token=org.FRESH_TOKEN)
        mock.add(responses.GET, ROLES, status=401, match=[org.bearer(org.ACCESS_TOKEN)])
        mock.add(responses.GET, ROLES, json=one_role_page(), match=[org.bearer(org.FRESH_TOKEN)])
        assert len(list(client.roles())) == 3
        logins = [c for c in mock.calls if c.request.url == org.LOGIN]
        assert len(logins) == 2

    def test_a_second_401_is_reported_not_retried_forever(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, status=401)
        with pytest.raises(BadCredentialsError, match="HTTP 401"):
            list(client.roles())
        assert len(mock.calls) == 4  # login, 401, login again, 401


class TestErrors:
    @pytest.mark.parametrize(
        ("call", "url", "permission"),
        [
            ("roles", ROLES, "authorization:role:view"),
            (
                "grants",
                f"{org.API}/api/v2/authorization/roles/r1/subjectgrants",
                "authorization:role:view and authorization:grant:view",
            ),
            ("members", f"{org.API}/api/v2/groups/g1/members", "directory:group:view"),
        ],
    )
    def test_403_names_the_permission_the_client_needs(
        self,
        client: GenesysClient,
        mock: responses.RequestsMock,
        call: str,
        url: str,
        permission: str,
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, url, status=403, json={"message": "Missing permission"})
        fetch = {
            "roles": client.roles,
            "grants": lambda: client.subject_grants("r1"),
            "members": lambda: client.group_members("g1"),
        }[call]
        with pytest.raises(MissingPermissionError) as caught:
            list(fetch())
        assert f"give its role the {permission} permission" in caught.value.message

    def test_a_server_error_that_outlasts_the_retries_is_one_clear_line(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, status=503, body="<html>busy</html>")
        with pytest.raises(UnexpectedResponseError) as caught:
            list(client.roles())
        assert caught.value.message == (
            "api.mypurecloud.ie answered /api/v2/authorization/roles with HTTP 503 after "
            "3 retries; try again later"
        )

    def test_a_client_error_is_not_retried(
        self, client: GenesysClient, mock: responses.RequestsMock, slept: list[float]
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, status=400, json={"message": "bad request"})
        with pytest.raises(UnexpectedResponseError, match=r"with HTTP 400$"):
            list(client.roles())
        assert slept == []

    def test_a_body_that_is_not_json_is_unexpected(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        mock.add(responses.GET, ROLES, body="<html>proxy login</html>")
        with pytest.raises(UnexpectedResponseError, match="other than JSON"):
            list(client.roles())


class TestSecrets:
    def test_repr_shows_neither_secret_nor_token(
        self, client: GenesysClient, mock: responses.RequestsMock
    ) -> None:
        org.add_login(mock)
        client.login()
        shown = repr(client) + repr(client.credentials)
        assert org.CLIENT_SECRET not in shown
        assert org.ACCESS_TOKEN not in shown

    def test_no_log_line_carries_a_secret(
        self,
        client: GenesysClient,
        mock: responses.RequestsMock,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        org.add_login(mock)
        org.add_login(mock, token=org.FRESH_TOKEN)
        mock.add(responses.GET, ROLES, status=401)
        mock.add(responses.GET, ROLES, status=429, headers={"Retry-After": "0"})
        mock.add(responses.GET, ROLES, json=one_role_page())
        list(client.roles())
        assert caplog.records, "expected the client to log its steps"
        for secret in (org.CLIENT_SECRET, org.ACCESS_TOKEN, org.FRESH_TOKEN):
            assert secret not in caplog.text
