"""Hypothesis properties of the grammar and the calculator."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculators.compare import compare
from calculators.errors import CalculatorError
from calculators.estimate import estimate
from calculators.ratecard import RateCard
from knowledge.loader import load_cards

CARDS: Mapping[str, RateCard] = load_cards()
VOLUME_FEATURES = ["summaries", "scoring", "translate", "voicebot", "digitalbot", "va", "ava"]
ALPHABET = "copilotvasumrxyz=,/@._kmh 0123456789-eE\t"

quantities = st.integers(min_value=0, max_value=10**9)
periods = st.sampled_from(["", "/day", "/week", "/month", "/year"])


@st.composite
def estimates(draw: st.DrawFn) -> str:
    """A valid estimate line over volume features, copilot and settings."""
    keys = draw(st.lists(st.sampled_from(VOLUME_FEATURES), min_size=1, unique=True))
    terms = [f"{key}={draw(quantities)}{draw(periods)}" for key in keys]
    if draw(st.booleans()):
        terms.append(f"copilot={draw(quantities)}")
    if draw(st.booleans()):
        terms.append(f"concurrent={draw(st.integers(0, 10**6))}")
    if draw(st.booleans()):
        terms.append(f"days={draw(st.integers(1, 31))}")
    return " ".join(draw(st.permutations(terms)))


class TestProperties:
    @given(st.text(alphabet=ALPHABET, max_size=60) | st.text(max_size=40))
    @settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
    def test_any_text_parses_or_raises_a_calculator_error(self, text: str) -> None:
        try:
            estimate(text, CARDS)
        except CalculatorError as exc:
            message = str(exc)
        else:
            return
        assert message
        assert "\n" not in message

    @given(estimates())
    def test_total_is_the_sum_of_the_lines(self, text: str) -> None:
        result = estimate(text, CARDS)
        assert result.total_tokens == sum(line.tokens or 0 for line in result.lines)
        assert result.billable_tokens == max(0, result.total_tokens - result.free_allocation)

    @given(
        st.sampled_from([*VOLUME_FEATURES, "copilot", "sta"]),
        periods,
        quantities,
        quantities,
    )
    def test_more_quantity_never_means_fewer_tokens(
        self, key: str, period: str, first: int, second: int
    ) -> None:
        if key in ("copilot", "sta"):
            period = ""
        low, high = sorted((first, second))
        small = estimate(f"{key}={low}{period}", CARDS)
        large = estimate(f"{key}={high}{period}", CARDS)
        assert small.total_tokens <= large.total_tokens
        assert small.cost.amount <= large.cost.amount

    @given(estimates())
    def test_same_input_gives_the_same_result(self, text: str) -> None:
        assert estimate(text, CARDS) == estimate(text, CARDS)

    @given(st.integers(0, 10**6), st.integers(0, 10**6))
    def test_concurrent_per_user_lines_never_exceed_the_peak(self, users: int, peak: int) -> None:
        (line,) = estimate(f"copilot={users} concurrent={peak}", CARDS).lines
        assert line.quantity == min(users, peak)
        assert line.tokens == min(users, peak) * 60

    @given(estimates())
    def test_compare_shows_each_card_as_its_own_estimate(self, text: str) -> None:
        result = compare(text, CARDS)
        for side, card in ((result.first, "list"), (result.second, "study-notes")):
            alone = estimate(f"{side.input} card={card}", CARDS)
            assert side.estimate.total_tokens == alone.total_tokens
