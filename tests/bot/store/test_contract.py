"""What every store does, on sqlite and on PostgreSQL alike (the `backend` fixture).

Each test opens its stores with `make_store` on one fresh database of the backend under test;
two stores on one database are two processes (or two hosts) sharing it.
"""

from __future__ import annotations

import datetime as dt
import threading

from bot.store import Store
from bot.store.base import REFERENCE, REFERENCE_ALPHABET, migrations, random_reference
from tests.bot.store.conftest import NOW, MakeStore


def _estimate(store: Store, user: str = "U1", text: str = "copilot=5") -> str:
    return store.save_estimate(
        user_id=user,
        channel_id="C1",
        input_text=text,
        card="list",
        result_for=lambda ref: {"reference": ref, "total": 200},
    )


def _ask(store: Store, text: str, user: str = "U1", thread: str | None = None) -> int:
    return store.record_question(
        text=text, entry_id=None, score=0.1, user_id=user, channel_id="C1", thread_ts=thread
    )


class TestSchema:
    def test_a_fresh_database_is_at_the_latest_version(self, store: Store) -> None:
        assert store.version == len(migrations(store.backend))
        assert store.found_version == 0

    def test_reopening_keeps_data_and_does_not_migrate_again(self, make_store: MakeStore) -> None:
        reference = _estimate(make_store())
        again = make_store()
        assert again.found_version == again.version
        assert again.get_estimate(reference) is not None

    def test_the_database_answers_a_ping(self, store: Store) -> None:
        store.ping()
        store.check_integrity()


class TestReferences:
    def test_a_reference_avoids_confusable_characters(self) -> None:
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

    def test_a_taken_reference_is_drawn_again(self, make_store: MakeStore) -> None:
        draws = iter(["E-AAAA", "E-AAAA", "E-BBBB"])
        store = make_store(new_reference=lambda: next(draws))
        assert _estimate(store) == "E-AAAA"
        assert _estimate(store) == "E-BBBB"


class TestEstimates:
    def test_the_result_is_stored_with_its_reference(self, store: Store) -> None:
        reference = _estimate(store)
        stored = store.get_estimate(reference.lower())
        assert stored is not None
        assert stored.result == {"reference": reference, "total": 200}
        assert (stored.input, stored.card, stored.created_at) == ("copilot=5", "list", NOW)

    def test_an_unknown_reference_is_none(self, store: Store) -> None:
        assert store.get_estimate("E-ZZZZZZZZ") is None

    def test_recent_estimates_are_the_users_newest_first(self, make_store: MakeStore) -> None:
        times = iter(NOW + dt.timedelta(minutes=n) for n in range(10))
        store = make_store(clock=lambda: next(times))
        first, second = _estimate(store), _estimate(store)
        _estimate(store, user="U2")
        assert [e.reference for e in store.recent_estimates("U1")] == [second, first]

    def test_an_estimate_stored_by_one_process_is_read_by_another(
        self, make_store: MakeStore
    ) -> None:
        reference = _estimate(make_store())
        stored = make_store().get_estimate(reference)
        assert stored is not None
        assert stored.result["reference"] == reference

    def test_text_and_json_come_back_exactly(self, store: Store) -> None:
        result = {"reference": "", "note": "naïve <b> & 'x' \u2028", "n": 1.25, "big": 10**15}
        reference = store.save_estimate(
            user_id="U1",
            channel_id="C1",
            input_text="copilot=5 ✓",
            card="list",
            result_for=lambda ref: {**result, "reference": ref},
        )
        stored = store.get_estimate(reference)
        assert stored is not None
        assert stored.result == {**result, "reference": reference}
        assert stored.input == "copilot=5 ✓"


class TestQuestionsAndFeedback:
    def test_a_question_is_logged_with_the_match(self, store: Store) -> None:
        question_id = store.record_question(
            text="why 45?", entry_id="sta-per-user-rate", score=0.8, user_id="U1", channel_id="C1"
        )
        stored = store.get_question(question_id)
        assert stored is not None
        assert (stored.answered, stored.entry_id, stored.score) == (True, "sta-per-user-rate", 0.8)
        assert stored.created_at == NOW

    def test_an_unanswered_question_is_logged_as_a_gap(self, store: Store) -> None:
        _ask(store, "pizza?")
        [gap] = store.questions()
        assert not gap.answered

    def test_question_ids_grow(self, store: Store) -> None:
        first, second = _ask(store, "a"), _ask(store, "b")
        assert second > first
        assert store.get_question(first + 1000) is None

    def test_a_second_vote_replaces_the_first(self, store: Store) -> None:
        for helpful in (True, False):
            store.record_feedback(entry_id="e", question="q", helpful=helpful, user_id="U1")
        store.record_feedback(entry_id="e", question="q", helpful=True, user_id="U2")
        assert store.feedback("e") == [("U1", False), ("U2", True)]


