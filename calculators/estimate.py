"""`estimate()`: monthly tokens, free allocation, billable tokens and cost, line by line.

Pure: the rate cards come in as arguments. Arithmetic is `Decimal` in a wide context; each line
is rounded half-up to whole tokens (`money.round_tokens`) and the total is the sum of the
rounded lines. Every default the calculation takes is listed in `Estimate.assumptions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from calculators.grammar import EstimateRequest, FeatureTerm, Period, Settings, parse_terms
from calculators.money import ARITHMETIC, grouped, plain, price_text, round_money, round_tokens
from calculators.ratecard import (
    Confidence,
    Feature,
    Licence,
    MeterKind,
    RateCard,
    Source,
    Tier,
    volume_rate_text,
)

WEEKS_PER_YEAR = Decimal(52)
MONTHS_PER_YEAR = Decimal(12)
PLAUSIBLE_USERS = 1_000_000
"""More users than this in one organization is almost certainly a typo (`2m` for `2k`)."""
PLAUSIBLE_PER_DAY = 10_000_000
"""More of any metered unit than this per working day is almost certainly a typo."""


@dataclass(frozen=True)
class LineRate:
    """The rate a line used: `tokens` per `per` units, where it comes from, how sure we are."""

    tokens: Decimal
    per: Decimal
    text: str
    overridden: bool
    confidence: Confidence | None
    source: Source | None


@dataclass(frozen=True)
class Notice:
    """A billing rule the lines cannot show (an overlap, a metering rule), with its source."""

    features: tuple[str, ...]
    text: str
    confidence: Confidence
    source: Source


@dataclass(frozen=True)
class Line:
    """One feature of the estimate. `tokens` is None when the rate is unknown (see `note`).

    `quantity` is what is billed: for a per-user line in a concurrent organization, at most the
    peak concurrent count.
    """

    feature: str
    name: str
    term: str
    quantity: Decimal
    unit: str
    understood: str
    rate: LineRate | None
    exact_tokens: Decimal | None
    tokens: int | None
    note: str | None
    included: bool = False


@dataclass(frozen=True)
class Cost:
    """Billable tokens at a price per token, rounded to the currency's smallest unit."""

    amount: Decimal
    currency: str
    price: Decimal
    list_price: bool


@dataclass(frozen=True)
class Estimate:
    """A monthly estimate with every line, total, allocation, cost and assumption."""

    card: RateCard
    licence: Licence
    tier: Tier | None
    lines: tuple[Line, ...]
    total_tokens: int
    free_allocation: int
    committed_tokens: int
    billable_tokens: int
    cost: Cost
    complete: bool
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]
    notices: tuple[Notice, ...] = ()

    @property
    def missing(self) -> tuple[Line, ...]:
        """The lines without a rate, which the totals leave out."""
        return tuple(line for line in self.lines if line.tokens is None)


def _monthly(term: FeatureTerm, feature: Feature, days: int) -> tuple[Decimal, str]:
    """The monthly quantity in the meter's unit, and how it was read."""
    unit = feature.unit
    if term.time_unit is not None or len(term.factors) > 1:
        base = f"{term.shown} = {grouped(term.amount)} {unit.label(term.amount)}"
    else:
        base = f"{grouped(term.amount)} {unit.label(term.amount)}"
    if term.period is Period.MONTH:
        return term.amount, base
    if term.period is Period.DAY:
        monthly = term.amount * days
        how = f"x {days} working days"
    elif term.period is Period.WEEK:
        monthly = term.amount * WEEKS_PER_YEAR / MONTHS_PER_YEAR
        how = "x 52/12 weeks"
    else:
        monthly = term.amount / MONTHS_PER_YEAR
        how = "/ 12 months"
    if term.time_unit is not None or len(term.factors) > 1:
        base = f"({base})"
    else:
        base = grouped(term.amount)
    return monthly, f"{base}/{term.period.value} {how} = {grouped(monthly)} {unit.label(monthly)}"


def _per_user_line(
    term: FeatureTerm, feature: Feature, settings: Settings, tier: Tier | None
) -> Line:
    licence = settings.licence
    typed = term.amount
    peak = settings.concurrent
    capped = licence is Licence.CONCURRENT and peak is not None and typed > peak
    users = Decimal(peak) if capped and peak is not None else typed
    who = f"{grouped(users)} {licence.value} {'user' if users == 1 else 'users'}"
    notes: list[str] = []
    if capped:
        who = f"{grouped(typed)} users, billed at the peak of {who}"
        notes.append(
            f"a concurrent organization is billed on its peak concurrent users "
            f"(concurrent={peak}), so {grouped(users)} of the {grouped(typed)} "
            f"{feature.display} users are billed"
        )
    rate = _rate(term, feature, licence)
    included = tier is not None and tier in feature.included_tiers
    if included and term.rate is None:
        notes.append(f"{feature.included_reason} (tier={tier.value if tier else ''})")
        rate = LineRate(
            tokens=Decimal(0),
            per=Decimal(1),
            text=f"0 on {tier.label if tier else ''}",
            overridden=False,
            confidence=feature.confidence,
            source=feature.source,
        )
    elif included:
        notes.append(f"the card says: {feature.included_reason}; your @RATE was used")
    if tier is not None and tier in feature.tier_notes:
        notes.append(feature.tier_notes[tier])
    if rate is None:
        notes.append(
            f"the {licence.value} {feature.display} rate is not published; add it as "
            f"{term.term}@RATE from the customer's contract"
        )
        return _line(term, feature, users, who, None, notes)
    understood = f"{who} x {plain(rate.tokens)}"
    if rate.per != 1:
        understood += f"/{plain(rate.per)}"
    if included and term.rate is None:
        understood = f"{who}, included in {tier.label if tier else ''}"
    return _line(term, feature, users, understood, rate, notes, included=included)


