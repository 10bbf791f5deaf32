"""Fixtures for every room of the shell: the shipped knowledge, the real store in memory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from bot.deps import Deps, load_knowledge
from bot.store import SqliteStore, Store
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index

if TYPE_CHECKING:
    from tests.bot.postgres import Server


class Clock:
    """A clock the test sets or moves by hand (for a `Store(clock=...)`)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(scope="session")
def knowledge() -> tuple[KnowledgeBase, Index]:
    return load_knowledge()


@pytest.fixture
def store() -> Iterator[Store]:
    with SqliteStore(":memory:") as opened:
        yield opened


@pytest.fixture
def deps(knowledge: tuple[KnowledgeBase, Index], store: Store) -> Deps:
    kb, index = knowledge
    return Deps(kb=kb, index=index, store=store)


@pytest.fixture(autouse=True)
def _no_oauth_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt silently turns on OAuth when these are set; keep the tests single-workspace."""
    for name in (
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The test PostgreSQL server's admin URL (skips locally, fails under CI, when absent)."""
    from tests.bot.postgres import server_url

    return server_url()


@pytest.fixture
def pg_database(pg_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, as a `postgresql://` URL."""
    from tests.bot.postgres import fresh_database

    with fresh_database(pg_url) as url:
        yield url


@pytest.fixture(scope="session")
def pg_server(pg_url: str) -> Server:
    """The test server itself, to take it away and bring it back mid-test."""
    from tests.bot.postgres import server_control

    return server_control()
