"""The sqlite store: migrations, estimates, questions, feedback and event ids."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import StorageBusyError, StorageError
from bot.store.snapshots import EstimateSnapshot
from bot.store.sqlite import (
    REFERENCE,
    REFERENCE_ALPHABET,
    Store,
    _statements,
    migrations,
    random_reference,
)

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
V1_FIXTURE = Path(__file__).parent / "data" / "tokenbot-v1.db"


def _estimate(store: Store, user: str = "U1", text: str = "copilot=5") -> str:
    return store.save_estimate(
        user_id=user,
        channel_id="C1",
        input_text=text,
        card="list",
        result_for=lambda ref: {"reference": ref, "total": 200},
    )


class TestSchema:
    def test_fresh_database_is_at_the_latest_version(self, store: Store) -> None:
        assert store.version == len(migrations())

    def test_file_database_uses_wal(self, tmp_path: Path) -> None:
        with Store(tmp_path / "t.db"):
            conn = sqlite3.connect(tmp_path / "t.db")
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            conn.close()

    def test_reopening_keeps_data_and_does_not_migrate_again(self, tmp_path: Path) -> None:
        with Store(tmp_path / "t.db") as first:
            reference = _estimate(first)
        with Store(tmp_path / "t.db") as second:
            assert second.get_estimate(reference) is not None


class TestReferences:
    def test_reference_avoids_confusable_characters(self) -> None:
        for _ in range(200):
            reference = random_reference()
            assert REFERENCE.match(reference)
            assert not set(reference[2:]) & set("01OI")
        assert not set(REFERENCE_ALPHABET) & set("01OI")

    def test_a_reference_carries_at_least_40_random_bits(self) -> None:
        reference = random_reference()
        symbols = len(reference) - len("E-")
        assert len(REFERENCE_ALPHABET) ** symbols >= 2**40
        assert len({random_reference() for _ in range(1000)}) == 1000

    def test_old_four_character_references_still_match(self) -> None:
        assert REFERENCE.match("E-7K2Q")
        assert not REFERENCE.match("E-7K2Q9")
        assert not REFERENCE.match("E-7K2QM9T0")  # 0 is not in the alphabet

    def test_a_taken_reference_is_drawn_again(self) -> None:
        draws = iter(["E-AAAA", "E-AAAA", "E-BBBB"])
        with Store(":memory:", new_reference=lambda: next(draws)) as store:
            assert _estimate(store) == "E-AAAA"
            assert _estimate(store) == "E-BBBB"


class TestEstimates:
    def test_result_is_stored_with_its_reference(self, store: Store) -> None:
        reference = _estimate(store)
        stored = store.get_estimate(reference.lower())
        assert stored is not None
        assert stored.result == {"reference": reference, "total": 200}
        assert stored.input == "copilot=5"
        assert stored.card == "list"

    def test_recent_estimates_are_the_users_newest_first(self) -> None:
        times = iter(NOW + dt.timedelta(minutes=n) for n in range(10))
        with Store(":memory:", clock=lambda: next(times)) as store:
            first, second = _estimate(store), _estimate(store)
            _estimate(store, user="U2")
            assert [e.reference for e in store.recent_estimates("U1")] == [second, first]


class TestQuestionsAndFeedback:
    def test_question_is_logged_with_the_match(self, store: Store) -> None:
        question_id = store.record_question(
            text="why 45?", entry_id="sta-per-user-rate", score=0.8, user_id="U1", channel_id="C1"
        )
        stored = store.get_question(question_id)
        assert stored is not None
        assert stored.answered
        assert stored.entry_id == "sta-per-user-rate"

    def test_unanswered_question_is_logged_as_a_gap(self, store: Store) -> None:
        store.record_question(
            text="pizza?", entry_id=None, score=0.1, user_id="U1", channel_id="C1"
        )
        [gap] = store.questions()
        assert not gap.answered

    def test_second_vote_replaces_the_first(self, store: Store) -> None:
        for helpful in (True, False):
            store.record_feedback(entry_id="e", question="q", helpful=helpful, user_id="U1")
        store.record_feedback(entry_id="e", question="q", helpful=True, user_id="U2")
        assert store.feedback("e") == [("U1", False), ("U2", True)]


class TestThreads:
    """The question a mention's or DM's thread started with, for the follow-ups asked in it."""

    @staticmethod
    def _ask(store: Store, text: str, thread: str | None, user: str = "U1") -> None:
        store.record_question(
            text=text, entry_id=None, score=0.1, user_id=user, channel_id="C1", thread_ts=thread
        )

    def test_the_first_question_of_the_thread_is_its_context(self, store: Store) -> None:
        self._ask(store, "voice bot token rate", "1.1")
        self._ask(store, "and for digital bots?", "1.1")
        assert store.thread_question("C1", "1.1") == "voice bot token rate"

    def test_other_threads_channels_and_slash_commands_do_not_count(self, store: Store) -> None:
        self._ask(store, "asked with /tokens", None)
        self._ask(store, "another thread", "2.2")
        assert store.thread_question("C1", "1.1") is None
        assert store.thread_question("C2", "2.2") is None

    def test_a_forgotten_users_thread_has_no_context(self, store: Store) -> None:
        self._ask(store, "voice bot token rate", "1.1", user="U9")
        store.forget("U9")
        assert store.thread_question("C1", "1.1") is None

    def test_a_purged_text_is_no_context(self) -> None:
        with Store(":memory:", clock=lambda: NOW - dt.timedelta(days=400)) as store:
            self._ask(store, "voice bot token rate", "1.1")
            store.purge(NOW)
            assert store.thread_question("C1", "1.1") is None


class TestEvents:
    """An event's answer is delivered at least once, and only once when delivery succeeds."""

    def test_first_claim_wins_and_retries_lose_while_it_is_held(self, store: Store) -> None:
        assert store.claim_event("Ev1") is True
        assert store.claim_event("Ev1") is False
        assert store.claim_event("Ev2") is True

    def test_a_finished_event_is_never_claimed_again(self, store: Store) -> None:
        store.claim_event("Ev1")
        store.finish_event("Ev1")
        assert store.claim_event("Ev1") is False

    def test_a_released_claim_lets_the_retry_deliver(self, store: Store) -> None:
        store.claim_event("Ev1")
        store.release_event("Ev1")
        assert store.claim_event("Ev1") is True

    def test_releasing_a_finished_event_changes_nothing(self, store: Store) -> None:
        store.claim_event("Ev1")
        store.finish_event("Ev1")
        store.release_event("Ev1")
        assert store.claim_event("Ev1") is False

    def test_a_claim_abandoned_by_a_dead_process_is_taken_over(self) -> None:
        moments = iter([NOW, NOW + dt.timedelta(seconds=30), NOW + dt.timedelta(minutes=3)])
        with Store(":memory:", clock=lambda: next(moments)) as store:
            assert store.claim_event("Ev1") is True
            assert store.claim_event("Ev1") is False  # 30 s later: still being delivered
            assert store.claim_event("Ev1") is True  # 3 min later: nobody finished it

    def test_two_stores_on_one_file_agree(self, tmp_path: Path) -> None:
        with Store(tmp_path / "t.db") as one, Store(tmp_path / "t.db") as two:
            assert one.claim_event("Ev1") is True
            assert two.claim_event("Ev1") is False
            one.release_event("Ev1")
            assert two.claim_event("Ev1") is True

    def test_only_one_of_many_threads_wins(self, tmp_path: Path) -> None:
        stores = [Store(tmp_path / "t.db") for _ in range(4)]
        results: list[bool] = []
        barrier = threading.Barrier(8)

        def race(store: Store) -> None:
            barrier.wait()
            results.append(store.claim_event("EvRACE"))

        threads = [threading.Thread(target=race, args=(stores[n % 4],)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for store in stores:
            store.close()
        assert sorted(results) == [False] * 7 + [True]


class TestSignatures:
    """Slack signatures carry no nonce: an exact replay within the window is refused."""

    def test_a_signature_is_accepted_once(self, store: Store) -> None:
        stamp = int(NOW.timestamp())
        assert store.claim_signature(stamp, "v0=aa") is True
        assert store.claim_signature(stamp, "v0=aa") is False
        assert store.claim_signature(stamp, "v0=bb") is True
        assert store.claim_signature(stamp + 1, "v0=aa") is True

    def test_two_processes_share_what_they_have_seen(self, tmp_path: Path) -> None:
        with Store(tmp_path / "t.db") as one, Store(tmp_path / "t.db") as two:
            assert one.claim_signature(1_800_000_000, "v0=aa") is True
            assert two.claim_signature(1_800_000_000, "v0=aa") is False

    def test_signatures_past_the_window_are_forgotten(self, tmp_path: Path) -> None:
        moments = iter([NOW, NOW + dt.timedelta(minutes=10)])
        with Store(tmp_path / "t.db", clock=lambda: next(moments)) as store:
            store.claim_signature(int(NOW.timestamp()), "v0=old")
            store.claim_signature(int(NOW.timestamp()) + 600, "v0=new")
        conn = sqlite3.connect(tmp_path / "t.db")
        try:
            kept = [row[0] for row in conn.execute("SELECT signature FROM signatures")]
        finally:
            conn.close()
        assert kept == ["v0=new"]


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
        with Store(v1) as store:
            assert store.version == len(migrations()) > 1

    def test_estimates_survive(self, v1: Path) -> None:
        with Store(v1) as store:
            stored = store.get_estimate("E-7K2Q")
            assert stored is not None
            assert EstimateSnapshot.from_json(stored.result).total_tokens == 2000
            assert [e.reference for e in store.recent_estimates("U0BOB0001")] == ["E-HX4P"]

    def test_questions_survive_with_their_ids(self, v1: Path) -> None:
        with Store(v1) as store:
            questions = store.questions()
        assert [(q.id, q.text, q.answered) for q in questions] == [
            (1, "why are my agents using 45 STA tokens?", True),
            (2, "can I pay tokens with pizza?", False),
            (3, "can i pay my tokens with pizza", False),
        ]

    def test_feedback_and_events_survive(self, v1: Path) -> None:
        with Store(v1) as store:
            assert store.feedback("sta-per-user-rate") == [
                ("U0ALICE01", False),
                ("U0BOB0001", True),
            ]
            assert store.claim_event("Ev0OLD01") is False  # handled before v3: finished

    def test_upgraded_file_takes_new_rows(self, v1: Path) -> None:
        with Store(v1) as store:
            question_id = store.record_question(
                text="new?", entry_id=None, score=0.0, user_id="U1", channel_id="C1"
            )
        assert question_id == 4

    def test_upgrading_twice_changes_nothing(self, v1: Path) -> None:
        with Store(v1):
            pass
        before = v1.read_bytes()
        with Store(v1) as store:
            assert store.version == len(migrations())
        assert v1.read_bytes() == before


class TestUnreadableDatabase:
    def test_garbage_file_names_the_file_and_is_not_overwritten(self, tmp_path: Path) -> None:
        path = tmp_path / "tokenbot.db"
        garbage = b"this is not sqlite\x00\xff" * 500
        path.write_bytes(garbage)
        with pytest.raises(StorageError, match=str(path)) as raised:
            Store(path)
        assert "not a database" in raised.value.message
        assert path.read_bytes() == garbage

    def test_a_directory_is_a_clear_error(self, tmp_path: Path) -> None:
        with pytest.raises(StorageError, match=str(tmp_path)):
            Store(tmp_path)

    def test_a_newer_schema_is_refused_untouched(self, tmp_path: Path) -> None:
        path = tmp_path / "tokenbot.db"
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA user_version = 99")
        conn.close()
        before = path.read_bytes()
        with pytest.raises(StorageError, match="newer"):
            Store(path)
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
        with Store(path) as store:
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
        with Store(path, busy_timeout_ms=100) as store:
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
            for statement in _statements(script):
                other.execute(statement)
            other.execute(f"PRAGMA user_version = {version}")
        threading.Timer(0.3, lambda: (other.execute("COMMIT"), other.close())).start()
        with Store(db) as store:
            assert store.version == len(migrations())


class TestConcurrentWrites:
    THREADS = 8
    PER_THREAD = 1000

    def _write_from_threads(self, stores: list[Store]) -> list[str]:
        references: list[list[str]] = [[] for _ in range(self.THREADS)]
        barrier = threading.Barrier(self.THREADS)

        def write(n: int) -> None:
            store = stores[n % len(stores)]
            barrier.wait()
            for i in range(self.PER_THREAD):
                references[n].append(_estimate(store, user=f"U{n}", text=f"copilot={i}"))

        threads = [threading.Thread(target=write, args=(n,)) for n in range(self.THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [reference for chunk in references for reference in chunk]

    def test_eight_threads_lose_no_estimate_and_share_no_reference(self, tmp_path: Path) -> None:
        with Store(tmp_path / "t.db") as store:
            references = self._write_from_threads([store])
            assert len(references) == self.THREADS * self.PER_THREAD
            assert len(set(references)) == len(references)
            for n in range(self.THREADS):
                assert len(store.recent_estimates(f"U{n}", limit=10_000)) == self.PER_THREAD

    def test_eight_connections_on_one_file_lose_nothing(self, tmp_path: Path) -> None:
        """As several server processes would: one store (connection) per thread.

        What is tested is that no write is lost or duplicated, not how long a writer may wait:
        on a loaded machine eight writers can starve one past the default 5 s busy timeout,
        which the app turns into a "not saved" line (tested with the storage faults).
        """
        stores = [Store(tmp_path / "t.db", busy_timeout_ms=60_000) for _ in range(self.THREADS)]
        try:
            references = self._write_from_threads(stores)
        finally:
            for store in stores:
                store.close()
        with Store(tmp_path / "t.db") as reader:
            stored = [
                e.reference
                for n in range(self.THREADS)
                for e in reader.recent_estimates(f"U{n}", limit=10_000)
            ]
        assert len(references) == len(set(references)) == self.THREADS * self.PER_THREAD
        assert sorted(stored) == sorted(references)


class TestPurge:
    @staticmethod
    def _ask(store: Store, text: str, user: str = "U1") -> int:
        return store.record_question(
            text=text, entry_id=None, score=0.1, user_id=user, channel_id="C1"
        )

    def test_question_texts_older_than_the_retention_are_deleted(self) -> None:
        moments = iter([NOW - dt.timedelta(days=400), NOW - dt.timedelta(days=10)])
        with Store(":memory:", clock=lambda: next(moments)) as store:
            self._ask(store, "old question")
            self._ask(store, "recent question")
            purged = store.purge(NOW)
            assert purged.question_texts == 1
            assert [q.text for q in store.questions()] == [None, "recent question"]

    def test_the_retention_period_is_a_setting(self) -> None:
        with Store(
            ":memory:", clock=lambda: NOW - dt.timedelta(days=40), retention=dt.timedelta(days=30)
        ) as store:
            self._ask(store, "forty days ago")
            assert store.purge(NOW).question_texts == 1

    def test_feedback_texts_are_deleted_but_votes_kept(self) -> None:
        with Store(":memory:", clock=lambda: NOW - dt.timedelta(days=400)) as store:
            store.record_feedback(entry_id="e", question="old q", helpful=False, user_id="U1")
            assert store.purge(NOW).feedback_texts == 1
            [vote] = store.votes()
            assert (vote.question, vote.helpful) == (None, False)

    def test_old_event_ids_are_dropped(self) -> None:
        moments = iter([NOW - dt.timedelta(days=8), NOW - dt.timedelta(days=1), NOW, NOW])
        with Store(":memory:", clock=lambda: next(moments)) as store:
            store.claim_event("EvOLD")
            store.claim_event("EvNEW")
            store.finish_event("EvNEW")
            assert store.purge(NOW).events == 1
            assert store.claim_event("EvNEW") is False


class TestForget:
    def test_every_row_of_the_user_is_removed_and_counted(self, store: Store) -> None:
        _estimate(store, user="U1")
        _estimate(store, user="U1")
        store.record_question(text="q", entry_id=None, score=0.1, user_id="U1", channel_id="C")
        store.record_feedback(entry_id="e", question="q", helpful=True, user_id="U1")
        kept = _estimate(store, user="U2")
        store.record_question(text="q2", entry_id=None, score=0.1, user_id="U2", channel_id="C")

        removed = store.forget("U1")

        assert (removed.estimates, removed.questions, removed.feedback) == (2, 1, 1)
        assert store.recent_estimates("U1") == []
        assert [q.user_id for q in store.questions()] == ["U2"]
        assert store.votes() == []
        assert store.get_estimate(kept) is not None

    def test_the_users_text_leaves_the_votes_of_others(self, store: Store) -> None:
        """A votes on the answer B was given: forgetting B removes B's question from A's vote."""
        asked = store.record_question(
            text="bob's private question", entry_id="e", score=0.9, user_id="UB", channel_id="C"
        )
        store.record_feedback(
            entry_id="e",
            question="bob's private question",
            helpful=False,
            user_id="UA",
            question_id=asked,
        )
        store.record_feedback(entry_id="e", question="alice's own", helpful=True, user_id="UA")

        removed = store.forget("UB")

        assert removed.others_votes == 1
        assert [(v.user_id, v.question, v.helpful) for v in store.votes()] == [
            ("UA", None, False),
            ("UA", "alice's own", True),
        ]

    def test_votes_recorded_before_question_ids_are_matched_on_the_text(self, store: Store) -> None:
        store.record_question(
            text="bob asked this", entry_id="e", score=0.9, user_id="UB", channel_id="C"
        )
        store.record_feedback(entry_id="e", question="bob asked this", helpful=True, user_id="UA")
        assert store.forget("UB").others_votes == 1
        [vote] = store.votes()
        assert vote.question is None

    def test_an_unknown_user_removes_nothing(self, store: Store) -> None:
        removed = store.forget("U404")
        assert (removed.estimates, removed.questions, removed.feedback) == (0, 0, 0)


class TestPeriods:
    def test_questions_are_filtered_by_period(self) -> None:
        days = iter(NOW - dt.timedelta(days=n) for n in (3, 2, 1))
        with Store(":memory:", clock=lambda: next(days)) as store:
            for text in ("a", "b", "c"):
                store.record_question(
                    text=text, entry_id=None, score=0.1, user_id="U1", channel_id="C1"
                )
            since, until = NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=1)
            assert [q.text for q in store.questions(since, until)] == ["b"]

    def test_activity_counts_questions_and_estimates(self, store: Store) -> None:
        _estimate(store, user="U1")
        store.record_question(text="q", entry_id=None, score=0.1, user_id="U2", channel_id="C")
        assert sorted((a.kind, a.user_id) for a in store.activity()) == [
            ("estimate", "U1"),
            ("question", "U2"),
        ]


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [*conn.iterdump(), str(conn.execute("PRAGMA user_version").fetchone()[0])]
    finally:
        conn.close()


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(":memory:", clock=lambda: NOW) as opened:
        yield opened
