"""`explain()`: the reverse question, "what do N tokens of a feature stand for?"."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from calculators.errors import ExplainError
from calculators.grammar import MAX_NUMBER
from calculators.money import ARITHMETIC, grouped, plain
from calculators.ratecard import Confidence, Licence, MeterKind, RateCard, Source


@dataclass(frozen=True)
class Explanation:
    """N tokens read back as users or units. `quantity` is None when the rate is unknown."""

    feature: str
    name: str
    tokens: Decimal
    licence: Licence | None
    quantity: Decimal | None
    unit: str
    whole: bool
    text: str
    rate_text: str
    confidence: Confidence
    source: Source
    notes: tuple[str, ...]


def parse_licence(text: str | Licence | None) -> Licence | None:
    """`named`/`concurrent` (any case), or None when not given."""
    if text is None or isinstance(text, Licence):
        return text
    try:
        return Licence(text.strip().lower())
    except ValueError:
        raise ExplainError(f"unknown licence '{text}' (accepted: named, concurrent)") from None


def explain(
    tokens: Decimal | int,
    feature: str,
    licence: str | Licence | None,
    card: RateCard,
) -> Explanation:
    """Turn `tokens` of `feature` back into users (per-user features) or units (volume).

    `licence` only matters for per-user features; it defaults to named.

    Raises:
        CalculatorError: unknown feature or licence, negative or absurd token count.
    """
    amount = Decimal(tokens)
    if amount < 0:
        raise ExplainError(f"the token count must be at least 0, not {plain(amount)}")
    if amount > MAX_NUMBER:
        raise ExplainError(f"{plain(amount)} tokens is too large (at most {grouped(MAX_NUMBER)})")
    key = card.resolve(feature)
    spec = card.features[key]
    chosen = parse_licence(licence)
    notes: list[str] = []
    if not card.official:
        notes.append(f"UNOFFICIAL: {card.title} figures, not Genesys list rates")
    said = f"{grouped(amount)} {spec.display} tokens"

    with localcontext(ARITHMETIC):
        if spec.kind is MeterKind.PER_USER:
            licence_used = chosen or Licence.NAMED
            if spec.included_reason:
                notes.append(spec.included_reason)
            rate = spec.per_user_rate(licence_used)
            kind = licence_used.value
            if rate is None:
                text = (
                    f"the {kind} {spec.display} rate is not published on the {card.name} card, so "
                    f"{said} cannot be turned into users; take the rate from the customer's "
                    "contract"
                )
                return _explanation(key, card, amount, licence_used, None, True, text, notes)
            if rate == 0:
                text = f"{spec.display} costs 0 tokens per user on the {card.name} card"
                return _explanation(key, card, amount, licence_used, None, True, text, notes)
            users = amount / rate
            whole = users == users.to_integral_value()
            if whole:
                text = (
                    f"{said} = {grouped(users)} {kind} {'user' if users == 1 else 'users'} "
                    f"at {plain(rate)} tokens per user per month"
                )
            else:
                text = (
                    f"{said} is not a whole number of {kind} users at {plain(rate)}: "
                    f"{grouped(users, 1)} — check for a proration or a different rate"
                )
            return _explanation(key, card, amount, licence_used, users, whole, text, notes)

        if chosen is not None:
            notes.append(f"named or concurrent does not change the {spec.display} rate")
        if spec.tokens is None:
            text = (
                f"the {spec.display} token rate is not published on the {card.name} card, so "
                f"{said} cannot be turned into {spec.unit.plural}"
            )
            return _explanation(key, card, amount, None, None, True, text, notes)
        if spec.tokens == 0:
            text = f"{spec.display} costs 0 tokens on the {card.name} card"
            return _explanation(key, card, amount, None, None, True, text, notes)
        quantity = amount * spec.per / spec.tokens
        whole = quantity == quantity.to_integral_value()
        text = (
            f"{said} = {grouped(quantity)} {spec.unit.label(quantity)} at {spec.volume_rate_text()}"
        )
        return _explanation(key, card, amount, None, quantity, whole, text, notes)


def _explanation(
    key: str,
    card: RateCard,
    tokens: Decimal,
    licence: Licence | None,
    quantity: Decimal | None,
    whole: bool,
    text: str,
    notes: list[str],
) -> Explanation:
    spec = card.features[key]
    return Explanation(
        feature=key,
        name=spec.name,
        tokens=tokens,
        licence=licence,
        quantity=quantity,
        unit=spec.unit.value,
        whole=whole,
        text=text,
        rate_text=spec.rate_text(),
        confidence=spec.confidence,
        source=spec.source,
        notes=tuple(notes),
    )
