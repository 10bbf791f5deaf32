"""A real PostgreSQL server for the tests: where it is, a fresh database per test, and an outage.

`.ci/run` (or a developer, with `scripts/pg start DIR`) starts a throwaway server and exports
`TOKENBOT_TEST_PG_URL` (and `TOKENBOT_TEST_PG_DIR`, its folder, so that a test can stop and start
it). Without them the PostgreSQL tests skip, saying so; under CI (`CI=true`) they fail instead,
so that a missing server can never pass for a green run.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parents[2]
URL_VARIABLE = "TOKENBOT_TEST_PG_URL"
DIR_VARIABLE = "TOKENBOT_TEST_PG_DIR"


def _missing(what: str) -> None:
    reason = (
        f"{what} is not set: the PostgreSQL tests need a server "
        "(`scripts/pg start DIR --fast` prints its URL; .ci/run starts one)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true, but {reason}", pytrace=False)
    pytest.skip(reason)


def server_url() -> str:
    """The admin URL of the test server; skips (or, under CI, fails) when none is given."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if not url:
        _missing(URL_VARIABLE)
    return url


def with_database(url: str, name: str) -> str:
    params = conninfo_to_dict(url)
    params["dbname"] = name
    return make_conninfo("", **params)


def as_url(conninfo: str) -> str:
    """A libpq key=value string as a postgresql:// URL (what TOKENBOT_DB takes)."""
    params = conninfo_to_dict(conninfo)
    return (
        f"postgresql://{params['user']}:{params['password']}@{params['host']}:{params['port']}"
        f"/{params['dbname']}"
    )


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new empty database on the server, as a URL; dropped afterwards (whoever is on it)."""
    name = f"tokenbot_test_{secrets.token_hex(6)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield as_url(with_database(url, name))
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Server:
    """The test server's folder, to stop it and start it again (`scripts/pg`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _pg(self, action: str) -> None:
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "pg"), action, str(self.folder)],
            check=True,
            capture_output=True,
            timeout=90,
        )

    def stop(self) -> None:
        self._pg("stop")

    def start(self) -> None:
        self._pg("resume")

    @contextmanager
    def down(self) -> Iterator[None]:
        """The server stopped for the duration; started again however the block ends."""
        self.stop()
        try:
            yield
        finally:
            self.start()


def server_control() -> Server:
    folder = os.environ.get(DIR_VARIABLE, "").strip()
    if not folder:
        _missing(DIR_VARIABLE)
    return Server(Path(folder))
