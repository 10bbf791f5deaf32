"""The estimate grammar: a line of terms such as `copilot=50 va=2000/day` -> `EstimateRequest`.

```
TERM     := FEATURE=QUANTITY | SETTING=VALUE      (separated by spaces or commas, any order/case)
QUANTITY := NUMBER[UNIT][xNUMBER[UNIT]][/PERIOD][@RATE]
NUMBER   := 1500 | 1.5k | 2m | 10_000 | 10,000   (k = thousand, m = MILLION, never minutes)
UNIT     := min | mins | minute(s) | h | hr(s) | hour(s)   (minute-metered features only),
            or the meter's own unit as a no-op (`50users`, `1000sessions`)
PERIOD   := day|d | week|wk|w | month|mo | year|yr|y
RATE     := N (tokens per unit, or per user) | N/M (N tokens per M units)
SETTING  := users=N | concurrent=N | tier=cx1..cx4 | days=1..31 | price=D | currency=XXX
          | committed=N | card=NAME
```

Commas: a comma is a thousands separator when a digit comes right before it and exactly
three digits follow it, then nothing more that contains `=` before the next comma or space;
every other comma separates terms. So `va=10,000` and `va=10,000/day` are one term,
`va=10,copilot=5` and `va=10,000,copilot=5` are two.

The card decides which names and units are valid, and `card=` is itself a term, so parsing
runs in two steps: find the card, then read every other term against it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from calculators.errors import GrammarError, UnitError, UnknownCardError
from calculators.money import grouped, plain
from calculators.ratecard import (
    SETTING_NAMES,
    InputUnit,
    Licence,
    MeterKind,
    RateCard,
    Tier,
    did_you_mean,
    normalize_name,
)

DEFAULT_CARD = "list"
MAX_NUMBER = Decimal(10) ** 12
"""No single number typed may exceed this (a trillion); bigger is a typo, not a forecast."""
MAX_RATE = Decimal(10) ** 6
"""No @RATE may exceed a million tokens per unit."""
MAX_DECIMALS = 6
"""Digits allowed after the decimal point, so that every input stays exact."""

EXAMPLE = "copilot=50 va=2000/day"
ASCII_DIGITS = frozenset("0123456789")

SETTINGS_HELP: tuple[tuple[str, str, str], ...] = (
    ("users", "N", "named organization with N users (named is the default licence model)"),
    (
        "concurrent",
        "N",
        "concurrent organization, N = peak concurrent users (per-user lines "
        "are billed on the peak)",
    ),
    ("tier", "cx1..cx4", "licence tier; STA is included in CX 3 and CX 4"),
    ("days", "1..31", "working days per month for /day volumes (default 20)"),
    ("price", "D", "your price per token instead of the list price"),
    ("currency", "USD|EUR|...", "currency of the cost, at the card's list price"),
    ("committed", "N", "prepaid (committed) tokens per month, deducted before billing"),
    ("card", "NAME", "rate card: list (default) or study-notes"),
)
"""Every setting of the grammar: name, value, meaning (for `--help` and `/tokens help`)."""

ESTIMATE_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("copilot=50 va=2000/day", "named org: 50 Copilot users, 2,000 VA interactions a working day"),
    ("copilot=120 va=50k concurrent=80 currency=EUR", "concurrent org: billed on the peak of 80"),
    (
        "sta=36@50 voicebot=1000x5min/day days=22 committed=1600",
        "a contract rate, AxB minutes, 22 working days, prepaid tokens",
    ),
)
"""Three estimates worth copying, with what each shows."""


class Period(StrEnum):
    """The period a volume is counted over; the estimate is always per month."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


_PERIODS = {
    "day": Period.DAY,
    "d": Period.DAY,
    "week": Period.WEEK,
    "wk": Period.WEEK,
    "w": Period.WEEK,
    "month": Period.MONTH,
    "mo": Period.MONTH,
    "mon": Period.MONTH,
    "year": Period.YEAR,
    "yr": Period.YEAR,
    "y": Period.YEAR,
}
_TIME_UNITS = {
    "min": InputUnit.MINUTE,
    "mins": InputUnit.MINUTE,
    "minute": InputUnit.MINUTE,
    "minutes": InputUnit.MINUTE,
    "h": InputUnit.HOUR,
    "hr": InputUnit.HOUR,
    "hrs": InputUnit.HOUR,
    "hour": InputUnit.HOUR,
    "hours": InputUnit.HOUR,
}
MINUTES_PER = {InputUnit.MINUTE: Decimal(1), InputUnit.HOUR: Decimal(60)}
_MAGNITUDES = {"k": Decimal(1000), "m": Decimal(1_000_000)}
_NUMBER = re.compile(
    r"(?P<digits>\d+(?:[_,]\d+)*(?:\.\d+)?|\.\d+)(?P<rest>.*)", re.DOTALL | re.ASCII
)
_COMMA_GROUPS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", re.ASCII)
_THOUSANDS_TAIL = re.compile(r"\d{3}(?!\d)[^=]*", re.ASCII)
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_NUMBER_HELP = "a number such as 1500, 1.5k, 2m, 10_000 or 10,000"


