"""What only the sqlite store does: WAL, `PRAGMA user_version`, files, locks, old files.

What every store does is in `test_contract.py`, which runs on sqlite too.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.errors import StorageBusyError, StorageError
from bot.store import SqliteStore
from bot.store import sqlite as sqlite_module
from bot.store.base import statements
from bot.store.snapshots import EstimateSnapshot
from bot.store.sqlite import migrations
from tests.bot.store.test_contract import _estimate

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
V1_FIXTURE = Path(__file__).parent / "data" / "tokenbot-v1.db"


class TestFile:
    def test_a_file_database_uses_wal(self, tmp_path: Path) -> None:
        with SqliteStore(tmp_path / "t.db"):
            conn = sqlite3.connect(tmp_path / "t.db")
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            conn.close()

    def test_the_version_is_the_files_user_version(self, tmp_path: Path) -> None:
        SqliteStore(tmp_path / "t.db").close()
        conn = sqlite3.connect(tmp_path / "t.db")
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations())
        finally:
            conn.close()


class TestUpgrade:
    """A database written by the first schema version is upgraded in place, never recreated."""

    @pytest.fixture
    def v1(self, tmp_path: Path) -> Path:
        copy = tmp_path / "tokenbot.db"
        shutil.copyfile(V1_FIXTURE, copy)
        return copy

    def test_fixture_is_at_version_1(self) -> None:
        conn = sqlite3.connect(f"file:{V1_FIXTURE}?mode=ro", uri=True)
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        finally:
            conn.close()

    def test_fixture_is_what_its_script_builds(self, tmp_path: Path) -> None:
        spec = importlib.util.spec_from_file_location(
            "make_v1_db", V1_FIXTURE.with_name("make_v1_db.py")
        )
        assert spec is not None
        assert spec.loader is not None
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        script.build(tmp_path / "rebuilt.db")
        assert _dump(tmp_path / "rebuilt.db") == _dump(V1_FIXTURE)

    def test_version_is_bumped_to_the_latest(self, v1: Path) -> None:
        with SqliteStore(v1) as store:
            assert store.version == len(migrations()) > 1

    def test_estimates_survive(self, v1: Path) -> None:
        with SqliteStore(v1) as store:
            stored = store.get_estimate("E-7K2Q")
            assert stored is not None
            assert EstimateSnapshot.from_json(stored.result).total_tokens == 2000
            assert [e.reference for e in store.recent_estimates("U0BOB0001")] == ["E-HX4P"]

    def test_questions_survive_with_their_ids(self, v1: Path) -> None:
        with SqliteStore(v1) as store:
            questions = store.questions()
        assert [(q.id, q.text, q.answered) for q in questions] == [
            (1, "why are my agents using 45 STA tokens?", True),
            (2, "can I pay tokens with pizza?", False),
            (3, "can i pay my tokens with pizza", False),
        ]

    def test_feedback_and_events_survive(self, v1: Path) -> None:
        with SqliteStore(v1) as store:
            assert store.feedback("sta-per-user-rate") == [
                ("U0ALICE01", False),
                ("U0BOB0001", True),
            ]
            assert store.claim_event("Ev0OLD01") is False  # handled before v3: finished

    def test_upgraded_file_takes_new_rows(self, v1: Path) -> None:
        with SqliteStore(v1) as store:
            question_id = store.record_question(
                text="new?", entry_id=None, score=0.0, user_id="U1", channel_id="C1"
            )
        assert question_id == 4

    def test_upgrading_twice_changes_nothing(self, v1: Path) -> None:
        with SqliteStore(v1):
            pass
        before = v1.read_bytes()
        with SqliteStore(v1) as store:
            assert store.version == len(migrations())
        assert v1.read_bytes() == before


class TestUnreadableDatabase:
    def test_garbage_file_names_the_file_and_is_not_overwritten(self, tmp_path: Path) -> None:
        path = tmp_path / "tokenbot.db"
        garbage = b"this is not sqlite\x00\xff" * 500
        path.write_bytes(garbage)
        with pytest.raises(StorageError, match=str(path)) as raised:
            SqliteStore(path)
        assert "not a database" in raised.value.message
        assert path.read_bytes() == garbage

    def test_a_directory_is_a_clear_error(self, tmp_path: Path) -> None:
        with pytest.raises(StorageError, match=str(tmp_path)):
            SqliteStore(tmp_path)

    def test_a_newer_schema_is_refused_untouched(self, tmp_path: Path) -> None:
        path = tmp_path / "tokenbot.db"
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA user_version = 99")
        conn.close()
        before = path.read_bytes()
        with pytest.raises(StorageError, match="newer"):
            SqliteStore(path)
        assert path.read_bytes() == before


class TestBusyDatabase:
    """Another connection holding the write lock is waited for, within a bound."""

    @staticmethod
    def _hold_write_lock(path: Path) -> sqlite3.Connection:
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO events (event_id, seen_at, finished_at) VALUES ('EvLOCK', 'now', 'now')"
        )
        return other

    def test_write_waits_for_a_lock_released_in_time(self, tmp_path: Path) -> None:
        path = tmp_path / "t.db"
        with SqliteStore(path) as store:
            other = self._hold_write_lock(path)
            releaser = threading.Timer(0.2, other.commit)
            releaser.start()
            try:
                reference = _estimate(store)
            finally:
                releaser.join()
                other.close()
            assert store.get_estimate(reference) is not None
            assert store.claim_event("EvLOCK") is False

    def test_lock_held_past_the_bound_is_a_clear_error(self, tmp_path: Path) -> None:
        path = tmp_path / "t.db"
        with SqliteStore(path, busy_timeout_ms=100) as store:
            other = self._hold_write_lock(path)
            try:
                started = time.monotonic()
                with pytest.raises(StorageBusyError, match="locked"):
                    _estimate(store)
                assert time.monotonic() - started < 2
            finally:
                other.close()
            assert store.recent_estimates("U1") == []


class TestConcurrentStartUp:
    def test_opening_waits_for_another_process_setting_up_a_fresh_file(
        self, tmp_path: Path
    ) -> None:
        """Servers started together on a new file: the later one waits, it does not fail.

        While another connection writes to a file still in rollback-journal mode, switching it
        to WAL is refused at once (SQLite's deadlock avoidance), not after the busy timeout.
        """
        db = tmp_path / "fresh.db"
        other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")  # the other server, migrating the file itself
        for version, script in migrations():
            for statement in statements(script):
                other.execute(statement)
            other.execute(f"PRAGMA user_version = {version}")
        threading.Timer(0.3, lambda: (other.execute("COMMIT"), other.close())).start()
        with SqliteStore(db) as store:
            assert store.version == len(migrations())

    def test_a_migration_committed_while_the_schema_is_read_is_not_another_apps_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The version and the tables are one snapshot: never version 0 beside every table.

        Here the other server's migration tries to commit between the two reads (CI saw this
        race between two `tokenbot serve` processes on one new file).
        """
        db = tmp_path / "fresh.db"
        real_table_names = sqlite_module._table_names
        raced: list[threading.Thread] = []

        def migrate_elsewhere() -> None:
            other = sqlite3.connect(db, isolation_level=None, timeout=10)
            other.execute("BEGIN IMMEDIATE")
            for version, script in migrations():
                for statement in statements(script):
                    other.execute(statement)
                other.execute(f"PRAGMA user_version = {version}")
            other.execute("COMMIT")
            other.close()

        def tables_after_a_race(conn: sqlite3.Connection) -> frozenset[str]:
            if not raced:
                raced.append(threading.Thread(target=migrate_elsewhere))
                raced[0].start()
                raced[0].join(timeout=0.5)  # done at once unless our read holds the file
            return real_table_names(conn)

        monkeypatch.setattr(sqlite_module, "_table_names", tables_after_a_race)
        with SqliteStore(db) as store:
            assert store.version == len(migrations())
        raced[0].join()
        assert not raced[0].is_alive()


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [*conn.iterdump(), str(conn.execute("PRAGMA user_version").fetchone()[0])]
    finally:
        conn.close()
