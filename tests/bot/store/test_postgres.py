"""What only the PostgreSQL store does: the advisory-locked migration, the server going away.

Every fault is a real one: another connection holding the migration lock or a row lock, a
database set read-only, another application's tables, and the test server stopped and started
again (`pg_server`). What every store does is in `test_contract.py`, which runs here too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from bot.errors import StorageBusyError, StorageError, StorageUnavailableError
from bot.store import Store, open_store
from bot.store import postgres as pg
from bot.store.base import migrations
from bot.store.postgres import MIGRATION_LOCK, PostgresStore
from tests.bot.postgres import Server
from tests.bot.store.conftest import MakeStore

LATEST = len(migrations("postgresql"))
NOBODY = "postgresql://tokenbot:not-this-password@127.0.0.1:1/tokenbot"
"""A URL where no server listens (port 1)."""


def _ask(store: Store) -> int:
    return store.record_question(
        text="why 45?", entry_id=None, score=0.1, user_id="U1", channel_id="C"
    )


@pytest.fixture
def url(pg_database: str) -> str:
    return pg_database


@pytest.fixture
def make_store(url: str) -> Iterator[MakeStore]:
    opened: list[Store] = []

    def make(**options: Any) -> Store:
        store = open_store(url, **options)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def _sql(url: str, *statements: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows: list[tuple[Any, ...]] = []
        for statement in statements:
            cursor = conn.execute(statement)  # type: ignore[call-overload]
            if cursor.description:
                rows = cursor.fetchall()
        return rows


class TestMigrations:
    def test_versions_are_recorded_once_each(self, make_store: MakeStore, url: str) -> None:
        make_store()
        make_store()
        assert _sql(url, "SELECT version FROM tokenbot_schema ORDER BY version") == [
            (v,) for v in range(1, LATEST + 1)
        ]

    def test_a_starting_server_waits_for_another_servers_migration(
        self, make_store: MakeStore, url: str
    ) -> None:
        holder = psycopg.connect(url)
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        opened: list[Store] = []
        opener = threading.Thread(target=lambda: opened.append(make_store()))
        opener.start()
        time.sleep(0.5)
        assert opened == []  # still waiting for the lock
        holder.rollback()
        holder.close()
        opener.join(10)
        assert [store.version for store in opened] == [LATEST]

    def test_servers_starting_together_on_a_fresh_database_all_start(
        self, make_store: MakeStore, url: str
    ) -> None:
        barrier = threading.Barrier(6)
        versions: list[int] = []

        def start() -> None:
            barrier.wait()
            versions.append(make_store().version)

        threads = [threading.Thread(target=start) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert versions == [LATEST] * 6
        assert _sql(url, "SELECT count(*) FROM tokenbot_schema") == [(LATEST,)]

    def test_a_failing_migration_leaves_nothing_behind(
        self, make_store: MakeStore, url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        make_store().close()
        broken = [
            *migrations("postgresql"),
            (LATEST + 1, "CREATE TABLE half_done (id INTEGER);\nSELECT no_such_function();"),
        ]
        monkeypatch.setattr(pg, "migrations", lambda dialect: broken)
        with pytest.raises(StorageError, match="no_such_function"):
            make_store()
        assert _sql(url, "SELECT max(version) FROM tokenbot_schema") == [(LATEST,)]
        assert _sql(url, "SELECT to_regclass('half_done') IS NULL") == [(True,)]


class TestNotOurDatabase:
    def test_another_applications_tables_are_refused_untouched(self, url: str) -> None:
        _sql(url, "CREATE TABLE customers (id INTEGER)", "INSERT INTO customers VALUES (1)")
        with pytest.raises(StorageError, match="not a tokenbot database") as raised:
            open_store(url)
        assert "customers" in raised.value.message
        assert _sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == [
            ("customers",)
        ]

    def test_a_newer_schema_is_refused(self, make_store: MakeStore, url: str) -> None:
        make_store().close()
        _sql(url, f"INSERT INTO tokenbot_schema (version) VALUES ({LATEST + 1})")
        with pytest.raises(StorageError, match="newer"):
            open_store(url)

    def test_a_missing_table_is_called_damaged(self, make_store: MakeStore, url: str) -> None:
        make_store().close()
        _sql(url, "DROP TABLE feedback")
        with pytest.raises(StorageError, match=r"damaged.*feedback"):
            open_store(url)

    def test_a_schema_of_its_own_is_enough(self, url: str) -> None:
        """In a shared database, tokenbot can live in its own schema (`search_path`)."""
        _sql(url, "CREATE TABLE customers (id INTEGER)", "CREATE SCHEMA tokenbot")
        with open_store(url + "?options=-csearch_path%3Dtokenbot") as store:
            assert store.version == LATEST
        assert _sql(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'tokenbot'") != [(0,)]


class TestUnreachable:
    def test_opening_names_the_server_without_the_password(self) -> None:
        started = time.monotonic()
        with pytest.raises(StorageError, match="cannot be reached") as raised:
            open_store(NOBODY)
        assert time.monotonic() - started < pg.CONNECT_TIMEOUT + 1
        assert "postgresql://tokenbot@127.0.0.1:1/tokenbot" in raised.value.message
        assert "not-this-password" not in raised.value.message

    def test_a_lazy_store_opens_and_fails_each_call_quickly(self) -> None:
        with open_store(NOBODY, lazy=True) as store:
            for _ in range(5):
                started = time.monotonic()
                with pytest.raises(StorageUnavailableError, match="cannot be reached"):
                    _ask(store)
                assert time.monotonic() - started < 1
            assert store.path == "postgresql://tokenbot@127.0.0.1:1/tokenbot"

    def test_a_malformed_url_is_one_line(self) -> None:
        with pytest.raises(StorageError, match="not a PostgreSQL URL"):
            open_store("postgresql://u:secret@h/db?nonsense=1")


class TestServerAway:
    """The test server stopped under a running store, then started again."""

    def test_calls_fail_fast_while_it_is_down_and_work_again_after(
        self, make_store: MakeStore, pg_server: Server
    ) -> None:
        store = make_store(busy_timeout_ms=500)
        before = _ask(store)
        with pg_server.down():
            for _ in range(3):
                started = time.monotonic()
                with pytest.raises(StorageUnavailableError, match="cannot be reached"):
                    _ask(store)
                with pytest.raises(StorageUnavailableError):
                    store.ping()
                assert time.monotonic() - started < 2
        time.sleep(pg.RECONNECT_PAUSE)
        after = _ask(store)  # the same store: its connections came back by themselves
        assert after > before
        assert [q.id for q in store.questions()] == [before, after]

    def test_the_first_call_after_a_restart_works(
        self, make_store: MakeStore, pg_server: Server
    ) -> None:
        """Connections the restart cut are noticed before use, not by a failing request."""
        store = make_store()
        stores_idle = [_ask(store) for _ in range(3)]
        pg_server.stop()
        pg_server.start()
        assert _ask(store) > max(stores_idle)

    def test_the_outage_is_logged_once_and_so_is_the_recovery(
        self, make_store: MakeStore, pg_server: Server, caplog: pytest.LogCaptureFixture
    ) -> None:
        store = make_store()
        caplog.set_level(logging.WARNING, logger="bot.store")
        with pg_server.down():
            for _ in range(4):
                with pytest.raises(StorageUnavailableError):
                    _ask(store)
        time.sleep(pg.RECONNECT_PAUSE)
        _ask(store)
        _ask(store)
        messages = [record.getMessage() for record in caplog.records]
        assert len(messages) == 2, messages
        assert "cannot be reached" in messages[0]
        assert "works again" in messages[1]
        assert not any(record.exc_info for record in caplog.records)


class TestRunTimeFaults:
    def test_a_read_only_database(self, make_store: MakeStore, url: str) -> None:
        make_store().close()
        name = url.rsplit("/", 1)[1]
        _sql(url, f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        store = make_store()
        with pytest.raises(StorageUnavailableError, match="read-only") as raised:
            _ask(store)
        assert "127.0.0.1" not in raised.value.message  # shown in Slack: no server names
        assert store.recent_estimates("U1") == []  # reads still work

    def test_a_lock_held_past_the_bound_is_busy(self, make_store: MakeStore, url: str) -> None:
        store = make_store(busy_timeout_ms=100)
        store.claim_event("EvLOCK")
        holder = psycopg.connect(url)
        holder.execute("SELECT * FROM events WHERE event_id = 'EvLOCK' FOR UPDATE")
        try:
            started = time.monotonic()
            with pytest.raises(StorageBusyError, match="locked"):
                store.finish_event("EvLOCK")
            assert time.monotonic() - started < 2
        finally:
            holder.close()
        store.finish_event("EvLOCK")
        assert store.claim_event("EvLOCK") is False

    def test_a_code_error_is_not_disguised_as_a_storage_fault(self, make_store: MakeStore) -> None:
        store = make_store()
        store.close()
        with pytest.raises(RuntimeError, match="closed"):
            _ask(store)

    def test_a_store_keeps_few_connections(self, make_store: MakeStore, url: str) -> None:
        store = make_store()
        threads = [
            threading.Thread(target=lambda: [_ask(store) for _ in range(20)]) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        [(count,)] = _sql(
            url,
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'tokenbot'",
        )
        assert count <= pg.IDLE_CONNECTIONS
        assert isinstance(store, PostgresStore)
