"""The curator's reports, computed from a store filled in each test (on each backend)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.errors import UsageError
from bot.store import Store
from bot.store.reports import (
    LOW_CONFIDENCE,
    Period,
    as_json,
    feedback_report,
    gaps_report,
    iso_week,
    usage_report,
)
from knowledge.entries import Entry
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index
from tests.bot.store.conftest import MakeStore

MONDAY = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)  # ISO week 2026-W47


class Clock:
    """A settable clock, so each row is stored at the moment the test says."""

    def __init__(self) -> None:
        self.now = MONDAY

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock, make_store: MakeStore) -> Store:
    """On each backend: the reports read the same rows from either."""
    return make_store(clock=clock)


@pytest.fixture
def entries(knowledge: tuple[KnowledgeBase, Index]) -> dict[str, Entry]:
    return {entry.id: entry for entry in knowledge[0].entries}


def ask(
    store: Store,
    text: str,
    *,
    entry_id: str | None = None,
    score: float = 0.1,
    user: str = "U1",
) -> None:
    store.record_question(text=text, entry_id=entry_id, score=score, user_id=user, channel_id="C1")


class TestGapsReport:
    def test_groups_near_identical_questions(
        self, store: Store, knowledge: tuple[KnowledgeBase, Index], entries: dict[str, Entry]
    ) -> None:
        ask(store, "Can I pay tokens with pizza?")
        ask(store, "can i pay my tokens with pizza")
        ask(store, "can I pay tokens with pizza?!")
        ask(store, "what is the token cost in japanese yen?")

        report = gaps_report(store.questions(), knowledge[1], entries)

        assert [group.count for group in report.groups] == [3, 1]
        assert report.groups[0].question == "Can I pay tokens with pizza?"
        assert set(report.groups[0].wordings) == {
            "can i pay my tokens with pizza",
            "can I pay tokens with pizza?!",
        }

    def test_most_frequent_first(
        self, store: Store, knowledge: tuple[KnowledgeBase, Index], entries: dict[str, Entry]
    ) -> None:
        ask(store, "what is the token cost in japanese yen?")
        for _ in range(2):
            ask(store, "do tokens expire on public holidays?")

        report = gaps_report(store.questions(), knowledge[1], entries)

        assert [g.question for g in report.groups] == [
            "do tokens expire on public holidays?",
            "what is the token cost in japanese yen?",
        ]

    def test_low_confidence_answers_are_gaps_but_confident_ones_are_not(
        self, store: Store, knowledge: tuple[KnowledgeBase, Index], entries: dict[str, Entry]
    ) -> None:
        ask(store, "sta tokens per user monthly?", entry_id="sta-per-user-rate", score=0.5)
        ask(store, "what does copilot cost per user?", entry_id="agent-copilot-rate", score=0.9)

        report = gaps_report(store.questions(), knowledge[1], entries)

        [group] = report.groups
        assert group.question == "sta tokens per user monthly?"
        assert (group.unanswered, group.low_confidence) == (0, 1)
        assert LOW_CONFIDENCE > 0.5

    def test_each_group_names_its_closest_entry(
        self, store: Store, knowledge: tuple[KnowledgeBase, Index], entries: dict[str, Entry]
    ) -> None:
        ask(store, "how many tokens does an STA user use per month?")

        [group] = gaps_report(store.questions(), knowledge[1], entries).groups

        assert group.closest is not None
        assert group.closest.entry_id == "sta-per-user-rate"
        assert group.closest.question == entries["sta-per-user-rate"].question

    def test_questions_about_other_kinds_of_token_are_not_gaps(
        self, store: Store, knowledge: tuple[KnowledgeBase, Index], entries: dict[str, Entry]
    ) -> None:
        ask(store, "how do I refresh my slack bot token?")
        assert gaps_report(store.questions(), knowledge[1], entries).groups == ()

    def test_purged_questions_are_left_out(
        self,
        store: Store,
        clock: Clock,
        knowledge: tuple[KnowledgeBase, Index],
        entries: dict[str, Entry],
    ) -> None:
        ask(store, "can I pay tokens with pizza?")
        store.purge(MONDAY + dt.timedelta(days=400))
        report = gaps_report(store.questions(), knowledge[1], entries)
        assert (report.questions, report.groups) == (0, ())

    def test_only_the_period_is_reported(
        self,
        store: Store,
        clock: Clock,
        knowledge: tuple[KnowledgeBase, Index],
        entries: dict[str, Entry],
    ) -> None:
        ask(store, "an old question about pizza tokens")
        clock.now = MONDAY + dt.timedelta(days=10)
        ask(store, "a new question about yen tokens")
        period = Period(since=(MONDAY + dt.timedelta(days=5)).date())

        report = gaps_report(store.questions(*period.bounds()), knowledge[1], entries, period)

        assert [g.question for g in report.groups] == ["a new question about yen tokens"]


class TestFeedbackReport:
    def test_entries_are_ranked_by_not_helpful_votes(
        self, store: Store, entries: dict[str, Entry]
    ) -> None:
        store.record_feedback(entry_id="overage-price", question="a", helpful=False, user_id="U1")
        for user in ("U1", "U2"):
            store.record_feedback(
                entry_id="sta-per-user-rate", question="b", helpful=False, user_id=user
            )
        store.record_feedback(entry_id="token-model", question="c", helpful=True, user_id="U1")

        report = feedback_report(store.votes(), entries)

        assert [(e.entry_id, e.not_helpful, e.helpful) for e in report.entries] == [
            ("sta-per-user-rate", 2, 0),
            ("overage-price", 1, 0),
            ("token-model", 0, 1),
        ]
        assert report.votes == 4

    def test_lists_the_questions_that_led_to_not_helpful(
        self, store: Store, entries: dict[str, Entry]
    ) -> None:
        for user, question in (("U1", "why 45?"), ("U2", "why 45?"), ("U3", "is it 45 always?")):
            store.record_feedback(
                entry_id="sta-per-user-rate", question=question, helpful=False, user_id=user
            )
        store.record_feedback(
            entry_id="sta-per-user-rate", question="thanks", helpful=True, user_id="U4"
        )

        [entry] = feedback_report(store.votes(), entries).entries

        assert entry.asked == (("why 45?", 2), ("is it 45 always?", 1))
        assert entry.question == entries["sta-per-user-rate"].question

    def test_a_changed_vote_counts_once(self, store: Store, entries: dict[str, Entry]) -> None:
        for helpful in (False, True):
            store.record_feedback(
                entry_id="token-model", question="q", helpful=helpful, user_id="U1"
            )
        [entry] = feedback_report(store.votes(), entries).entries
        assert (entry.not_helpful, entry.helpful) == (0, 1)

    def test_an_entry_no_longer_in_the_knowledge_base_is_still_listed(
        self, store: Store, entries: dict[str, Entry]
    ) -> None:
        store.record_feedback(entry_id="retired-entry", question="q", helpful=False, user_id="U1")
        [entry] = feedback_report(store.votes(), entries).entries
        assert (entry.entry_id, entry.question) == ("retired-entry", None)


class TestUsageReport:
    def test_counts_questions_estimates_and_distinct_users_per_iso_week(
        self, store: Store, clock: Clock
    ) -> None:
        ask(store, "q1", user="U1")
        ask(store, "q2", user="U1")
        store.save_estimate(
            user_id="U2",
            channel_id="C1",
            input_text="copilot=5",
            card="list",
            result_for=lambda ref: {"reference": ref},
        )
        clock.now = MONDAY + dt.timedelta(days=7)
        ask(store, "q3", user="U3")

        report = usage_report(store.activity())

        assert [(w.week, w.questions, w.estimates, w.users) for w in report.weeks] == [
            ("2026-W47", 2, 1, 2),
            ("2026-W48", 1, 0, 1),
        ]
        assert report.weeks[0].starts == MONDAY.date()

    def test_sunday_belongs_to_the_week_of_its_monday(self) -> None:
        sunday = MONDAY + dt.timedelta(days=6, hours=14)
        assert iso_week(sunday) == ("2026-W47", MONDAY.date())

    def test_iso_weeks_cross_the_new_year(self) -> None:
        assert iso_week(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))[0] == "2026-W53"

    def test_an_empty_database_has_no_weeks(self, store: Store) -> None:
        assert usage_report(store.activity()).weeks == ()


class TestJson:
    def test_report_json_names_the_report_and_uses_iso_dates(self, store: Store) -> None:
        ask(store, "q")
        data = as_json(usage_report(store.activity(), Period(MONDAY.date(), MONDAY.date())))
        assert data["report"] == "usage"
        assert data["period"] == {"since": "2026-11-16", "until": "2026-11-16"}
        assert data["weeks"][0]["starts"] == "2026-11-16"


class TestPeriod:
    def test_until_includes_its_whole_day(self) -> None:
        _, end = Period(until=dt.date(2026, 11, 30)).bounds()
        assert end == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    def test_a_period_that_ends_before_it_starts_is_refused(self) -> None:
        with pytest.raises(UsageError, match="swap"):
            Period(dt.date(2026, 12, 1), dt.date(2026, 11, 1))