@dataclass(frozen=True)
class RateOverride:
    """An `@RATE` typed by the user: `tokens` per `per` units (or users)."""

    tokens: Decimal
    per: Decimal


@dataclass(frozen=True)
class FeatureTerm:
    """One `FEATURE=QUANTITY` term, read against the card.

    `factors` are the numbers as typed (after k/m), `time_unit` the time unit typed if any,
    `amount` their product in the meter's unit per `period` (minutes for time units).
    """

    key: str
    term: str
    factors: tuple[Decimal, ...]
    time_unit: InputUnit | None
    shown: str
    amount: Decimal
    period: Period
    rate: RateOverride | None


@dataclass(frozen=True)
class Settings:
    """The `SETTING=VALUE` terms; None means "not given" (the estimate states its default)."""

    users: int | None = None
    concurrent: int | None = None
    tier: Tier | None = None
    days: int | None = None
    price: Decimal | None = None
    currency: str | None = None
    committed: int | None = None

    @property
    def licence(self) -> Licence:
        return Licence.CONCURRENT if self.concurrent is not None else Licence.NAMED


@dataclass(frozen=True)
class EstimateRequest:
    """A parsed estimate: the card chosen, the feature terms in typed order, the settings."""

    card: RateCard
    terms: tuple[FeatureTerm, ...]
    settings: Settings


# -- splitting -------------------------------------------------------------------------------


def split_terms(text: str | Sequence[str]) -> list[str]:
    """Split on whitespace and on commas that are not thousands separators (module doc)."""
    joined = text if isinstance(text, str) else " ".join(text)
    terms: list[str] = []
    for chunk in joined.split():
        pieces = chunk.split(",")
        current = pieces[0]
        for piece in pieces[1:]:
            if current[-1:] in ASCII_DIGITS and _THOUSANDS_TAIL.fullmatch(piece):
                current = f"{current},{piece}"
            else:
                if current:
                    terms.append(current)
                current = piece
        if current:
            terms.append(current)
    return terms


# -- numbers ---------------------------------------------------------------------------------


def refuse_other_digits(text: str, term: str) -> None:
    """Refuse digits other than ASCII 0-9 (full-width, Arabic-Indic...), never read them.

    Python reads `Decimal("\uff11\uff12\uff10")` (full-width 120) as 120, so a pasted
    full-width number would be silently accepted; refusing shows what was really typed.
    """
    other = [ch for ch in text if ch not in ASCII_DIGITS and unicodedata.category(ch) == "Nd"]
    if other:
        raise GrammarError(
            f"{term}: '{''.join(other)}' {'are' if len(other) > 1 else 'is'} not ASCII digits "
            "(full-width or another script); type the number with 0-9"
        )


def _digits_value(digits: str, term: str) -> Decimal:
    if "," in digits:
        if "_" in digits or not _COMMA_GROUPS.fullmatch(digits):
            raise GrammarError(
                f"{term}: '{digits}' has misplaced separators; expected {_NUMBER_HELP}"
            )
        digits = digits.replace(",", "")
    value = Decimal(digits.replace("_", ""))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise GrammarError(f"{term}: '{digits}' has more than {MAX_DECIMALS} decimals")
    return value


def _split_number(text: str, term: str) -> tuple[Decimal, str]:
    """Read a leading number; return it (before k/m) and the text after it."""
    cleaned = text.strip()
    refuse_other_digits(cleaned, term)
    if cleaned.startswith("-"):
        raise GrammarError(f"{term}: '{text}' is negative; expected a number of at least 0")
    match = _NUMBER.fullmatch(cleaned)
    if match is None:
        raise GrammarError(f"{term}: '{text}' is not a number; expected {_NUMBER_HELP}")
    rest = match.group("rest")
    if re.match(r"e[+-]?[0-9]", rest, re.IGNORECASE):
        raise GrammarError(
            f"{term}: exponents such as '{text}' are not accepted; expected {_NUMBER_HELP}"
        )
    return _digits_value(match.group("digits"), term), rest


