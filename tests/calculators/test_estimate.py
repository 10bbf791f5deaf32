"""estimate(): golden examples, including every acceptance example of the issue."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pytest

from calculators.estimate import Estimate, estimate
from calculators.ratecard import RateCard

MID_MARKET = (
    "card=study-notes copilot=200@55 scoring=500/day translate=5h messaging=5000 "
    "voicebot=1000x5min va=200/day users=200"
)
ENTERPRISE = (
    "card=study-notes copilot=1000 scoring=2000/day translate=50h messaging=50000 "
    "voicebot=5000x4min digitalbot=10000 va=1000/day users=1000"
)


def tokens_by_feature(result: Estimate) -> dict[str, int | None]:
    return {line.feature: line.tokens for line in result.lines}


class TestListCardExample:
    """`copilot=50 va=2000/day`, the design document's example."""

    @pytest.fixture
    def result(self, cards: Mapping[str, RateCard]) -> Estimate:
        return estimate("copilot=50 va=2000/day", cards)

    def test_copilot_is_50_named_users_at_40(self, result: Estimate) -> None:
        copilot = result.lines[0]
        assert (copilot.tokens, copilot.understood) == (2000, "50 named users x 40")

    def test_virtual_agent_is_2000_a_day_for_20_days_at_half_a_token(
        self, result: Estimate
    ) -> None:
        va = result.lines[1]
        assert va.tokens == 20000
        assert va.understood == "2,000/day x 20 working days = 40,000 interactions"
        assert va.rate is not None
        assert va.rate.tokens == Decimal("0.5")

    def test_totals(self, result: Estimate) -> None:
        assert (result.total_tokens, result.free_allocation, result.billable_tokens) == (
            22000,
            250,
            21750,
        )

    def test_cost_in_usd(self, result: Estimate) -> None:
        assert (result.cost.amount, result.cost.currency) == (Decimal("21750.00"), "USD")

    def test_states_named_organization_and_working_days(self, result: Estimate) -> None:
        assert "named organization (no concurrent=)" in result.assumptions
        assert "20 working days per month" in result.assumptions

    def test_is_complete(self, result: Estimate) -> None:
        assert result.complete
        assert result.warnings == ()


class TestConcurrentOrganization:
    def test_uses_60_per_copilot_user_and_350_free(self, cards: Mapping[str, RateCard]) -> None:
        result = estimate("copilot=50 va=2000/day concurrent=50", cards)
        assert tokens_by_feature(result)["copilot"] == 3000
        assert result.free_allocation == 350
        assert result.billable_tokens == 23000 - 350


