"""The orgs file (TOKENBOT_ORGS): validated, errors naming file and field, secrets from the env."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.genesys.orgs import OrgsError, load_orgs, orgs_path_from_env
from bot.settings import Settings
from calculators.ratecard import Licence
from tests.bot.genesys import fake_genesys as org


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orgs.yml"
    path.write_text(text, encoding="utf-8")
    return path


class TestLoading:
    def test_a_region_gives_the_api_and_login_hosts(self, tmp_path: Path) -> None:
        acme = load_orgs(write(tmp_path, org.ORGS_YAML)).get("acme")
        assert (acme.hosts.api_url, acme.hosts.login_url) == (
            "https://api.mypurecloud.ie",
            "https://login.mypurecloud.ie",
        )
        assert acme.licence is Licence.NAMED

    def test_explicit_urls_replace_the_region(self, tmp_path: Path) -> None:
        text = (
            "orgs:\n  - name: staging\n    api_url: http://127.0.0.1:9000/\n"
            "    login_url: http://127.0.0.1:9001\n    client_id_env: A\n    client_secret_env: B\n"
            "    licence: concurrent\n"
        )
        staging = load_orgs(write(tmp_path, text)).get("staging")
        assert staging.hosts.api_url == "http://127.0.0.1:9000"
        assert staging.licence is Licence.CONCURRENT

    def test_the_only_org_is_used_when_none_is_named(self, tmp_path: Path) -> None:
        assert load_orgs(write(tmp_path, org.ORGS_YAML)).get(None).name == "acme"

    def test_settings_carry_the_orgs_path(self, tmp_path: Path) -> None:
        env = {"SLACK_BOT_TOKEN": "xoxb-1", "TOKENBOT_ORGS": str(tmp_path / "orgs.yml")}
        assert Settings.from_env(env).orgs_path == tmp_path / "orgs.yml"
        assert orgs_path_from_env({}) is None


class TestErrors:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (
                org.ORGS_YAML.replace("eu-west-1", "eu-west1"),
                "orgs[0].region: unknown Genesys Cloud region 'eu-west1' — did you mean eu-west-1?",
            ),
            (org.ORGS_YAML + "    client_secret: hunter2\n", "orgs[0].client_secret: unknown key"),
            (
                org.ORGS_YAML.replace("    client_secret_env: ACME_CLIENT_SECRET\n", ""),
                "orgs[0].client_secret_env: Field required",
            ),
            (
                org.ORGS_YAML + "    api_url: https://api.example.com\n",
                "orgs[0]: give either region or api_url + login_url, not both",
            ),
            ("orgs: [\n", "not valid YAML at line"),
            ("- acme\n", "expected a mapping with a list under 'orgs:'"),
        ],
    )
    def test_names_the_file_and_the_field(self, tmp_path: Path, text: str, expected: str) -> None:
        path = write(tmp_path, text)
        with pytest.raises(OrgsError) as caught:
            load_orgs(path)
        assert caught.value.message.startswith(f"{path}: ")
        assert expected in caught.value.message

    def test_unset_tokenbot_orgs_says_what_to_set(self) -> None:
        with pytest.raises(OrgsError, match="TOKENBOT_ORGS is not set"):
            load_orgs(None)

    def test_a_missing_file_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(OrgsError, match="cannot read the orgs file"):
            load_orgs(tmp_path / "nope.yml")

    def test_an_unknown_org_says_did_you_mean(self, tmp_path: Path) -> None:
        with pytest.raises(OrgsError, match="unknown org 'acme2' — did you mean acme"):
            load_orgs(write(tmp_path, org.ORGS_YAML)).get("acme2")


class TestCredentials:
    def test_come_from_the_variables_the_file_names(self, tmp_path: Path) -> None:
        credentials = load_orgs(write(tmp_path, org.ORGS_YAML)).get("acme").credentials(org.ENV)
        assert credentials.client_id == org.CLIENT_ID
        assert credentials.client_secret.get_secret_value() == org.CLIENT_SECRET
        assert org.CLIENT_SECRET not in repr(credentials)

    def test_a_missing_variable_is_named_never_a_value(self, tmp_path: Path) -> None:
        acme = load_orgs(write(tmp_path, org.ORGS_YAML)).get("acme")
        with pytest.raises(OrgsError) as caught:
            acme.credentials({"ACME_CLIENT_ID": org.CLIENT_ID})
        assert caught.value.message == (
            "ACME_CLIENT_SECRET is not set: org 'acme' reads its OAuth client secret from it"
        )
