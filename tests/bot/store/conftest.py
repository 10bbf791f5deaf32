"""The store on each backend: every test that takes `make_store` runs on sqlite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.store import Backend, Store, open_store

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)

MakeStore = Callable[..., Store]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    name: Backend = request.param
    return name


@pytest.fixture
def target(backend: Backend, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """One empty database of the backend under test: a sqlite file, or a PostgreSQL database."""
    if backend == "sqlite":
        return str(tmp_path / "tokenbot.db")
    url: str = request.getfixturevalue("pg_database")
    return url


@pytest.fixture
def make_store(target: str) -> Iterator[MakeStore]:
    """Open stores on the test's database (as many as a test likes: processes, hosts)."""
    opened: list[Store] = []

    def make(**options: Any) -> Store:
        store = open_store(target, **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: MakeStore) -> Store:
    return make_store(clock=lambda: NOW)
