"""The Genesys Cloud orgs the audit may read, by name, from the YAML file named by TOKENBOT_ORGS.

```yaml
orgs:
  - name: acme
    region: eu-west-1              # or api_url + login_url (a proxy, staging or a test server)
    client_id_env: ACME_CLIENT_ID
    client_secret_env: ACME_CLIENT_SECRET
    licence: named                 # optional: named (default) or concurrent
```

The file names the environment variables that hold each OAuth client's id and secret; the
secrets themselves never go in the file. Errors name the file, the field or the variable, and
never a secret's value.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.errors import BotError
from bot.genesys.client import Credentials, GenesysError, Hosts
from calculators.ratecard import Licence

ORGS_VARIABLE = "TOKENBOT_ORGS"

OrgName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
HttpUrl = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://[^\s/]+")]


class OrgsError(BotError):
    """The orgs file, an org's name or an org's credentials cannot be used."""


class Org(BaseModel):
    """One org: where it lives and which environment variables hold its OAuth client."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: OrgName
    region: str | None = None
    api_url: HttpUrl | None = None
    login_url: HttpUrl | None = None
    client_id_env: EnvName
    client_secret_env: EnvName
    licence: Licence = Licence.NAMED

    @field_validator("region")
    @classmethod
    def _known_region(cls, region: str | None) -> str | None:
        if region is not None:
            try:
                Hosts.for_region(region)
            except GenesysError as exc:
                raise ValueError(exc.message) from None
        return region

    @model_validator(mode="after")
    def _one_way_to_the_hosts(self) -> Org:
        urls = (self.api_url, self.login_url)
        if self.region is not None and any(urls):
            raise ValueError("give either region or api_url + login_url, not both")
        if self.region is None and not all(urls):
            raise ValueError("give region (e.g. eu-west-1), or both api_url and login_url")
        return self

    @property
    def hosts(self) -> Hosts:
        if self.region is not None:
            return Hosts.for_region(self.region)
        assert self.api_url is not None
        assert self.login_url is not None
        return Hosts(api_url=self.api_url, login_url=self.login_url)

    def credentials(self, env: Mapping[str, str]) -> Credentials:
        """The OAuth client id and secret from the environment; names a missing variable."""
        values: list[str] = []
        for variable in (self.client_id_env, self.client_secret_env):
            value = env.get(variable, "").strip()
            if not value:
                raise OrgsError(
                    f"{variable} is not set: org '{self.name}' reads its OAuth client "
                    f"{'id' if variable == self.client_id_env else 'secret'} from it"
                )
            values.append(value)
        client_id, secret = values
        return Credentials(
            client_id=client_id,
            client_secret=SecretStr(secret),
            source=f"{self.client_id_env} and {self.client_secret_env}",
        )


class Orgs(BaseModel):
    """Every configured org, by name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    orgs: tuple[Org, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> Orgs:
        names = [org.name for org in self.orgs]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"org '{name}' is defined twice")
        return self

    @property
    def names(self) -> list[str]:
        return [org.name for org in self.orgs]

    def get(self, name: str | None) -> Org:
        """The org called `name`; the only org when `name` is None and there is just one."""
        if name is None:
            if len(self.orgs) == 1:
                return self.orgs[0]
            raise OrgsError(f"which org? add org=NAME (orgs: {', '.join(self.names)})")
        wanted = name.strip().lower()
        for org in self.orgs:
            if org.name == wanted:
                return org
        close = difflib.get_close_matches(wanted, self.names, n=1, cutoff=0.6)
        hint = f" — did you mean {close[0]}?" if close else ""
        raise OrgsError(f"unknown org '{name}'{hint} (orgs: {', '.join(self.names)})")


def orgs_path_from_env(env: Mapping[str, str]) -> Path | None:
    """The orgs file named by TOKENBOT_ORGS, or None when it is not set."""
    value = env.get(ORGS_VARIABLE, "").strip()
    return Path(value) if value else None


def load_orgs(path: Path | None) -> Orgs:
    """Read and validate the orgs file; every error names the file and the field."""
    if path is None:
        raise OrgsError(
            f"{ORGS_VARIABLE} is not set: point it at a YAML file listing the orgs to audit "
            "(see README, 'Auditing an org')"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OrgsError(f"{path}: cannot read the orgs file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise OrgsError(f"{path}: not valid YAML{where}") from None
    try:
        return Orgs.model_validate(data)
    except ValidationError as exc:
        raise OrgsError(f"{path}: {_first_problem(exc, data)}") from None


def _first_problem(exc: ValidationError, data: Any) -> str:
    """`orgs[0].region: unknown Genesys Cloud region ...` for the first validation error."""
    error = exc.errors(include_url=False, include_input=False)[0]
    parts: list[str] = []
    for item in error["loc"]:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(f".{item}" if parts else str(item))
    where = "".join(parts) or "top level"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (expected name, region or api_url + login_url, "
        message += "client_id_env, client_secret_env, licence)"
    elif error["type"] == "model_type" and not isinstance(data, dict):
        message = "expected a mapping with a list under 'orgs:'"
    return f"{where}: {message}"