def _rate(term: FeatureTerm, feature: Feature, licence: Licence) -> LineRate | None:
    if term.rate is not None:
        tokens, per = term.rate.tokens, term.rate.per
        overridden = True
    else:
        known = (
            feature.per_user_rate(licence) if feature.kind is MeterKind.PER_USER else feature.tokens
        )
        if known is None:
            return None
        tokens, per, overridden = known, feature.per, False
    if feature.kind is MeterKind.PER_USER:
        users = f"{licence.value} user" if per == 1 else f"{plain(per)} {licence.value} users"
        text = f"{plain(tokens)} per {users} per month"
    else:
        text = volume_rate_text(tokens, per, feature.unit)
    return LineRate(
        tokens=tokens,
        per=per,
        text=text + (" (your @RATE)" if overridden else ""),
        overridden=overridden,
        confidence=None if overridden else feature.confidence,
        source=None if overridden else feature.source,
    )


def _line(
    term: FeatureTerm,
    feature: Feature,
    quantity: Decimal,
    understood: str,
    rate: LineRate | None,
    notes: list[str],
    *,
    included: bool = False,
) -> Line:
    exact = None if rate is None else quantity * rate.tokens / rate.per
    return Line(
        feature=term.key,
        name=feature.name,
        term=term.term,
        quantity=quantity,
        unit=feature.unit.value,
        understood=understood,
        rate=rate,
        exact_tokens=exact,
        tokens=None if exact is None else round_tokens(exact),
        note="; ".join(notes) if notes else None,
        included=included,
    )


def _volume_line(term: FeatureTerm, feature: Feature, card: RateCard, days: int) -> Line:
    quantity, understood = _monthly(term, feature, days)
    rate = _rate(term, feature, Licence.NAMED)
    notes: list[str] = []
    if rate is None:
        notes.append(
            f"the {feature.display} token rate is not published on the {card.name} card; "
            f"add it as {term.term}@RATE (tokens per {feature.unit.value}, or @N/M) "
            "from the customer's contract"
        )
    return _line(term, feature, quantity, understood, rate, notes)


def _allocation(
    request: EstimateRequest, lines: Sequence[Line], licence: Licence
) -> tuple[int, str]:
    card, settings = request.card, request.settings
    allocation = card.free_allocation
    per = allocation.for_licence(licence)
    if allocation.basis == "organization":
        return per, (
            f"free allocation {grouped(per)} tokens per month for a {licence.value} "
            "organization (per organization, not per user)"
        )
    count = settings.concurrent if licence is Licence.CONCURRENT else settings.users
    how = f"{'concurrent' if licence is Licence.CONCURRENT else 'users'}={count}"
    if count is None:
        per_user = [int(line.quantity) for line in lines if line.unit == "user"]
        count = max(per_user, default=0)
        how = (
            f"no users= given: counted {count} users, the largest per-user line"
            if per_user
            else "no users= given and no per-user line: 0 users; add users=N"
        )
    free = per * count
    return free, (
        f"free allocation {grouped(per)} x {grouped(count)} {licence.value} users = "
        f"{grouped(free)} tokens ({how}); this card's per-user reading, whereas Genesys "
        "allocates per organization"
    )


def _cost(request: EstimateRequest, billable: int) -> tuple[Cost, str]:
    card, settings = request.card, request.settings
    currency = settings.currency or card.default_currency
    if settings.price is not None:
        price, listed = settings.price, False
        said = f"price {currency} {price_text(price, currency)} per token (price=)"
    else:
        price, listed = card.price(currency), True
        said = (
            f"list price {currency} {price_text(price, currency)} per token "
            f"({card.prices.confidence.value}); the contract governs"
        )
    amount = round_money(Decimal(billable) * price, currency)
    return Cost(amount=amount, currency=currency, price=price, list_price=listed), said


