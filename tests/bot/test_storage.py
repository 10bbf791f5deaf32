"""The sqlite store: migrations, estimates, questions, feedback and event ids."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage import REFERENCE, REFERENCE_ALPHABET, Store, migrations, random_reference

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


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


class TestEvents:
    def test_first_sighting_wins_and_retries_lose(self, store: Store) -> None:
        assert store.mark_event_seen("Ev1") is True
        assert store.mark_event_seen("Ev1") is False
        assert store.mark_event_seen("Ev2") is True

    def test_two_stores_on_one_file_agree(self, tmp_path: Path) -> None:
        with Store(tmp_path / "t.db") as one, Store(tmp_path / "t.db") as two:
            assert one.mark_event_seen("Ev1") is True
            assert two.mark_event_seen("Ev1") is False

    def test_only_one_of_many_threads_wins(self, tmp_path: Path) -> None:
        stores = [Store(tmp_path / "t.db") for _ in range(4)]
        results: list[bool] = []
        barrier = threading.Barrier(8)

        def race(store: Store) -> None:
            barrier.wait()
            results.append(store.mark_event_seen("EvRACE"))

        threads = [threading.Thread(target=race, args=(stores[n % 4],)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for store in stores:
            store.close()
        assert sorted(results) == [False] * 7 + [True]


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(":memory:", clock=lambda: NOW) as opened:
        yield opened