def _check_bound(value: Decimal, term: str, bound: Decimal = MAX_NUMBER) -> Decimal:
    if value > bound:
        raise GrammarError(f"{term}: {plain(value)} is too large (at most {grouped(bound)})")
    return value


def parse_number(text: str, term: str | None = None) -> Decimal:
    """A plain NUMBER with an optional k/m suffix, e.g. `1.5k` -> 1500."""
    where = term if term is not None else text
    value, rest = _split_number(text, where)
    suffix = rest.lower()
    if suffix in _MAGNITUDES:
        value *= _MAGNITUDES[suffix]
    elif suffix:
        raise GrammarError(f"{where}: '{text}' is not a number; expected {_NUMBER_HELP}")
    return _check_bound(value, where)


def _whole(value: Decimal, term: str, what: str) -> int:
    if value != value.to_integral_value():
        raise GrammarError(f"{term}: {what} must be a whole number, not {plain(value)}")
    return int(value)


# -- quantities ------------------------------------------------------------------------------


def _unit_words(card: RateCard, key: str) -> set[str]:
    unit = card.features[key].unit
    return {unit.value, unit.plural}


def _accepted_units(card: RateCard, key: str) -> str:
    feature = card.features[key]
    if feature.input_units:
        return "min, mins, minute(s), h, hr(s), hour(s)"
    return f"none: give a plain number of {feature.unit.plural} (k = thousand, m = million)"


def _factor(text: str, card: RateCard, key: str, term: str) -> tuple[Decimal, InputUnit | None]:
    value, rest = _split_number(text, term)
    word = rest.lower()
    is_unit = word in _TIME_UNITS or word in _unit_words(card, key)
    if word and not is_unit and word[0] in _MAGNITUDES:
        value *= _MAGNITUDES[word[0]]
        word = word[1:]
    _check_bound(value, term)
    if not word or word in _unit_words(card, key):
        return value, None
    unit = _TIME_UNITS.get(word)
    feature = card.features[key]
    if unit is None:
        raise UnitError(f"{term}: unknown unit '{rest}' (accepted: {_accepted_units(card, key)})")
    if unit not in feature.input_units:
        raise UnitError(
            f"{term}: {feature.name} is metered in {feature.unit.plural} on the {card.name} "
            f"card, not in minutes or hours; give the number of {feature.unit.plural}, "
            f"e.g. {key}=120"
        )
    return value, unit


def _rate(text: str, term: str) -> RateOverride:
    if not text:
        raise GrammarError(f"{term}: '@' needs a rate, e.g. @55 or @1/17")
    tokens_text, slash, per_text = text.partition("/")
    tokens = _check_bound(parse_number(tokens_text, term), term, MAX_RATE)
    per = parse_number(per_text, term) if slash else Decimal(1)
    if per == 0:
        raise GrammarError(f"{term}: the rate @N/M needs M above 0")
    return RateOverride(tokens=tokens, per=per)


def parse_quantity(key: str, value: str, term: str, card: RateCard) -> FeatureTerm:
    """Read `QUANTITY` for feature `key` (already resolved on `card`)."""
    feature = card.features[key]
    if not value:
        raise GrammarError(f"{term}: missing quantity, e.g. {key}=100")
    quantity_text, at, rate_text = value.partition("@")
    if "@" in rate_text:
        raise GrammarError(f"{term}: give at most one @RATE")
    rate = _rate(rate_text, term) if at else None
    base, slash, period_text = quantity_text.partition("/")
    period = Period.MONTH
    if slash:
        found = _PERIODS.get(period_text.lower())
        if found is None:
            raise GrammarError(
                f"{term}: unknown period '/{period_text}' (accepted: /day, /week, /month, /year)"
                f"{did_you_mean(period_text.lower(), list(_PERIODS))}"
            )
        period = found
    parts = base.lower().split("x")
    if len(parts) > 2:
        raise GrammarError(f"{term}: give at most one product AxB, e.g. voicebot=1000x5min")
    factors: list[Decimal] = []
    shown: list[str] = []
    time_unit: InputUnit | None = None
    for part in parts:
        number, unit = _factor(part, card, key, term)
        shown.append(grouped(number, MAX_DECIMALS))
        if unit is not None:
            if time_unit is not None:
                raise UnitError(f"{term}: give a time unit on one side of AxB only")
            time_unit = unit
            shown[-1] += f" {unit.value}"
        factors.append(number)
    amount = factors[0] if len(factors) == 1 else factors[0] * factors[1]
    if time_unit is not None:
        amount *= MINUTES_PER[time_unit]
    if feature.kind is MeterKind.PER_USER:
        if period is not Period.MONTH:
            raise GrammarError(
                f"{term}: {feature.display} is billed per user per month; give the number of "
                f"users without a period, e.g. {key}=50"
            )
        _whole(amount, term, "a number of users")
    return FeatureTerm(
        key=key,
        term=term,
        factors=tuple(factors),
        time_unit=time_unit,
        shown=" x ".join(shown),
        amount=amount,
        period=period,
        rate=rate,
    )