class TestThreads:
    """The question a mention's or DM's thread started with, for the follow-ups asked in it."""

    def test_the_first_question_of_the_thread_is_its_context(self, store: Store) -> None:
        _ask(store, "voice bot token rate", thread="1.1")
        _ask(store, "and for digital bots?", thread="1.1")
        assert store.thread_question("C1", "1.1") == "voice bot token rate"

    def test_other_threads_channels_and_slash_commands_do_not_count(self, store: Store) -> None:
        _ask(store, "asked with /tokens")
        _ask(store, "another thread", thread="2.2")
        assert store.thread_question("C1", "1.1") is None
        assert store.thread_question("C2", "2.2") is None

    def test_a_thread_started_through_another_process_has_its_context(
        self, make_store: MakeStore
    ) -> None:
        _ask(make_store(), "voice bot token rate", thread="1.1")
        assert make_store().thread_question("C1", "1.1") == "voice bot token rate"

    def test_a_forgotten_users_thread_has_no_context(self, store: Store) -> None:
        _ask(store, "voice bot token rate", user="U9", thread="1.1")
        store.forget("U9")
        assert store.thread_question("C1", "1.1") is None

    def test_a_purged_text_is_no_context(self, make_store: MakeStore) -> None:
        store = make_store(clock=lambda: NOW - dt.timedelta(days=400))
        _ask(store, "voice bot token rate", thread="1.1")
        store.purge(NOW)
        assert store.thread_question("C1", "1.1") is None


class TestEvents:
    """An event's answer is delivered at least once, and only once when delivery succeeds."""

    def test_the_first_claim_wins_and_retries_lose_while_it_is_held(self, store: Store) -> None:
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

    def test_a_claim_abandoned_by_a_dead_process_is_taken_over(self, make_store: MakeStore) -> None:
        moments = iter([NOW, NOW + dt.timedelta(seconds=30), NOW + dt.timedelta(minutes=3)])
        store = make_store(clock=lambda: next(moments))
        assert store.claim_event("Ev1") is True
        assert store.claim_event("Ev1") is False  # 30 s later: still being delivered
        assert store.claim_event("Ev1") is True  # 3 min later: nobody finished it

    def test_two_stores_on_one_database_agree(self, make_store: MakeStore) -> None:
        one, two = make_store(), make_store()
        assert one.claim_event("Ev1") is True
        assert two.claim_event("Ev1") is False
        one.release_event("Ev1")
        assert two.claim_event("Ev1") is True
        two.finish_event("Ev1")
        assert one.claim_event("Ev1") is False

    @staticmethod
    def _race(stores: list[Store], event_id: str, threads: int = 8) -> list[bool]:
        """`threads` claims of one event at once, spread over the stores; the results."""
        results: list[bool] = []
        barrier = threading.Barrier(threads)

        def race(store: Store) -> None:
            barrier.wait()
            results.append(store.claim_event(event_id))

        running = [
            threading.Thread(target=race, args=(stores[n % len(stores)],)) for n in range(threads)
        ]
        for thread in running:
            thread.start()
        for thread in running:
            thread.join()
        return sorted(results)

    def test_only_one_of_many_threads_wins(self, make_store: MakeStore) -> None:
        stores = [make_store() for _ in range(4)]
        assert self._race(stores, "EvRACE") == [False] * 7 + [True]

    def test_only_one_of_many_takeovers_of_an_abandoned_claim_wins(
        self, make_store: MakeStore
    ) -> None:
        make_store(clock=lambda: NOW).claim_event("EvOLD")
        later = NOW + dt.timedelta(minutes=3)
        stores = [make_store(clock=lambda: later) for _ in range(4)]
        assert self._race(stores, "EvOLD") == [False] * 7 + [True]


class TestSignatures:
    """Slack signatures carry no nonce: an exact replay within the window is refused."""

    def test_a_signature_is_accepted_once(self, store: Store) -> None:
        stamp = int(NOW.timestamp())
        assert store.claim_signature(stamp, "v0=aa") is True
        assert store.claim_signature(stamp, "v0=aa") is False
        assert store.claim_signature(stamp, "v0=bb") is True
        assert store.claim_signature(stamp + 1, "v0=aa") is True

    def test_two_processes_share_what_they_have_seen(self, make_store: MakeStore) -> None:
        assert make_store().claim_signature(1_800_000_000, "v0=aa") is True
        assert make_store().claim_signature(1_800_000_000, "v0=aa") is False

    def test_signatures_past_the_window_are_forgotten(self, make_store: MakeStore) -> None:
        moments = iter([NOW, NOW + dt.timedelta(minutes=10)])
        store = make_store(clock=lambda: next(moments))
        store.claim_signature(int(NOW.timestamp()), "v0=old")
        store.claim_signature(int(NOW.timestamp()) + 600, "v0=new")
        assert [row["signature"] for row in store.rows("signatures")] == ["v0=new"]


