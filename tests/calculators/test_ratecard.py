"""What ships: both cards load, every rate is sourced, names resolve; and the validators bite."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import ValidationError

from calculators.errors import UnknownFeatureError
from calculators.ratecard import Confidence, RateCard

FEATURE_KEYS = [
    "copilot",
    "sta",
    "summaries",
    "scoring",
    "translate",
    "voicebot",
    "digitalbot",
    "va",
    "ava",
    "messaging",
    "social",
    "routing",
    "engagement",
]


class TestShippedCards:
    def test_both_cards_load(self, cards: Mapping[str, RateCard]) -> None:
        assert set(cards) == {"list", "study-notes"}

    @pytest.mark.parametrize("name", ["list", "study-notes"])
    def test_card_has_every_feature(self, cards: Mapping[str, RateCard], name: str) -> None:
        assert list(cards[name].features) == FEATURE_KEYS

    @pytest.mark.parametrize("name", ["list", "study-notes"])
    def test_every_rate_has_a_source_and_a_confidence(
        self, cards: Mapping[str, RateCard], name: str
    ) -> None:
        card = cards[name]
        for feature in card.features.values():
            assert feature.source.url.startswith("https://")
            assert feature.source.title
            assert isinstance(feature.confidence, Confidence)
        assert card.free_allocation.source.url.startswith("https://")
        assert card.prices.source.url.startswith("https://")

    def test_list_card_rates_follow_the_facts_sheet(self, list_card: RateCard) -> None:
        values = list_card.placeholders()
        assert (
            values["copilot.rate"] == "40 tokens per named user per month (60 per concurrent user)"
        )
        assert values["voicebot.rate"] == "1 token per 17 minutes"
        assert values["va.rate"] == "0.5 token per interaction"
        assert values["ava.rate"] == "1.2 tokens per interaction"
        assert values["sta.named"] == "45"
        assert values["sta.concurrent"] == "not published"
        assert values["social.rate"] == "not published"
        assert values["allocation.named"] == "250"
        assert values["allocation.concurrent"] == "350"
        assert values["price.EUR"] == "0.80"
        assert values["price.JPY"] == "120"
        assert values["card.effective"] == "2026-06-07"

    def test_placeholders_cover_the_readme_keys(self, list_card: RateCard) -> None:
        values = list_card.placeholders()
        for key in FEATURE_KEYS:
            assert {f"{key}.name", f"{key}.rate", f"{key}.unit"} <= set(values)
        assert {"copilot.named", "copilot.concurrent", "voicebot.tokens", "voicebot.per"} <= set(
            values
        )

    def test_list_card_is_official_and_study_notes_is_not(
        self, list_card: RateCard, notes_card: RateCard
    ) -> None:
        assert (list_card.official, notes_card.official) == (True, False)

    def test_study_notes_figures_are_seed_only(self, notes_card: RateCard) -> None:
        confidences = {feature.confidence for feature in notes_card.features.values()}
        assert confidences == {Confidence.SEED_ONLY}
        assert notes_card.free_allocation.basis == "user"


class TestResolve:
    @pytest.mark.parametrize(
        ("typed", "key"),
        [
            ("VA", "va"),
            ("Virtual Agent", "va"),
            ("virtual_agent", "va"),
            ("agentic-va", "ava"),
            ("vbot", "voicebot"),
            ("chatbot", "digitalbot"),
            ("AC", "copilot"),
            ("analytics", "sta"),
            ("supervisor-copilot", "summaries"),
            ("evals", "scoring"),
            ("translation", "translate"),
            ("WhatsApp", "messaging"),
            ("pr", "routing"),
            ("pe", "engagement"),
        ],
    )
    def test_resolves_aliases(self, list_card: RateCard, typed: str, key: str) -> None:
        assert list_card.resolve(typed) == key

    def test_suggests_a_near_miss(self, list_card: RateCard) -> None:
        with pytest.raises(UnknownFeatureError, match="did you mean copilot"):
            list_card.resolve("copliot")


def card_data(list_card: RateCard) -> dict[str, Any]:
    return list_card.model_dump(mode="json")


class TestValidators:
    def test_rejects_an_alias_used_by_two_features(self, list_card: RateCard) -> None:
        data = card_data(list_card)
        data["features"]["ava"]["aliases"].append("Virtual-Agent")
        with pytest.raises(ValidationError, match="collides with feature va"):
            RateCard.model_validate(data)

    def test_rejects_an_alias_that_shadows_a_setting(self, list_card: RateCard) -> None:
        data = card_data(list_card)
        data["features"]["va"]["aliases"].append("users")
        with pytest.raises(ValidationError, match="collides with setting users="):
            RateCard.model_validate(data)

    def test_rejects_a_negative_rate(self, list_card: RateCard) -> None:
        data = card_data(list_card)
        data["features"]["va"]["tokens"] = "-0.5"
        with pytest.raises(ValidationError, match="greater than or equal to 0"):
            RateCard.model_validate(data)

    def test_rejects_unknown_fields(self, list_card: RateCard) -> None:
        data = card_data(list_card)
        data["features"]["va"]["colour"] = "blue"
        with pytest.raises(ValidationError, match="Extra inputs"):
            RateCard.model_validate(data)

    def test_rejects_time_units_on_a_non_minute_meter(self, list_card: RateCard) -> None:
        data = card_data(list_card)
        data["features"]["translate"]["input_units"] = ["h"]
        with pytest.raises(ValidationError, match="minute-metered"):
            RateCard.model_validate(data)

    def test_round_trips(self, list_card: RateCard) -> None:
        assert RateCard.model_validate(card_data(list_card)) == list_card


class TestCaveats:
    def test_list_card_names_the_overlaps_and_the_voice_bot_metering(
        self, list_card: RateCard
    ) -> None:
        covered = {caveat.features for caveat in list_card.caveats}
        assert ("copilot", "summaries") in covered
        assert ("voicebot", "digitalbot", "va", "ava") in covered
        assert ("voicebot",) in covered

    def test_voice_bot_metering_keeps_its_community_confidence(self, list_card: RateCard) -> None:
        [metering] = [c for c in list_card.caveats if c.features == ("voicebot",)]
        assert metering.confidence is Confidence.COMMUNITY
        assert "15-second" in metering.text

    def test_rejects_a_caveat_on_a_feature_the_card_lacks(self, list_card: RateCard) -> None:
        data = card_data(list_card)
        data["caveats"][0]["features"] = ["copilot", "copliot"]
        with pytest.raises(ValidationError, match="unknown feature copliot"):
            RateCard.model_validate(data)

    def test_rejects_at_least_above_the_features_listed(self, list_card: RateCard) -> None:
        data = card_data(list_card)
        data["caveats"][0]["at_least"] = 3
        with pytest.raises(ValidationError, match="at_least"):
            RateCard.model_validate(data)

    @pytest.mark.parametrize(
        ("present", "applies"),
        [({"va"}, False), ({"va", "ava"}, True), ({"voicebot", "copilot"}, False)],
    )
    def test_any_two_of_the_bot_meters_trigger_the_highest_rate_rule(
        self, list_card: RateCard, present: set[str], applies: bool
    ) -> None:
        [mix] = [c for c in list_card.caveats if c.at_least == 2]
        assert mix.applies(present) is applies
