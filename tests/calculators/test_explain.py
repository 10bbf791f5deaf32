"""explain(): the reverse question."""

from __future__ import annotations

from decimal import Decimal

import pytest

from calculators.errors import ExplainError, UnknownFeatureError
from calculators.explain import explain
from calculators.ratecard import Licence, RateCard


class TestExplain:
    def test_1620_sta_tokens_are_36_named_users(self, list_card: RateCard) -> None:
        result = explain(1620, "sta", None, list_card)
        assert (result.quantity, result.licence, result.whole) == (
            Decimal(36),
            Licence.NAMED,
            True,
        )
        assert result.text == "1,620 STA tokens = 36 named users at 45 tokens per user per month"

    def test_voicebot_tokens_are_minutes(self, list_card: RateCard) -> None:
        result = explain(5000, "voicebot", None, list_card)
        assert result.text == "5,000 voice bot tokens = 85,000 minutes at 1 token per 17 minutes"

    def test_says_when_users_are_not_whole(self, list_card: RateCard) -> None:
        result = explain(1000, "sta", "named", list_card)
        assert not result.whole
        assert "not a whole number of named users at 45: 22.2" in result.text

    def test_concurrent_sta_rate_is_unknown(self, list_card: RateCard) -> None:
        result = explain(1620, "sta", "concurrent", list_card)
        assert result.quantity is None
        assert "concurrent STA rate is not published" in result.text

    def test_concurrent_copilot_uses_60(self, list_card: RateCard) -> None:
        assert explain(600, "ac", "Concurrent", list_card).quantity == Decimal(10)

    def test_rejects_negative_tokens(self, list_card: RateCard) -> None:
        with pytest.raises(ExplainError, match="at least 0"):
            explain(-1, "sta", None, list_card)

    def test_rejects_unknown_licence(self, list_card: RateCard) -> None:
        with pytest.raises(ExplainError, match="named, concurrent"):
            explain(10, "sta", "hourly", list_card)

    def test_rejects_unknown_feature(self, list_card: RateCard) -> None:
        with pytest.raises(UnknownFeatureError, match="did you mean sta"):
            explain(10, "stq", None, list_card)

    def test_study_notes_explanation_is_labelled_unofficial(self, notes_card: RateCard) -> None:
        result = explain(100, "va", None, notes_card)
        assert result.quantity == Decimal(50)
        assert result.notes[0].startswith("UNOFFICIAL")
