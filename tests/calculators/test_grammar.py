"""The estimate grammar: golden tables of what each term means, and what is refused."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pytest

from calculators.errors import (
    CalculatorError,
    GrammarError,
    UnitError,
    UnknownCardError,
    UnknownCurrencyError,
    UnknownFeatureError,
)
from calculators.grammar import Period, parse_number, parse_terms, parse_tier, split_terms
from calculators.ratecard import InputUnit, Licence, RateCard, Tier


class TestSplitTerms:
    @pytest.mark.parametrize(
        ("text", "terms"),
        [
            ("copilot=50 va=2000/day", ["copilot=50", "va=2000/day"]),
            ("copilot=50,va=2000/day", ["copilot=50", "va=2000/day"]),
            ("copilot=50, va=2000", ["copilot=50", "va=2000"]),
            ("va=10,000", ["va=10,000"]),
            ("va=10,000/day", ["va=10,000/day"]),
            ("va=10,copilot=5", ["va=10", "copilot=5"]),
            ("va=10,000,copilot=5", ["va=10,000", "copilot=5"]),
            ("va=1,234,567", ["va=1,234,567"]),
            ("voicebot=1,000x5min", ["voicebot=1,000x5min"]),
            ("  va=1 ,, copilot=2  ", ["va=1", "copilot=2"]),
            ("va=10,0000", ["va=10", "0000"]),
        ],
    )
    def test_splits_on_spaces_and_non_thousands_commas(self, text: str, terms: list[str]) -> None:
        assert split_terms(text) == terms

    def test_accepts_an_argv_list(self) -> None:
        assert split_terms(["copilot=50", "va=1,000"]) == ["copilot=50", "va=1,000"]


class TestNumbers:
    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("1500", "1500"),
            ("1.5k", "1500"),
            ("2m", "2000000"),
            ("2M", "2000000"),
            ("10_000", "10000"),
            ("10,000", "10000"),
            ("0", "0"),
            (".5", "0.5"),
            ("1000000000000", "1000000000000"),
        ],
    )
    def test_reads_number(self, text: str, value: str) -> None:
        assert parse_number(text) == Decimal(value)

    @pytest.mark.parametrize(
        ("text", "says"),
        [
            ("-3", "negative"),
            ("abc", "not a number"),
            ("nan", "not a number"),
            ("inf", "not a number"),
            ("1e400", "exponents"),
            ("1,00", "misplaced separators"),
            ("1000000000001", "too large"),
            ("1.0000001", "decimals"),
            ("", "not a number"),
        ],
    )
    def test_rejects_bad_number(self, text: str, says: str) -> None:
        with pytest.raises(GrammarError, match=says):
            parse_number(text)


class TestTiers:
    @pytest.mark.parametrize("text", ["cx3", "CX3", "gcx3", "cx-3", "3", "Cx_3"])
    def test_reads_tier_spellings(self, text: str) -> None:
        assert parse_tier(text) is Tier.CX3

    def test_rejects_unknown_tier(self) -> None:
        with pytest.raises(GrammarError, match=r"cx1, cx2, cx3, cx4"):
            parse_tier("cx5")


QUANTITIES = [
    # text, feature, amount per period, period, time unit
    ("va=2000", "va", "2000", Period.MONTH, None),
    ("VA=2000/day", "va", "2000", Period.DAY, None),
    ("virtual-agent=2k/d", "va", "2000", Period.DAY, None),
    ("Virtual_Agent=1.5k/week", "va", "1500", Period.WEEK, None),
    ("va=12000/yr", "va", "12000", Period.YEAR, None),
    ("va=300/mo", "va", "300", Period.MONTH, None),
    ("voicebot=300h", "voicebot", "18000", Period.MONTH, InputUnit.HOUR),
    ("vbot=1000x5min", "voicebot", "5000", Period.MONTH, InputUnit.MINUTE),
    ("bot-minutes=5minsx1000", "voicebot", "5000", Period.MONTH, InputUnit.MINUTE),
    ("voicebot=100x2hours/day", "voicebot", "12000", Period.DAY, InputUnit.HOUR),
    ("voicebot=1.5kmin", "voicebot", "1500", Period.MONTH, InputUnit.MINUTE),
    ("voicebot=2m", "voicebot", "2000000", Period.MONTH, None),
    ("chatbot=1000sessions", "digitalbot", "1000", Period.MONTH, None),
    ("ac=50", "copilot", "50", Period.MONTH, None),
    ("copilot=2x25", "copilot", "50", Period.MONTH, None),
    ("whatsapp=10,000", "messaging", "10000", Period.MONTH, None),
    ("agentic=500", "ava", "500", Period.MONTH, None),
    ("pr=100", "routing", "100", Period.MONTH, None),
]


class TestFeatureTerms:
    @pytest.mark.parametrize(("text", "key", "amount", "period", "unit"), QUANTITIES)
    def test_reads_quantity(
        self,
        cards: Mapping[str, RateCard],
        text: str,
        key: str,
        amount: str,
        period: Period,
        unit: InputUnit | None,
    ) -> None:
        (term,) = parse_terms(text, cards).terms
        assert (term.key, term.amount, term.period, term.time_unit) == (
            key,
            Decimal(amount),
            period,
            unit,
        )

    def test_reads_rate_override(self, cards: Mapping[str, RateCard]) -> None:
        (term,) = parse_terms("copilot=200@55", cards).terms
        assert term.rate is not None
        assert (term.rate.tokens, term.rate.per) == (Decimal(55), Decimal(1))

    def test_reads_rate_override_per_units(self, cards: Mapping[str, RateCard]) -> None:
        (term,) = parse_terms("voicebot=300h@1/17", cards).terms
        assert term.rate is not None
        assert (term.rate.tokens, term.rate.per) == (Decimal(1), Decimal(17))

    def test_keeps_terms_in_typed_order(self, cards: Mapping[str, RateCard]) -> None:
        request = parse_terms("va=1 users=3 copilot=2", cards)
        assert [term.key for term in request.terms] == ["va", "copilot"]


class TestSettings:
    def test_defaults_to_named_list_card(self, cards: Mapping[str, RateCard]) -> None:
        request = parse_terms("va=1", cards)
        assert request.card.name == "list"
        assert request.settings.licence is Licence.NAMED

    def test_reads_every_setting(self, cards: Mapping[str, RateCard]) -> None:
        request = parse_terms(
            "va=1 concurrent=50 tier=CX2 days=22 price=0.95 currency=eur committed=1.6k", cards
        )
        settings = request.settings
        assert settings.licence is Licence.CONCURRENT
        assert (settings.concurrent, settings.tier, settings.days) == (50, Tier.CX2, 22)
        assert (settings.price, settings.currency, settings.committed) == (
            Decimal("0.95"),
            "EUR",
            1600,
        )

    def test_card_term_may_come_anywhere(self, cards: Mapping[str, RateCard]) -> None:
        request = parse_terms("translate=5h card=Study-Notes", cards)
        assert request.card.name == "study-notes"

    def test_price_allows_a_currency_the_card_lacks(self, cards: Mapping[str, RateCard]) -> None:
        request = parse_terms("va=1 currency=CHF price=0.9", cards)
        assert request.settings.currency == "CHF"


REFUSED: list[tuple[str, type[CalculatorError], str]] = [
    ("copliot=5", UnknownFeatureError, "did you mean copilot"),
    ("vaa=5", UnknownFeatureError, "did you mean va"),
    ("usrs=5 va=1", GrammarError, "did you mean users="),
    ("va=1 virtual-agent=2", GrammarError, "va is given twice"),
    ("users=1 users=2 va=1", GrammarError, "users= is given twice"),
    ("card=list card=list va=1", GrammarError, "card= is given twice"),
    ("users=5 concurrent=4 va=1", GrammarError, "both given"),
    ("", GrammarError, "nothing to estimate"),
    ("users=5", GrammarError, "nothing to estimate"),
    ("copilot", GrammarError, "not FEATURE=QUANTITY"),
    ("=5", GrammarError, "missing a feature"),
    ("va=", GrammarError, "missing quantity"),
    ("va=-3", GrammarError, "negative"),
    ("va=abc", GrammarError, "not a number"),
    ("va=1e400", GrammarError, "exponents"),
    ("va=5000000000000", GrammarError, "too large"),
    ("va=5kg", UnitError, "unknown unit 'kg'"),
    ("va=5/fortnight", GrammarError, "unknown period"),
    ("va=5/dya", GrammarError, "did you mean day"),
    ("va=1x2x3", GrammarError, "at most one product"),
    ("va=1@2@3", GrammarError, "at most one @RATE"),
    ("va=1@", GrammarError, "needs a rate"),
    ("va=1@1/0", GrammarError, "M above 0"),
    ("va=5h", UnitError, "metered in interactions"),
    ("translate=5h", UnitError, "metered in translations"),
    ("voicebot=5hx3min", UnitError, "one side"),
    ("copilot=50/day", GrammarError, "per user per month"),
    ("copilot=2.5", GrammarError, "whole number"),
    ("users=2.5 va=1", GrammarError, "whole number"),
    ("days=40 va=1/day", GrammarError, "1 to 31"),
    ("days=0 va=1/day", GrammarError, "1 to 31"),
    ("tier=cx9 va=1", GrammarError, "unknown tier"),
    ("currency=EURO va=1", GrammarError, "three-letter"),
    ("currency=XYZ va=1", UnknownCurrencyError, "USD, EUR"),
    ("currency=ERU va=1", UnknownCurrencyError, "did you mean EUR"),
    ("card=study-notes currency=EUR va=1", UnknownCurrencyError, "prices in USD"),
    ("card=stdy-notes va=1", UnknownCardError, "did you mean study-notes"),
    ("card=nope va=1", UnknownCardError, "cards: list, study-notes"),
    ("card= va=1", GrammarError, "missing card name"),
]


class TestRefusals:
    @pytest.mark.parametrize(("text", "error", "says"), REFUSED)
    def test_refuses_with_a_message_naming_the_problem(
        self, cards: Mapping[str, RateCard], text: str, error: type[CalculatorError], says: str
    ) -> None:
        with pytest.raises(error, match=says) as caught:
            parse_terms(text, cards)
        assert "\n" not in str(caught.value)

    def test_translate_in_minutes_is_fine_on_the_study_notes_card(
        self, cards: Mapping[str, RateCard]
    ) -> None:
        (term,) = parse_terms("card=study-notes translate=5h", cards).terms
        assert term.amount == Decimal(300)


FULL_WIDTH_120 = "\uff11\uff12\uff10"
ARABIC_INDIC_50 = "\u0665\u0660"


class TestOtherDigits:
    """Python's Decimal reads full-width digits; the grammar refuses them instead."""

    @pytest.mark.parametrize(
        "text",
        [
            f"va={FULL_WIDTH_120}",
            f"copilot={ARABIC_INDIC_50}",
            f"va=1{FULL_WIDTH_120}/day",
            f"copilot=5@{FULL_WIDTH_120}",
            f"copilot=5 days={FULL_WIDTH_120}",
            f"voicebot=1000x{FULL_WIDTH_120}min",
        ],
    )
    def test_refuses_digits_that_are_not_0_to_9(
        self, cards: Mapping[str, RateCard], text: str
    ) -> None:
        with pytest.raises(GrammarError, match="not ASCII digits") as caught:
            parse_terms(text, cards)
        assert "type the number with 0-9" in str(caught.value)

    def test_names_the_term(self, cards: Mapping[str, RateCard]) -> None:
        with pytest.raises(GrammarError, match=f"^va={FULL_WIDTH_120}: "):
            parse_terms(f"copilot=5 va={FULL_WIDTH_120}", cards)

    def test_a_plain_number_is_refused_too(self) -> None:
        with pytest.raises(GrammarError, match="not ASCII digits"):
            parse_number(FULL_WIDTH_120)