def _assumptions(request: EstimateRequest, licence: Licence) -> list[str]:
    card, settings = request.card, request.settings
    said: list[str] = []
    if not card.official:
        said.append(f"UNOFFICIAL: {card.title} figures, not Genesys list rates")
    said.append(f"rate card: {card.title} ({card.name}), {card.dated()}")
    if licence is Licence.CONCURRENT:
        said.append(f"concurrent organization: {settings.concurrent} peak concurrent users")
    elif settings.users is not None:
        said.append(f"named organization with {grouped(settings.users)} users (users=)")
    else:
        said.append("named organization (no concurrent=)")
    periods = {term.period for term in request.terms}
    if Period.DAY in periods:
        if settings.days is not None:
            said.append(f"{settings.days} working days per month (days=)")
        else:
            said.append(f"{card.working_days} working days per month")
    if Period.WEEK in periods:
        said.append("52/12 weeks per month")
    if Period.YEAR in periods:
        said.append("a yearly volume is spread evenly over 12 months")
    for term in request.terms:
        feature = card.features[term.key]
        if feature.included_tiers and settings.tier is None:
            billable = "/".join(tier.label for tier in Tier if tier not in feature.included_tiers)
            said.append(f"tier not given: {feature.display} assumed billable ({billable})")
    if settings.tier is not None:
        said.append(f"tier {settings.tier.label} (tier=)")
    elif not any(card.features[term.key].included_tiers for term in request.terms):
        said.append("tier not given (no line of this estimate depends on it)")
    return said


def estimate(
    request: EstimateRequest | str | Sequence[str], cards: Mapping[str, RateCard]
) -> Estimate:
    """Estimate monthly tokens and cost from terms (text, argv-style list, or parsed request).

    Raises:
        CalculatorError: a subclass naming the bad term and what would be accepted.
    """
    if not isinstance(request, EstimateRequest):
        request = parse_terms(request, cards)
    card, settings = request.card, request.settings
    licence = settings.licence
    days = settings.days if settings.days is not None else card.working_days
    with localcontext(ARITHMETIC):
        lines: list[Line] = []
        warnings: list[str] = []
        for term in request.terms:
            feature = card.features[term.key]
            if feature.kind is MeterKind.PER_USER:
                lines.append(_per_user_line(term, feature, settings, settings.tier))
                warnings.extend(_user_count_warnings(term, feature, request))
            else:
                lines.append(_volume_line(term, feature, card, days))
        warnings.extend(_implausible(request))
        total = sum(line.tokens for line in lines if line.tokens is not None)
        free, allocation_said = _allocation(request, lines, licence)
        committed = settings.committed or 0
        billable = max(0, total - free - committed)
        cost, price_said = _cost(request, billable)

    missing = [line for line in lines if line.tokens is None]
    assumptions = _assumptions(request, licence)
    assumptions.append(allocation_said)
    if committed:
        assumptions.append(f"{grouped(committed)} committed (prepaid) tokens per month deducted")
    assumptions.append(price_said)
    assumptions.append("each line rounded half-up to whole tokens; total = sum of the lines")
    return Estimate(
        card=card,
        licence=licence,
        tier=settings.tier,
        lines=tuple(lines),
        total_tokens=total,
        free_allocation=free,
        committed_tokens=committed,
        billable_tokens=billable,
        cost=cost,
        complete=not missing,
        assumptions=tuple(assumptions),
        warnings=tuple(warnings),
        notices=_notices(card, request.terms),
    )


def _notices(card: RateCard, terms: Sequence[FeatureTerm]) -> tuple[Notice, ...]:
    """The card's caveats that apply to the features of this estimate, in card order."""
    present = {term.key for term in terms}
    return tuple(
        Notice(
            features=tuple(key for key in caveat.features if key in present),
            text=caveat.text,
            confidence=caveat.confidence,
            source=caveat.source,
        )
        for caveat in card.caveats
        if caveat.applies(present)
    )


def _implausible(request: EstimateRequest) -> list[str]:
    """Warnings for inputs no real organization has: almost always a typo such as `2m`."""
    said: list[str] = []
    settings = request.settings
    for name, count in (("users", settings.users), ("concurrent", settings.concurrent)):
        if count is not None and count > PLAUSIBLE_USERS:
            said.append(
                f"{name}={count}: {grouped(count)} users is implausible for one organization "
                f"(more than {grouped(PLAUSIBLE_USERS)}); check the number (k = thousand, "
                "m = million)"
            )
    for term in request.terms:
        feature = request.card.features[term.key]
        if feature.kind is MeterKind.PER_USER and term.amount > PLAUSIBLE_USERS:
            said.append(
                f"{term.term}: {grouped(term.amount)} {feature.display} users is implausible "
                f"for one organization (more than {grouped(PLAUSIBLE_USERS)}); check the number"
            )
        if term.period is Period.DAY and term.amount > PLAUSIBLE_PER_DAY:
            said.append(
                f"{term.term}: {grouped(term.amount)} {feature.unit.plural} a day is implausible "
                f"(more than {grouped(PLAUSIBLE_PER_DAY)} a day); check the number"
            )
    return said


def _user_count_warnings(
    term: FeatureTerm, feature: Feature, request: EstimateRequest
) -> list[str]:
    settings = request.settings
    users = term.amount
    if settings.users is not None and users > settings.users:
        return [
            f"{term.term}: more {feature.display} users than the organization's "
            f"users={settings.users}"
        ]
    return []
