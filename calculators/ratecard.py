"""Rate-card models: the data every estimate and every quoted rate comes from.

A card is loaded from YAML by `knowledge.loader` and validated here; nothing in this module
reads files. Rates are `Decimal`; `None` means "not published", and is never guessed.
"""

from __future__ import annotations

import datetime as dt
import difflib
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from calculators.errors import UnknownCurrencyError, UnknownFeatureError
from calculators.money import currency_places, plain, round_money

NOT_PUBLISHED = "not published"

# The estimate grammar's setting names: no feature alias may shadow one.
SETTING_NAMES = ("users", "concurrent", "tier", "days", "price", "currency", "committed", "card")

KEY = r"^[a-z][a-z0-9]*$"
Key = Annotated[str, StringConstraints(pattern=KEY)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https://\S+$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Rate = Annotated[Decimal, Field(ge=0)]


class Confidence(StrEnum):
    """How sure we are, in the facts sheet's terms (same vocabulary as the FAQ entries)."""

    OFFICIAL = "official"
    STAFF = "staff"
    COMMUNITY = "community"
    SEED_ONLY = "seed-only"


class MeterKind(StrEnum):
    """Per-user features cost a flat rate per user per month; volume features per unit used."""

    PER_USER = "per-user"
    VOLUME = "volume"


class Unit(StrEnum):
    """The unit a feature's meter counts (singular)."""

    USER = "user"
    MINUTE = "minute"
    SESSION = "session"
    INTERACTION = "interaction"
    SUMMARY = "summary"
    EVALUATION = "evaluation"
    TRANSLATION = "translation"
    MESSAGE = "message"
    POST = "post"

    @property
    def plural(self) -> str:
        return "summaries" if self is Unit.SUMMARY else f"{self.value}s"

    def label(self, amount: Decimal | int) -> str:
        """`minute` for exactly 1, `minutes` otherwise."""
        return self.value if Decimal(amount) == 1 else self.plural


class InputUnit(StrEnum):
    """Time units a user may type for a minute-metered feature (`300h`, `1000x5min`)."""

    MINUTE = "min"
    HOUR = "h"


class Tier(StrEnum):
    """Genesys Cloud CX licence tiers."""

    CX1 = "cx1"
    CX2 = "cx2"
    CX3 = "cx3"
    CX4 = "cx4"

    @property
    def label(self) -> str:
        return f"CX {self.value[2:]}"


class Licence(StrEnum):
    """The organization's licence model; it picks the per-user rate and the free allocation."""

    NAMED = "named"
    CONCURRENT = "concurrent"


class Source(BaseModel):
    """Where a figure comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Url
    title: Text


def normalize_name(name: str) -> str:
    """The form names are compared in: lower case, without `-`, `_` or spaces."""
    return "".join(ch for ch in name.lower() if ch not in "-_ \t")


def did_you_mean(word: str, choices: list[str]) -> str:
    """` — did you mean X?` for a near miss among `choices`, else an empty string."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" — did you mean {close[0]}?" if close else ""


def tokens_word(amount: Decimal) -> str:
    return "token" if amount <= 1 else "tokens"


class Feature(BaseModel):
    """One metered AI feature and its rate on a card."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text
    short: Text | None = None
    aliases: tuple[Text, ...] = ()
    kind: MeterKind
    unit: Unit
    meter: Text
    input_units: tuple[InputUnit, ...] = ()
    named: Rate | None = None
    concurrent: Rate | None = None
    tokens: Rate | None = None
    per: Annotated[Decimal, Field(gt=0)] = Decimal(1)
    included_tiers: tuple[Tier, ...] = ()
    included_reason: Text | None = None
    tier_notes: dict[Tier, Text] = Field(default_factory=dict)
    source: Source
    confidence: Confidence
    effective: dt.date
    note: Text | None = None

    @model_validator(mode="after")
    def _consistent_meter(self) -> Feature:
        if self.kind is MeterKind.PER_USER:
            if self.unit is not Unit.USER:
                raise ValueError("a per-user feature is metered in users (unit: user)")
            if self.tokens is not None or self.per != 1:
                raise ValueError("a per-user feature has named/concurrent rates, not tokens/per")
        else:
            if self.unit is Unit.USER:
                raise ValueError("a volume feature cannot be metered in users")
            if self.named is not None or self.concurrent is not None:
                raise ValueError("a volume feature has tokens/per, not named/concurrent rates")
        if self.input_units and self.unit is not Unit.MINUTE:
            raise ValueError("input_units (min, h) are only for minute-metered features")
        if self.included_tiers and self.included_reason is None:
            raise ValueError("included_tiers needs an included_reason")
        return self

    @property
    def display(self) -> str:
        """The short name used in sentences ("STA"), else the full name."""
        return self.short or self.name

    def per_user_rate(self, licence: Licence) -> Decimal | None:
        return self.named if licence is Licence.NAMED else self.concurrent

    @property
    def rate_known(self) -> bool:
        if self.kind is MeterKind.PER_USER:
            return self.named is not None or self.concurrent is not None
        return self.tokens is not None

    def volume_rate_text(self) -> str:
        """`1 token per 17 minutes`, `0.5 token per interaction`, or `not published`."""
        if self.tokens is None:
            return NOT_PUBLISHED
        return volume_rate_text(self.tokens, self.per, self.unit)

    def rate_text(self) -> str:
        """The rate in words, as the FAQ quotes it."""
        if self.kind is MeterKind.VOLUME:
            return self.volume_rate_text()
        named, concurrent = self.named, self.concurrent
        if named is None and concurrent is None:
            return NOT_PUBLISHED
        if named is not None and concurrent is not None:
            if named == concurrent:
                return f"{plain(named)} {tokens_word(named)} per user per month"
            return (
                f"{plain(named)} {tokens_word(named)} per named user per month "
                f"({plain(concurrent)} per concurrent user)"
            )
        if named is not None:
            return (
                f"{plain(named)} {tokens_word(named)} per named user per month "
                "(concurrent rate not published)"
            )
        assert concurrent is not None
        return (
            f"{plain(concurrent)} {tokens_word(concurrent)} per concurrent user per month "
            "(named rate not published)"
        )


def volume_rate_text(tokens: Decimal, per: Decimal, unit: Unit) -> str:
    """`1 token per 17 minutes`, `0.5 token per interaction`, `1.2 tokens per interaction`."""
    amount = f"{plain(tokens)} {tokens_word(tokens)} per "
    if per == 1:
        return amount + unit.value
    return amount + f"{plain(per)} {unit.label(per)}"


class Caveat(BaseModel):
    """A billing rule that an estimate's separate lines cannot show, named when it applies.

    It applies when the estimate has at least `at_least` of `features` (default: all of them):
    `[copilot, summaries]` for an overlap of two meters, `[voicebot]` for a metering rule.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    features: tuple[Key, ...] = Field(min_length=1)
    at_least: Annotated[int, Field(ge=1)] | None = None
    text: Text
    source: Source
    confidence: Confidence

    @model_validator(mode="after")
    def _reachable(self) -> Caveat:
        if len(set(self.features)) != len(self.features):
            raise ValueError("a caveat lists each feature once")
        if self.at_least is not None and self.at_least > len(self.features):
            raise ValueError("at_least cannot exceed the number of features listed")
        return self

    def applies(self, present: set[str] | frozenset[str]) -> bool:
        """True when enough of the caveat's features are in the estimate."""
        needed = len(self.features) if self.at_least is None else self.at_least
        return len(present.intersection(self.features)) >= needed


class FreeAllocation(BaseModel):
    """The monthly tokens that cost nothing: per organization (list) or per user (study notes)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    basis: Literal["organization", "user"]
    named: Annotated[int, Field(ge=0)]
    concurrent: Annotated[int, Field(ge=0)]
    source: Source
    confidence: Confidence

    def for_licence(self, licence: Licence) -> int:
        return self.named if licence is Licence.NAMED else self.concurrent


class Prices(BaseModel):
    """List price of one additional token, per currency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_token: dict[CurrencyCode, Annotated[Decimal, Field(gt=0)]] = Field(min_length=1)
    source: Source
    confidence: Confidence


class RateCard(BaseModel):
    """A complete set of rates, allocation and prices, from one source of figures."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
    title: Text
    official: bool
    effective: dt.date
    date_label: Text = "effective"
    """How `effective` reads in replies: the list card's date is when a third-party copy of
    Genesys' table was captured ("rates as captured"), not a date Genesys gives its table."""
    description: Text
    free_allocation: FreeAllocation
    prices: Prices
    default_currency: CurrencyCode
    working_days: Annotated[int, Field(ge=1, le=31)] = 20
    features: dict[Key, Feature] = Field(min_length=1)
    caveats: tuple[Caveat, ...] = ()

    @model_validator(mode="after")
    def _names_resolve_uniquely(self) -> RateCard:
        if self.default_currency not in self.prices.per_token:
            raise ValueError(f"default_currency {self.default_currency} has no price")
        for number, caveat in enumerate(self.caveats):
            unknown = [key for key in caveat.features if key not in self.features]
            if unknown:
                raise ValueError(f"caveats[{number}]: unknown feature {', '.join(unknown)}")
        owner: dict[str, str] = {}
        for setting in SETTING_NAMES:
            owner[setting] = f"setting {setting}="
        for key in self.features:
            if key in owner:
                raise ValueError(f"feature key {key!r} collides with {owner[key]}")
            owner[key] = f"feature {key}"
        for key, feature in self.features.items():
            for alias in feature.aliases:
                norm = normalize_name(alias)
                if not norm:
                    raise ValueError(f"feature {key}: empty alias")
                if norm in owner and owner[norm] != f"feature {key}":
                    raise ValueError(f"feature {key}: alias {alias!r} collides with {owner[norm]}")
                owner[norm] = f"feature {key}"
        return self

    # -- names -------------------------------------------------------------------------------

    def _name_index(self) -> dict[str, str]:
        """Every normalized key and alias -> feature key, keys first, in card order."""
        index = {normalize_name(key): key for key in self.features}
        for key, feature in self.features.items():
            for alias in feature.aliases:
                index.setdefault(normalize_name(alias), key)
        return index

    def find_feature(self, name: str) -> str | None:
        """The feature key for a typed name or alias, or None."""
        return self._name_index().get(normalize_name(name))

    def resolve(self, name: str) -> str:
        """The feature key for a typed name or alias; raises with "did you mean" otherwise."""
        key = self.find_feature(name)
        if key is not None:
            return key
        index = self._name_index()
        close = difflib.get_close_matches(normalize_name(name), list(index), n=1, cutoff=0.6)
        hint = f" — did you mean {index[close[0]]}?" if close else ""
        raise UnknownFeatureError(
            f"unknown feature '{name}'{hint} (features: {', '.join(self.features)})"
        )

    def feature(self, name: str) -> Feature:
        return self.features[self.resolve(name)]

    def price(self, currency: str) -> Decimal:
        """The list price of one token in `currency`; raises if the card has none."""
        code = currency.upper()
        if code in self.prices.per_token:
            return self.prices.per_token[code]
        known = list(self.prices.per_token)
        raise UnknownCurrencyError(
            f"unknown currency '{currency}'{did_you_mean(code, known)} "
            f"(the {self.name} card has prices in {', '.join(known)}; "
            "or give your own with price=)"
        )

    # -- FAQ placeholders --------------------------------------------------------------------

    def dated(self) -> str:
        """`rates as captured 2026-06-07`: the card's date as replies print it."""
        return f"{self.date_label} {self.effective.isoformat()}"

    def placeholders(self) -> dict[str, str]:
        """The `{{ key }}` values FAQ answers quote (see knowledge/README.md)."""
        values: dict[str, str] = {}
        for key, feature in self.features.items():
            values[f"{key}.name"] = feature.name
            values[f"{key}.rate"] = feature.rate_text()
            values[f"{key}.unit"] = feature.unit.value
            if feature.kind is MeterKind.PER_USER:
                for licence in Licence:
                    rate = feature.per_user_rate(licence)
                    values[f"{key}.{licence.value}"] = (
                        NOT_PUBLISHED if rate is None else plain(rate)
                    )
            elif feature.tokens is None:
                values[f"{key}.tokens"] = NOT_PUBLISHED
                values[f"{key}.per"] = NOT_PUBLISHED
            else:
                values[f"{key}.tokens"] = plain(feature.tokens)
                values[f"{key}.per"] = plain(feature.per)
        values["allocation.named"] = str(self.free_allocation.named)
        values["allocation.concurrent"] = str(self.free_allocation.concurrent)
        for currency, price in self.prices.per_token.items():
            places = currency_places(currency)
            values[f"price.{currency}"] = f"{round_money(price, currency):.{places}f}"
        values["card.effective"] = self.effective.isoformat()
        return values
