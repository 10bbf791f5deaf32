"""Questions forwarded to the experts, their replies, relays at most once a minute, privacy.

Every test runs on both backends (sqlite and PostgreSQL: see `conftest.py`)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from bot.store import RELAY_INTERVAL, Store
from tests.bot.conftest import Clock
from tests.bot.store.conftest import MakeStore

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
EXPERTS = "C0EXPERTS"


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def store(make_store: MakeStore, clock: Clock) -> Store:
    return make_store(clock=clock)


def ask(store: Store, text: str = "do bot turns cost tokens?", user: str = "U0ASKER") -> int:
    return store.record_question(
        text=text,
        entry_id=None,
        score=0.12,
        user_id=user,
        channel_id="C0CHAN01",
        thread_ts="1700000000.000100",
    )


def posted(store: Store, question_id: int, ts: str = "1700000050.000100") -> int:
    claim = store.claim_forward(question_id, forwarded_by="U0ASKER", experts_channel=EXPERTS)
    assert claim is not None
    assert claim.claimed
    store.forward_posted(claim.forward.id, ts)
    return claim.forward.id


class TestClaimForward:
    def test_the_first_click_claims_and_carries_the_question(self, store: Store) -> None:
        claim = store.claim_forward(ask(store), forwarded_by="U0ASKER", experts_channel=EXPERTS)
        assert claim is not None
        assert claim.claimed
        forward = claim.forward
        assert (forward.question, forward.asker_id, forward.channel_id) == (
            "do bot turns cost tokens?",
            "U0ASKER",
            "C0CHAN01",
        )
        assert (forward.thread_ts, forward.score, forward.experts_ts) == (
            "1700000000.000100",
            0.12,
            None,
        )

    def test_a_second_click_does_not_claim_again(self, store: Store) -> None:
        question = ask(store)
        posted(store, question)
        again = store.claim_forward(question, forwarded_by="U0OTHER", experts_channel=EXPERTS)
        assert again is not None
        assert not again.claimed
        assert again.forward.forwarded_by == "U0ASKER"
        assert again.forward.experts_ts == "1700000050.000100"

    def test_a_click_while_another_is_posting_does_not_claim(self, store: Store) -> None:
        question = ask(store)
        store.claim_forward(question, forwarded_by="U0ASKER", experts_channel=EXPERTS)
        again = store.claim_forward(question, forwarded_by="U0ASKER", experts_channel=EXPERTS)
        assert again is not None
        assert not again.claimed

    def test_a_released_claim_may_be_claimed_again(self, store: Store) -> None:
        question = ask(store)
        first = store.claim_forward(question, forwarded_by="U0ASKER", experts_channel=EXPERTS)
        assert first is not None
        store.release_forward(first.forward.id)
        again = store.claim_forward(question, forwarded_by="U0ASKER", experts_channel=EXPERTS)
        assert again is not None
        assert again.claimed

    def test_a_claim_abandoned_by_a_dead_process_is_taken_over(
        self, store: Store, clock: Clock
    ) -> None:
        question = ask(store)
        store.claim_forward(question, forwarded_by="U0ASKER", experts_channel=EXPERTS)
        clock.advance(minutes=3)
        again = store.claim_forward(question, forwarded_by="U0ASKER", experts_channel=EXPERTS)
        assert again is not None
        assert again.claimed

    def test_a_posted_forward_is_never_taken_over(self, store: Store, clock: Clock) -> None:
        question = ask(store)
        posted(store, question)
        clock.advance(days=1)
        again = store.claim_forward(question, forwarded_by="U0ASKER", experts_channel=EXPERTS)
        assert again is not None
        assert not again.claimed

    def test_an_unknown_or_purged_question_cannot_be_forwarded(self, store: Store) -> None:
        assert store.claim_forward(404, forwarded_by="U0", experts_channel=EXPERTS) is None
        question = ask(store)
        store.purge(START + dt.timedelta(days=400))
        assert store.claim_forward(question, forwarded_by="U0", experts_channel=EXPERTS) is None

    def test_only_one_of_many_processes_claims(self, make_store: MakeStore) -> None:
        question = ask(make_store())
        stores = [make_store() for _ in range(6)]
        results: list[bool] = []
        barrier = threading.Barrier(len(stores))

        def click(store: Store) -> None:
            barrier.wait()
            claim = store.claim_forward(question, forwarded_by="U0", experts_channel=EXPERTS)
            results.append(claim is not None and claim.claimed)

        threads = [threading.Thread(target=click, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False] * 5 + [True]


class TestThreads:
    def test_the_thread_finds_its_forward(self, store: Store) -> None:
        forward_id = posted(store, ask(store))
        found = store.forward_in_thread(EXPERTS, "1700000050.000100")
        assert found is not None
        assert found.id == forward_id
        assert store.forward_in_thread(EXPERTS, "1700000099.000100") is None
        assert store.forward_in_thread("C0ELSEWHERE", "1700000050.000100") is None

    def test_a_reply_is_kept_once_however_often_slack_sends_it(self, store: Store) -> None:
        forward_id = posted(store, ask(store))
        assert store.record_expert_reply(forward_id, expert_id="U0EXP", text="yes", ts="1.1")
        assert not store.record_expert_reply(forward_id, expert_id="U0EXP", text="yes", ts="1.1")
        forward = store.get_forward(forward_id)
        assert forward is not None
        assert [(r.expert_id, r.text) for r in forward.replies] == [("U0EXP", "yes")]


class TestRelays:
    def test_the_first_reply_is_relayed_at_once(self, store: Store) -> None:
        forward_id = posted(store, ask(store))
        store.record_expert_reply(forward_id, expert_id="U0EXP", text="first", ts="1.1")
        claim = store.claim_relay(forward_id)
        assert [r.text for r in claim.replies] == ["first"]
        store.finish_relay([r.id for r in claim.replies])
        assert store.claim_relay(forward_id).replies == ()

    def test_replies_within_the_minute_wait_and_go_together(
        self, store: Store, clock: Clock
    ) -> None:
        forward_id = posted(store, ask(store))
        store.record_expert_reply(forward_id, expert_id="U0EXP", text="first", ts="1.1")
        store.finish_relay([r.id for r in store.claim_relay(forward_id).replies])
        clock.advance(seconds=10)
        store.record_expert_reply(forward_id, expert_id="U0EXP", text="second", ts="1.2")
        clock.advance(seconds=10)
        store.record_expert_reply(forward_id, expert_id="U0TWO", text="third", ts="1.3")

        waiting = store.claim_relay(forward_id)
        assert waiting.replies == ()
        assert waiting.wait_until == START + RELAY_INTERVAL

        clock.now = START + RELAY_INTERVAL
        batch = store.claim_relay(forward_id)
        assert [r.text for r in batch.replies] == ["second", "third"]

    def test_a_failed_relay_keeps_its_replies_queued(self, store: Store, clock: Clock) -> None:
        forward_id = posted(store, ask(store))
        store.record_expert_reply(forward_id, expert_id="U0EXP", text="first", ts="1.1")
        claim = store.claim_relay(forward_id)
        store.release_relay(forward_id, claim.previous)
        again = store.claim_relay(forward_id)
        assert [r.text for r in again.replies] == ["first"]
        assert store.queued_relays() == [forward_id]

    def test_nothing_queued_means_nothing_to_wait_for(self, store: Store) -> None:
        forward_id = posted(store, ask(store))
        assert store.claim_relay(forward_id) == store.claim_relay(404)
        assert store.claim_relay(forward_id).wait_until is None


class TestDrafts:
    def test_drafts_list_posted_forwards_with_their_replies(self, store: Store) -> None:
        forward_id = posted(store, ask(store))
        store.record_expert_reply(forward_id, expert_id="U0EXP", text="b", ts="1.2")
        store.record_expert_reply(forward_id, expert_id="U0EXP", text="a", ts="1.1")
        unposted = ask(store, "still being posted")
        store.claim_forward(unposted, forwarded_by="U0", experts_channel=EXPERTS)
        [draft] = store.drafts()
        assert draft.question == "do bot turns cost tokens?"
        assert [r.text for r in draft.replies] == ["a", "b"]

    def test_drafts_are_filtered_by_period(self, store: Store, clock: Clock) -> None:
        posted(store, ask(store, "early"), ts="1.0")
        clock.advance(days=2)
        posted(store, ask(store, "late"), ts="2.0")
        since = START + dt.timedelta(days=1)
        assert [d.question for d in store.drafts(since)] == ["late"]


class TestPrivacy:
    def test_retention_removes_question_and_reply_texts(self, store: Store) -> None:
        forward_id = posted(store, ask(store))
        store.record_expert_reply(forward_id, expert_id="U0EXP", text="secret", ts="1.1")
        purged = store.purge(START + dt.timedelta(days=400))
        assert (purged.question_texts, purged.reply_texts) == (1, 1)
        [draft] = store.drafts()
        assert draft.question is None
        assert [r.text for r in draft.replies] == [None]

    def test_forgetting_the_asker_removes_the_forward_and_its_replies(self, store: Store) -> None:
        forward_id = posted(store, ask(store, user="U0ASKER"))
        store.record_expert_reply(forward_id, expert_id="U0EXP", text="answer", ts="1.1")
        kept = posted(store, ask(store, "another's", user="U0OTHER"), ts="2.0")

        removed = store.forget("U0ASKER")

        assert removed.forwards == 1
        assert [d.id for d in store.drafts()] == [kept]
        assert store.get_forward(forward_id) is None

    def test_forgetting_an_expert_removes_their_replies_only(self, store: Store) -> None:
        forward_id = posted(store, ask(store))
        store.record_expert_reply(forward_id, expert_id="U0EXP", text="mine", ts="1.1")
        store.record_expert_reply(forward_id, expert_id="U0TWO", text="theirs", ts="1.2")

        removed = store.forget("U0EXP")

        assert (removed.forwards, removed.expert_replies) == (0, 1)
        [draft] = store.drafts()
        assert [r.text for r in draft.replies] == ["theirs"]

    def test_forgetting_who_clicked_for_someone_else_leaves_no_trace(self, store: Store) -> None:
        question = ask(store, user="U0ASKER")
        claim = store.claim_forward(question, forwarded_by="U0HELPER", experts_channel=EXPERTS)
        assert claim is not None
        store.forward_posted(claim.forward.id, "1.0")
        store.forget("U0HELPER")
        [draft] = store.drafts()
        assert draft.forwarded_by is None
        assert draft.asker_id == "U0ASKER"
