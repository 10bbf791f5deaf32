"""Shared fixtures: the shipped rate cards, loaded once."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from calculators.ratecard import RateCard
from knowledge.loader import load_cards


@pytest.fixture(scope="session")
def cards() -> Mapping[str, RateCard]:
    return load_cards()


@pytest.fixture(scope="session")
def list_card(cards: Mapping[str, RateCard]) -> RateCard:
    return cards["list"]


@pytest.fixture(scope="session")
def notes_card(cards: Mapping[str, RateCard]) -> RateCard:
    return cards["study-notes"]