class TestConcurrentPeak:
    """A concurrent organization's per-user meters bill at most the peak concurrent count."""

    @pytest.fixture
    def result(self, cards: Mapping[str, RateCard]) -> Estimate:
        return estimate("copilot=120 concurrent=80", cards)

    def test_bills_the_peak_not_the_users_typed(self, result: Estimate) -> None:
        (line,) = result.lines
        assert (line.quantity, line.tokens) == (80, 80 * 60)
        assert result.total_tokens == 4800

    def test_the_line_says_so(self, result: Estimate) -> None:
        (line,) = result.lines
        assert line.understood == "120 users, billed at the peak of 80 concurrent users x 60"
        assert line.note is not None
        assert "billed on its peak concurrent users (concurrent=80)" in line.note

    def test_no_contradicting_warning(self, result: Estimate) -> None:
        assert result.warnings == ()

    def test_fewer_users_than_the_peak_are_billed_as_typed(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        (line,) = estimate("copilot=50 concurrent=80", cards).lines
        assert (line.tokens, line.understood) == (3000, "50 concurrent users x 60")

    def test_the_peak_applies_to_an_at_rate_line_too(self, cards: Mapping[str, RateCard]) -> None:
        (line,) = estimate("sta=36@50 concurrent=20", cards).lines
        assert line.tokens == 1000

    def test_a_named_organization_is_not_capped(self, cards: Mapping[str, RateCard]) -> None:
        result = estimate("copilot=120 users=80", cards)
        assert result.total_tokens == 120 * 40
        assert any("users=80" in warning for warning in result.warnings)


class TestStudyNotesExamples:
    def test_mid_market_centre_totals_19810_with_50000_included(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        result = estimate(MID_MARKET, cards)
        assert tokens_by_feature(result) == {
            "copilot": 11000,
            "scoring": 500,
            "translate": 3,
            "messaging": 13,
            "voicebot": 294,
            "va": 8000,
        }
        assert (result.total_tokens, result.free_allocation, result.billable_tokens) == (
            19810,
            50000,
            0,
        )

    def test_enterprise_centre_totals_93527_with_250000_included(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        result = estimate(ENTERPRISE, cards)
        assert (result.total_tokens, result.free_allocation) == (93527, 250000)

    def test_is_labelled_unofficial(self, cards: Mapping[str, RateCard]) -> None:
        result = estimate(MID_MARKET, cards)
        assert result.assumptions[0].startswith("UNOFFICIAL:")

    def test_without_users_counts_the_largest_per_user_line(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        result = estimate("card=study-notes copilot=10", cards)
        assert result.free_allocation == 2500
        assert any("no users= given" in assumption for assumption in result.assumptions)

    def test_study_notes_sta_asks_for_the_spreadsheet_rate(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        result = estimate("card=study-notes sta=10", cards)
        assert result.lines[0].tokens is None
        assert not result.complete


class TestSpeechAndTextAnalytics:
    def test_included_in_cx3(self, cards: Mapping[str, RateCard]) -> None:
        (line,) = estimate("sta=36 tier=cx3", cards).lines
        assert (line.tokens, line.included) == (0, True)
        assert line.note is not None
        assert "included in CX 3" in line.note

    def test_billable_on_cx2(self, cards: Mapping[str, RateCard]) -> None:
        assert estimate("sta=36 tier=cx2", cards).total_tokens == 1620

    def test_tier_not_given_is_an_assumption(self, cards: Mapping[str, RateCard]) -> None:
        result = estimate("sta=36", cards)
        assert "tier not given: STA assumed billable (CX 1/CX 2/CX 4)" in result.assumptions

    def test_concurrent_rate_is_asked_for_not_assumed(self, cards: Mapping[str, RateCard]) -> None:
        result = estimate("sta=36 concurrent=40", cards)
        (line,) = result.lines
        assert (line.tokens, line.exact_tokens, line.rate) == (None, None, None)
        assert line.note == (
            "the concurrent STA rate is not published; add it as sta=36@RATE "
            "from the customer's contract"
        )
        assert not result.complete
        assert result.missing == (line,)

    def test_concurrent_rate_given_with_at_rate(self, cards: Mapping[str, RateCard]) -> None:
        result = estimate("sta=36@50 concurrent=40", cards)
        assert (result.total_tokens, result.complete) == (1800, True)


class TestLines:
    @pytest.mark.parametrize(
        ("text", "exact", "tokens"),
        [
            ("voicebot=300h", "1058.823529411764705882", 1059),
            ("messaging=5000", "12.5", 13),
            ("messaging=4999", "12.4975", 12),
            ("summaries=1000", "20", 20),
            ("scoring=100/day days=22", "110", 110),
            ("translate=120", "60", 60),
            ("digitalbot=1000", "19.607843137254902", 20),
            ("ava=1000", "1200", 1200),
            ("va=1000/week", "2166.666666666666667", 2167),
            ("va=12000/year", "500", 500),
            ("copilot=10@55", "550", 550),
            ("voicebot=1000@1/10", "100", 100),
        ],
    )
    def test_line_tokens(
        self, cards: Mapping[str, RateCard], text: str, exact: str, tokens: int
    ) -> None:
        (line,) = estimate(text, cards).lines
        assert line.exact_tokens is not None
        assert line.exact_tokens.quantize(Decimal("1e-6")) == Decimal(exact).quantize(
            Decimal("1e-6")
        )
        assert line.tokens == tokens

    @pytest.mark.parametrize("text", ["social=500", "routing=100", "engagement=100"])
    def test_unpublished_rate_asks_for_at_rate(
        self, cards: Mapping[str, RateCard], text: str
    ) -> None:
        (line,) = estimate(text, cards).lines
        assert line.tokens is None
        assert line.note is not None
        assert f"{text}@RATE" in line.note

    def test_rate_override_is_marked(self, cards: Mapping[str, RateCard]) -> None:
        (line,) = estimate("copilot=10@55", cards).lines
        assert line.rate is not None
        assert (line.rate.overridden, line.rate.confidence) == (True, None)

    def test_cx4_notes_copilot_reportedly_included_but_keeps_the_rate(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        (line,) = estimate("copilot=5 tier=cx4", cards).lines
        assert line.tokens == 200
        assert line.note is not None
        assert "CX 4 reportedly includes Agent Copilot" in line.note


class TestTotals:
    def test_committed_tokens_are_deducted(self, cards: Mapping[str, RateCard]) -> None:
        result = estimate("copilot=50 committed=1000", cards)
        assert (result.committed_tokens, result.billable_tokens) == (1000, 750)

    def test_billable_is_never_negative(self, cards: Mapping[str, RateCard]) -> None:
        assert estimate("copilot=1", cards).billable_tokens == 0

    def test_cost_in_another_currency(self, cards: Mapping[str, RateCard]) -> None:
        cost = estimate("copilot=50 currency=EUR", cards).cost
        assert (cost.amount, cost.currency) == (Decimal("1400.00"), "EUR")

    def test_cost_in_yen_has_no_decimals(self, cards: Mapping[str, RateCard]) -> None:
        cost = estimate("copilot=50 currency=jpy", cards).cost
        assert str(cost.amount) == "210000"

    def test_given_price_is_used_and_stated(self, cards: Mapping[str, RateCard]) -> None:
        result = estimate("copilot=50 price=0.955", cards)
        assert result.cost.amount == Decimal("1671.25")
        assert "price USD 0.955 per token (price=)" in result.assumptions

    def test_accepts_a_parsed_request_or_argv_list(self, cards: Mapping[str, RateCard]) -> None:
        assert estimate(["copilot=50", "va=2000/day"], cards) == estimate(
            "copilot=50 va=2000/day", cards
        )


class TestOverlaps:
    """Billing rules the separate lines cannot show are named when they apply."""

    @staticmethod
    def texts(result: Estimate) -> str:
        return " ".join(notice.text for notice in result.notices)

    def test_copilot_with_summaries_says_the_summaries_line_may_overstate(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        result = estimate("copilot=50 summaries=5000", cards)
        assert "AI summaries line may overstate" in self.texts(result)
        assert result.notices[0].features == ("copilot", "summaries")

    def test_summaries_alone_names_no_overlap(self, cards: Mapping[str, RateCard]) -> None:
        assert estimate("summaries=5000", cards).notices == ()

    @pytest.mark.parametrize("text", ["va=100 ava=100", "voicebot=100 va=100", "dbot=1 ava=2"])
    def test_bots_and_virtual_agents_are_billed_once_at_the_highest_rate(
        self, cards: Mapping[str, RateCard], text: str
    ) -> None:
        assert "billed once, at the highest rate" in self.texts(estimate(text, cards))

    def test_voice_bot_minutes_note_the_15_second_metering_as_community(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        [notice] = estimate("voicebot=300h", cards).notices
        assert "15-second increments" in notice.text
        assert notice.confidence.value == "community"
        assert notice.source.url.startswith("https://community.genesys.com/")

    def test_the_numbers_do_not_change(self, cards: Mapping[str, RateCard]) -> None:
        """Overlaps are named, never silently subtracted: the estimate stays reproducible."""
        assert estimate("va=100 ava=100", cards).total_tokens == 50 + 120

    def test_the_study_notes_card_reproduces_the_notes_without_caveats(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        assert estimate(MID_MARKET, cards).notices == ()


class TestImplausibleInputs:
    @pytest.mark.parametrize(
        ("text", "says"),
        [
            ("copilot=2m", "copilot=2m: 2,000,000 Copilot users is implausible"),
            ("va=1 users=1000001", "users=1000001: 1,000,001 users is implausible"),
            ("copilot=1 concurrent=5m", "concurrent=5000000: 5,000,000 users is implausible"),
            ("va=20m/day", "va=20m/day: 20,000,000 interactions a day is implausible"),
        ],
    )
    def test_warns_but_still_estimates(
        self, cards: Mapping[str, RateCard], text: str, says: str
    ) -> None:
        result = estimate(text, cards)
        assert any(warning.startswith(says) for warning in result.warnings)
        assert result.total_tokens > 0

    @pytest.mark.parametrize(
        "text", ["copilot=1000000", "va=10m/day", "va=20m", "va=1 users=1000000"]
    )
    def test_large_but_plausible_inputs_are_not_warned_about(
        self, cards: Mapping[str, RateCard], text: str
    ) -> None:
        assert estimate(text, cards).warnings == ()


class TestAssumptionsAreComplete:
    def test_tier_is_always_stated(self, cards: Mapping[str, RateCard]) -> None:
        result = estimate("copilot=5", cards)
        assert "tier not given (no line of this estimate depends on it)" in result.assumptions
