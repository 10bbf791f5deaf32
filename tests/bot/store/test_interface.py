"""One interface, two backends: a method on one backend and not on the other fails here.

A method added to the sqlite store (a new feature's) must be declared on `Store` and written
for PostgreSQL too, with the same parameters, before these tests pass again.
"""

from __future__ import annotations

import inspect
import sys

import pytest

from bot.errors import StorageError
from bot.store import COPIED_TABLES, SqliteStore, Store, open_store
from bot.store.base import migrations
from bot.store.postgres import PostgresStore, tables_at

BACKENDS = (SqliteStore, PostgresStore)


def public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


DECLARED = public(Store) | set(Store.__annotations__)
"""Methods, properties and the attributes every store has (`backend`, `path`, ...)."""


class TestInterface:
    @pytest.mark.parametrize("backend", BACKENDS, ids=lambda cls: cls.backend)
    def test_every_public_name_of_a_backend_is_declared_on_the_interface(
        self, backend: type[Store]
    ) -> None:
        assert public(backend) - DECLARED == set()

    @pytest.mark.parametrize("backend", BACKENDS, ids=lambda cls: cls.backend)
    def test_every_method_of_the_interface_is_written(self, backend: type[Store]) -> None:
        assert getattr(backend, "__abstractmethods__", frozenset()) == frozenset()

    @pytest.mark.parametrize("backend", BACKENDS, ids=lambda cls: cls.backend)
    def test_every_method_takes_the_interfaces_parameters(self, backend: type[Store]) -> None:
        for name in sorted(public(Store)):
            declared = inspect.getattr_static(Store, name)
            if not callable(declared):
                continue
            wanted = inspect.signature(getattr(Store, name))
            assert inspect.signature(getattr(backend, name)) == wanted, name


class TestSchemasAgree:
    """The SQL is written per dialect; these keep the two dialects' schemas in step."""

    def test_both_dialects_have_the_same_migration_versions(self) -> None:
        assert [v for v, _ in migrations("sqlite")] == [v for v, _ in migrations("postgresql")]

    def test_both_dialects_have_the_same_tables_besides_the_version_table(self) -> None:
        from bot.store.sqlite import tables_at as sqlite_tables

        latest = len(migrations("postgresql"))
        assert tables_at(latest) - {"tokenbot_schema"} == sqlite_tables(latest)

    def test_the_copy_knows_every_table(self) -> None:
        from bot.store.sqlite import tables_at as sqlite_tables

        assert set(COPIED_TABLES) == sqlite_tables(len(migrations("sqlite")))


class TestFactory:
    def test_a_path_opens_sqlite(self) -> None:
        with open_store(":memory:") as store:
            assert store.backend == "sqlite"

    def test_postgresql_without_its_driver_is_one_clear_line(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setitem(sys.modules, "psycopg", None)
        monkeypatch.delitem(sys.modules, "bot.store.postgres")
        with pytest.raises(StorageError, match=r"pip install 'tokenbot\[postgresql\]'"):
            open_store("postgresql://tokenbot@127.0.0.1:1/tokenbot")