# -- settings --------------------------------------------------------------------------------


def parse_tier(text: str, term: str | None = None) -> Tier:
    """`cx3`, `CX3`, `gcx3`, `cx-3` or `3` -> Tier.CX3."""
    norm = normalize_name(text)
    norm = norm.removeprefix("g").removeprefix("cx")
    try:
        return Tier(f"cx{norm}")
    except ValueError:
        raise GrammarError(
            f"{term or text}: unknown tier '{text}' (accepted: cx1, cx2, cx3, cx4)"
        ) from None


def _setting(name: str, value: str, term: str, settings: dict[str, object]) -> None:
    if not value:
        raise GrammarError(f"{term}: missing value, e.g. {_SETTING_EXAMPLES[name]}")
    if name in ("users", "concurrent", "committed"):
        settings[name] = _whole(parse_number(value, term), term, name)
    elif name == "days":
        days = _whole(parse_number(value, term), term, "days")
        if not 1 <= days <= 31:
            raise GrammarError(f"{term}: working days per month must be 1 to 31")
        settings[name] = days
    elif name == "tier":
        settings[name] = parse_tier(value, term)
    elif name == "price":
        settings[name] = _check_bound(parse_number(value, term), term, MAX_RATE)
    elif name == "currency":
        if not _CURRENCY.fullmatch(value):
            raise GrammarError(f"{term}: a currency is a three-letter code such as USD or EUR")
        settings[name] = value.upper()


_SETTING_EXAMPLES = {
    "users": "users=200",
    "concurrent": "concurrent=50",
    "tier": "tier=cx3",
    "days": "days=22",
    "price": "price=0.95",
    "currency": "currency=EUR",
    "committed": "committed=1600",
    "card": "card=study-notes",
}


# -- the two-step parse ----------------------------------------------------------------------


@dataclass(frozen=True)
class RawTerm:
    """One typed term split at its first `=`: `va=2000/day` -> key `va`, value `2000/day`."""

    term: str
    key: str
    value: str

    @property
    def name(self) -> str:
        """The key in the form names are compared in."""
        return normalize_name(self.key)

    @property
    def is_setting(self) -> bool:
        return self.name in SETTING_NAMES


def read_terms(text: str | Sequence[str]) -> list[RawTerm]:
    """Split a line into terms and each term into key and value (no card needed yet)."""
    raw: list[RawTerm] = []
    for term in split_terms(text):
        refuse_other_digits(term, term)
        key, sep, value = term.partition("=")
        if not sep:
            raise GrammarError(
                f"'{term}' is not FEATURE=QUANTITY or SETTING=VALUE (e.g. {EXAMPLE})"
            )
        if not key:
            raise GrammarError(f"'{term}': missing a feature or setting name before '='")
        raw.append(RawTerm(term=term, key=key, value=value.strip()))
    return raw


def choose_card(name: str, cards: Mapping[str, RateCard]) -> RateCard:
    """The card called `name` (case-insensitive), with "did you mean" if there is none."""
    lowered = name.lower()
    if lowered in cards:
        return cards[lowered]
    raise UnknownCardError(
        f"unknown card '{name}'{did_you_mean(lowered, list(cards))} "
        f"(cards: {', '.join(sorted(cards))})"
    )


def card_term(raw: Sequence[RawTerm]) -> RawTerm | None:
    """The `card=` term, if any; giving it twice is an error."""
    found = [item for item in raw if item.name == "card"]
    if len(found) > 1:
        raise GrammarError(f"{found[1].term}: card= is given twice")
    return found[0] if found else None


def read_card(raw: Sequence[RawTerm], cards: Mapping[str, RateCard]) -> RateCard:
    """The card named by `card=` (default `list`)."""
    chosen = card_term(raw)
    if chosen is None:
        return cards[DEFAULT_CARD]
    if not chosen.value:
        raise GrammarError(f"{chosen.term}: missing card name (cards: {', '.join(sorted(cards))})")
    return choose_card(chosen.value, cards)


