"""compare(): the list card beside the study notes, and scenario A beside scenario B."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from calculators.compare import CellState, Comparison, Mode, compare
from calculators.errors import GrammarError, UnknownFeatureError
from calculators.ratecard import RateCard

MID_MARKET = "copilot=200 scoring=500/day messaging=5000 voicebot=1000x5min va=200/day users=200"


def by_feature(result: Comparison) -> dict[str, tuple[int | None, int | None, int | None]]:
    return {
        line.feature: (line.first.tokens, line.second.tokens, line.difference)
        for line in result.lines
    }


class TestListBesideStudyNotes:
    @pytest.fixture
    def result(self, cards: Mapping[str, RateCard]) -> Comparison:
        return compare(MID_MARKET, cards)

    def test_puts_the_list_card_first_and_the_study_notes_second(self, result: Comparison) -> None:
        assert result.mode is Mode.CARDS
        assert (result.first.estimate.card.name, result.second.estimate.card.name) == (
            "list",
            "study-notes",
        )

    def test_totals_10807_beside_18807_and_billable_10557(self, result: Comparison) -> None:
        first, second = result.first.estimate, result.second.estimate
        assert (first.total_tokens, second.total_tokens) == (10807, 18807)
        assert (first.billable_tokens, second.billable_tokens) == (10557, 0)
        assert (first.free_allocation, second.free_allocation) == (250, 50000)

    def test_each_line_has_both_figures_and_the_difference(self, result: Comparison) -> None:
        assert by_feature(result) == {
            "copilot": (8000, 10000, 2000),
            "scoring": (500, 500, 0),
            "messaging": (13, 13, 0),
            "voicebot": (294, 294, 0),
            "va": (2000, 8000, 6000),
        }

    def test_the_verdict_states_what_the_notes_miss(self, result: Comparison) -> None:
        assert result.verdict == (
            "The study notes show 18,807 tokens and no overage; at list rates this org is "
            "billed 10,557 tokens, USD 10,557.00 a month."
        )

    def test_the_differences_of_the_totals(self, result: Comparison) -> None:
        assert (result.total_difference, result.billable_difference) == (8000, -10557)


class TestNotComparable:
    def test_a_term_one_card_cannot_read_is_not_comparable_on_that_side(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        result = compare("copilot=10 translate=5h", cards)
        [translate] = [line for line in result.lines if line.feature == "translate"]
        assert translate.first.state is CellState.NOT_READ
        assert translate.first.reason is not None
        assert "metered in translations" in translate.first.reason
        assert (translate.second.state, translate.second.tokens) == (CellState.PRICED, 3)
        assert translate.difference is None
        assert result.first.partial
        assert not result.second.partial
        assert result.first.estimate.total_tokens == 400

    def test_a_rate_one_card_does_not_publish_is_not_comparable_either(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        [sta] = compare("sta=10", cards).lines
        assert (sta.first.tokens, sta.second.state) == (450, CellState.NO_RATE)
        assert sta.difference is None

    def test_partial_totals_say_at_least(self, cards: Mapping[str, RateCard]) -> None:
        result = compare("copilot=10 translate=5h", cards)
        assert "billed at least 150 tokens" in result.verdict

    def test_a_term_neither_card_reads_is_an_error(self, cards: Mapping[str, RateCard]) -> None:
        with pytest.raises(UnknownFeatureError, match="did you mean copilot"):
            compare("copliot=10", cards)

    def test_a_currency_one_card_lacks_is_noted_not_refused(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        result = compare("copilot=10 currency=EUR", cards)
        assert result.first.estimate.cost.currency == "EUR"
        assert result.second.estimate.cost.currency == "USD"
        assert any("no EUR price" in note for note in result.second.notes)


class TestScenarios:
    def test_compares_two_scenarios_on_one_card(self, cards: Mapping[str, RateCard]) -> None:
        result = compare("copilot=200 users=200 vs copilot=250 va=5k users=200", cards)
        assert result.mode is Mode.SCENARIOS
        assert by_feature(result) == {"copilot": (8000, 10000, 2000), "va": (None, 2500, 2500)}
        [_, va] = result.lines
        assert va.first.state is CellState.ABSENT
        assert result.verdict.startswith(
            "B is billed 4,500 more tokens a month than A (USD 4,500.00 more)"
        )

    def test_card_on_one_side_applies_to_both(self, cards: Mapping[str, RateCard]) -> None:
        result = compare("va=100 card=study-notes vs va=200", cards)
        assert {result.first.estimate.card.name, result.second.estimate.card.name} == {
            "study-notes"
        }

    def test_two_different_cards_are_refused(self, cards: Mapping[str, RateCard]) -> None:
        with pytest.raises(GrammarError, match="on one card"):
            compare("va=1 card=list vs va=1 card=study-notes", cards)

    def test_the_same_billable_says_so(self, cards: Mapping[str, RateCard]) -> None:
        result = compare("copilot=1 vs copilot=2", cards)
        assert result.verdict.startswith("A and B are billed the same: 0 tokens a month")

    @pytest.mark.parametrize(
        ("text", "says"),
        [
            ("vs copilot=5", "nothing before 'vs'"),
            ("copilot=5 vs", "nothing after 'vs'"),
            ("copilot=5 vs copilot=6 vs copilot=7", "give 'vs' once"),
            ("users=5 vs copilot=6", "scenario A has nothing to estimate"),
        ],
    )
    def test_malformed_vs_is_refused(
        self, cards: Mapping[str, RateCard], text: str, says: str
    ) -> None:
        with pytest.raises(GrammarError, match=says):
            compare(text, cards)


class TestCardsModeRefusals:
    def test_card_is_refused_without_vs(self, cards: Mapping[str, RateCard]) -> None:
        with pytest.raises(GrammarError, match="drop card="):
            compare("copilot=5 card=study-notes", cards)

    def test_nothing_to_compare(self, cards: Mapping[str, RateCard]) -> None:
        with pytest.raises(GrammarError, match="nothing to compare"):
            compare("users=5", cards)
