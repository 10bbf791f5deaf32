"""A bad day for the database: files that are not ours, damaged or read-only, and run-time faults.

Every fault is produced by a real sqlite file: another application's tables, pages overwritten
past the first one, a file nobody may write, a size cap (`PRAGMA max_page_count`, sqlite's own
"database or disk is full"), a connection switched to read-only, another connection holding
the write lock, and the file deleted under the open store.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import StorageBusyError, StorageError, StorageUnavailableError
from bot.store import SqliteStore, Store

PAGE = 4096


def _fill(store: Store, rows: int = 300) -> None:
    for n in range(rows):
        store.save_estimate(
            user_id="U1",
            channel_id="C1",
            input_text=f"copilot={n} " + "x" * 200,
            card="list",
            result_for=lambda ref: {"reference": ref, "pad": "y" * 500},
        )


def _ask(store: Store, text: str = "why 45?") -> int:
    return store.record_question(text=text, entry_id=None, score=0.1, user_id="U1", channel_id="C1")


def another_apps_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO customers (name) VALUES ('Acme')")
    conn.commit()
    conn.close()


def damage_past_the_first_page(path: Path) -> None:
    """Overwrite every page after the third with garbage; the header and schema stay readable."""
    data = bytearray(path.read_bytes())
    for offset in range(3 * PAGE, len(data), PAGE):
        data[offset : offset + PAGE] = b"\xde\xad" * (PAGE // 2)
    path.write_bytes(bytes(data))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "tokenbot.db"


class TestNotOurFile:
    def test_another_applications_database_is_refused_untouched(self, db: Path) -> None:
        another_apps_file(db)
        before = db.read_bytes()
        with pytest.raises(StorageError, match="not a tokenbot database") as raised:
            SqliteStore(db)
        assert str(db) in raised.value.message
        assert "customers" in raised.value.message
        assert db.read_bytes() == before
        assert sorted(os.listdir(db.parent)) == [db.name]  # no -wal, no -shm left behind

    def test_a_tokenbot_file_with_foreign_tables_is_refused(self, db: Path) -> None:
        SqliteStore(db).close()
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE invoices (id INTEGER)")
        conn.commit()
        conn.close()
        with pytest.raises(StorageError, match="invoices"):
            SqliteStore(db)

    def test_a_tokenbot_file_missing_a_table_is_called_damaged(self, db: Path) -> None:
        SqliteStore(db).close()
        conn = sqlite3.connect(db)
        conn.execute("DROP TABLE feedback")
        conn.commit()
        conn.close()
        with pytest.raises(StorageError, match=r"damaged.*feedback"):
            SqliteStore(db)


class TestReadOnlyFile:
    def test_a_file_nobody_may_write_is_refused_untouched(self, db: Path) -> None:
        with SqliteStore(db) as store:
            _ask(store)
        db.chmod(0o444)
        before = db.read_bytes()
        try:
            with pytest.raises(StorageError, match="read-only") as raised:
                SqliteStore(db)
        finally:
            db.chmod(0o644)
        assert str(db) in raised.value.message
        assert db.read_bytes() == before


class TestDamagedFile:
    def test_the_integrity_check_names_the_file(self, db: Path) -> None:
        with SqliteStore(db) as store:
            _fill(store)
        damage_past_the_first_page(db)
        with SqliteStore(db) as store, pytest.raises(StorageError, match=str(db)):
            store.check_integrity()

    def test_a_read_of_a_damaged_page_is_unavailable_not_a_crash(self, db: Path) -> None:
        with SqliteStore(db) as store:
            _fill(store)
        damage_past_the_first_page(db)
        with (
            SqliteStore(db) as store,
            pytest.raises(StorageUnavailableError, match="damaged") as raised,
        ):
            store.recent_estimates("U1", limit=1000)
        assert raised.value.path == str(db)

    def test_a_sound_file_passes_the_integrity_check(self, db: Path) -> None:
        with SqliteStore(db) as store:
            _fill(store, rows=20)
            store.check_integrity()


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    with SqliteStore(db, busy_timeout_ms=100) as opened:
        yield opened


def _cap_size(store: Store) -> None:
    """No page may be added to the file: sqlite then answers "database or disk is full"."""
    conn = store._conn  # the store's own connection: the cap is per connection
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")


class TestRunTimeFaults:
    """Faults while serving: `StorageUnavailableError`, with a message that names no file."""

    def test_disk_full(self, store: Store, db: Path) -> None:
        _cap_size(store)
        with pytest.raises(StorageUnavailableError, match="full") as raised:
            _fill(store, rows=50)
        assert str(db) not in raised.value.message

    def test_read_only(self, store: Store) -> None:
        store._conn.execute("PRAGMA query_only = ON")  # what a read-only mount answers
        with pytest.raises(StorageUnavailableError, match="read-only"):
            _ask(store)

    def test_locked(self, store: Store, db: Path) -> None:
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StorageBusyError, match="locked"):
                _ask(store)
        finally:
            other.close()

    def test_the_file_removed_under_the_store(self, store: Store, db: Path) -> None:
        _ask(store)
        for path in db.parent.iterdir():
            path.unlink()
        with pytest.raises(StorageUnavailableError, match="removed or replaced"):
            _ask(store)
        with pytest.raises(StorageUnavailableError, match="removed or replaced"):
            store.recent_estimates("U1")
        assert not db.exists()  # nothing was recreated in its place

    def test_the_file_replaced_under_the_store(self, store: Store, db: Path) -> None:
        _ask(store)
        db.rename(db.with_suffix(".old"))
        SqliteStore(db).close()
        with pytest.raises(StorageUnavailableError, match="removed or replaced"):
            _ask(store)

    def test_a_code_error_is_not_disguised_as_a_storage_fault(self, store: Store) -> None:
        store.close()
        with pytest.raises(sqlite3.ProgrammingError):
            _ask(store)

    def test_a_fault_is_logged_once_and_so_is_the_recovery(
        self, store: Store, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.WARNING, logger="bot.store")
        store._conn.execute("PRAGMA query_only = ON")
        for _ in range(3):
            with pytest.raises(StorageUnavailableError):
                _ask(store)
        store._conn.execute("PRAGMA query_only = OFF")
        _ask(store)
        _ask(store)
        messages = [record.getMessage() for record in caplog.records]
        assert len(messages) == 2
        assert "read-only" in messages[0]
        assert "works again" in messages[1]
        assert not any(record.exc_info for record in caplog.records)