def _unknown_key(key: str, card: RateCard) -> GrammarError:
    """Name the nearest setting if it is nearer than any feature, else the feature error."""
    norm = normalize_name(key)
    names = [normalize_name(name) for name in card.features] + list(SETTING_NAMES)
    close = difflib.get_close_matches(norm, names, n=1, cutoff=0.6)
    if close and close[0] in SETTING_NAMES:
        settings = ", ".join(f"{name}=" for name in SETTING_NAMES)
        return GrammarError(
            f"unknown setting '{key}' — did you mean {close[0]}=? (settings: {settings})"
        )
    try:
        card.resolve(key)
    except GrammarError as exc:
        return exc
    raise AssertionError("unreachable: the key resolved")  # pragma: no cover


def read_settings(raw: Sequence[RawTerm]) -> Settings:
    """Every `SETTING=VALUE` term except `card=` (which `read_card` reads)."""
    settings: dict[str, object] = {}
    for item in raw:
        if not item.is_setting or item.name == "card":
            continue
        if item.name in settings:
            raise GrammarError(f"{item.term}: {item.name}= is given twice")
        _setting(item.name, item.value, item.term, settings)
    if "users" in settings and "concurrent" in settings:
        raise GrammarError(
            "users= and concurrent= both given: an organization is either named (users=N) "
            "or concurrent (concurrent=N peak users)"
        )
    return Settings(**settings)  # type: ignore[arg-type]


def read_feature(item: RawTerm, card: RateCard) -> FeatureTerm:
    """One `FEATURE=QUANTITY` term read against `card`; raises naming the term."""
    feature_key = card.find_feature(item.key)
    if feature_key is None:
        raise _unknown_key(item.key, card)
    return parse_quantity(feature_key, item.value, item.term, card)


def check_repeats(terms: Sequence[FeatureTerm]) -> None:
    """A feature given twice (`va=1 virtual-agent=2`) is an error, not a silent sum."""
    seen: dict[str, str] = {}
    for term in terms:
        if term.key in seen:
            raise GrammarError(
                f"{term.term}: {term.key} is given twice ({seen[term.key]} and {term.term}); "
                "add the quantities up into one term"
            )
        seen[term.key] = term.term


def request_on(
    raw: Sequence[RawTerm], card: RateCard, *, nothing: str | None = None
) -> EstimateRequest:
    """Read every term against `card` (any `card=` term is the caller's business).

    Args:
        nothing: the message when no term is a feature (default: the one-line grammar's).
    """
    settings = read_settings(raw)
    features = [read_feature(item, card) for item in raw if not item.is_setting]
    check_repeats(features)
    if not features:
        raise GrammarError(
            nothing
            or f"nothing to estimate: give at least one FEATURE=QUANTITY, e.g. {EXAMPLE} "
            f"(features: {', '.join(card.features)})"
        )
    if settings.currency is not None and settings.price is None:
        card.price(settings.currency)  # raises UnknownCurrencyError with the card's currencies
    return EstimateRequest(card=card, terms=tuple(features), settings=settings)


def parse_terms(text: str | Sequence[str], cards: Mapping[str, RateCard]) -> EstimateRequest:
    """Parse an estimate line against the chosen card (default `list`)."""
    raw = read_terms(text)
    return request_on(raw, read_card(raw, cards))


# -- help -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureHelp:
    """One feature as `--help` and `/tokens help` list it."""

    key: str
    name: str
    aliases: tuple[str, ...]
    unit: str


def feature_help(card: RateCard) -> list[FeatureHelp]:
    """Every feature of `card` with its aliases and the unit its quantity is read in."""
    rows = []
    for key, feature in card.features.items():
        if feature.kind is MeterKind.PER_USER:
            unit = "users (per month, no period)"
        elif feature.input_units:
            units = ", ".join(unit.value for unit in feature.input_units)
            unit = f"{feature.unit.plural} (or {units}; AxB such as 1000x5min)"
        else:
            unit = feature.unit.plural
        rows.append(FeatureHelp(key=key, name=feature.display, aliases=feature.aliases, unit=unit))
    return rows


QUANTITY_HELP = (
    "QUANTITY := NUMBER[UNIT][xNUMBER[UNIT]][/PERIOD][@RATE]. NUMBER: 1500, 1.5k, 2m, 10_000 or "
    "10,000 (k = thousand, m = million). PERIOD: /day (x working days), /week (x 52/12), /month "
    "(the default), /year (/12). @RATE overrides the card's rate for that line: @55 tokens per "
    "unit or user, @1/17 one token per 17 units."
)