class TestConcurrentWrites:
    THREADS = 8
    PER_THREAD = 250

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

    def test_eight_threads_on_one_store_lose_nothing(self, store: Store) -> None:
        references = self._write_from_threads([store])
        assert len(references) == len(set(references)) == self.THREADS * self.PER_THREAD
        for n in range(self.THREADS):
            assert len(store.recent_estimates(f"U{n}", limit=10_000)) == self.PER_THREAD

    def test_eight_stores_on_one_database_lose_nothing(self, make_store: MakeStore) -> None:
        """As several server processes (or hosts) would: one store per thread."""
        stores = [make_store(busy_timeout_ms=60_000) for _ in range(self.THREADS)]
        references = self._write_from_threads(stores)
        reader = make_store()
        stored = [
            e.reference
            for n in range(self.THREADS)
            for e in reader.recent_estimates(f"U{n}", limit=10_000)
        ]
        assert len(references) == len(set(references)) == self.THREADS * self.PER_THREAD
        assert sorted(stored) == sorted(references)


class TestPurge:
    def test_question_texts_older_than_the_retention_are_deleted(
        self, make_store: MakeStore
    ) -> None:
        moments = iter([NOW - dt.timedelta(days=400), NOW - dt.timedelta(days=10)])
        store = make_store(clock=lambda: next(moments))
        _ask(store, "old question")
        _ask(store, "recent question")
        purged = store.purge(NOW)
        assert purged.question_texts == 1
        assert [q.text for q in store.questions()] == [None, "recent question"]

    def test_the_retention_period_is_a_setting(self, make_store: MakeStore) -> None:
        store = make_store(
            clock=lambda: NOW - dt.timedelta(days=40), retention=dt.timedelta(days=30)
        )
        _ask(store, "forty days ago")
        assert store.purge(NOW).question_texts == 1

    def test_feedback_texts_are_deleted_but_votes_kept(self, make_store: MakeStore) -> None:
        store = make_store(clock=lambda: NOW - dt.timedelta(days=400))
        store.record_feedback(entry_id="e", question="old q", helpful=False, user_id="U1")
        store.record_feedback(entry_id="e", question="", helpful=True, user_id="U2")
        assert store.purge(NOW).feedback_texts == 1
        assert [(v.question, v.helpful) for v in store.votes()] == [(None, False), ("", True)]

    def test_old_event_ids_are_dropped(self, make_store: MakeStore) -> None:
        moments = iter([NOW - dt.timedelta(days=8), NOW - dt.timedelta(days=1), NOW, NOW])
        store = make_store(clock=lambda: next(moments))
        store.claim_event("EvOLD")
        store.claim_event("EvNEW")
        store.finish_event("EvNEW")
        assert store.purge(NOW).events == 1
        assert store.claim_event("EvNEW") is False


class TestForget:
    def test_every_row_of_the_user_is_removed_and_counted(self, store: Store) -> None:
        _estimate(store, user="U1")
        _estimate(store, user="U1")
        _ask(store, "q", user="U1")
        store.record_feedback(entry_id="e", question="q", helpful=True, user_id="U1")
        kept = _estimate(store, user="U2")
        _ask(store, "q2", user="U2")

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
    def test_questions_are_filtered_by_period(self, make_store: MakeStore) -> None:
        days = iter(NOW - dt.timedelta(days=n) for n in (3, 2, 1))
        store = make_store(clock=lambda: next(days))
        for text in ("a", "b", "c"):
            _ask(store, text)
        since, until = NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=1)
        assert [q.text for q in store.questions(since, until)] == ["b"]
        assert [q.text for q in store.questions(since=since)] == ["b", "c"]
        assert [q.text for q in store.questions(until=until)] == ["a", "b"]

    def test_a_bound_counts_to_the_second(self, store: Store) -> None:
        """Both backends keep moments to the second: a bound within that second includes it."""
        _ask(store, "at noon")
        assert len(store.questions(since=NOW + dt.timedelta(microseconds=500_000))) == 1
        assert store.questions(until=NOW) == []

    def test_activity_counts_questions_and_estimates(self, store: Store) -> None:
        _estimate(store, user="U1")
        _ask(store, "q", user="U2")
        assert sorted((a.kind, a.user_id) for a in store.activity()) == [
            ("estimate", "U1"),
            ("question", "U2"),
        ]

    def test_votes_are_filtered_by_period(self, make_store: MakeStore) -> None:
        days = iter(NOW - dt.timedelta(days=n) for n in (3, 1))
        store = make_store(clock=lambda: next(days))
        store.record_feedback(entry_id="e", question="old", helpful=True, user_id="U1")
        store.record_feedback(entry_id="e", question="new", helpful=True, user_id="U1")
        assert [v.question for v in store.votes(since=NOW - dt.timedelta(days=2))] == ["new"]
