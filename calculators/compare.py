"""`compare()`: two estimates side by side, line by line, with the difference and a verdict.

Two shapes, one function:

* `copilot=200 va=200/day users=200`: the same terms on the list card and on the study-notes
  card, so that a spreadsheet built on the study notes can be set beside the list rates. A term
  one card cannot read (`translate=5h` on the list card, which meters translated interactions)
  or cannot price (no published rate) is *not comparable* on that side, not an error.
* `copilot=200 users=200 vs copilot=250 users=200`: two scenarios on one card (`card=` on
  either side applies to both).

Pure: the cards come in as arguments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from calculators.errors import CalculatorError, GrammarError
from calculators.estimate import Estimate, Line, estimate
from calculators.grammar import (
    DEFAULT_CARD,
    EstimateRequest,
    FeatureTerm,
    RawTerm,
    Settings,
    card_term,
    check_repeats,
    choose_card,
    read_feature,
    read_settings,
    read_terms,
    request_on,
    split_terms,
)
from calculators.money import grouped, money_text
from calculators.ratecard import RateCard

STUDY_NOTES_CARD = "study-notes"
SEPARATOR = "vs"
EXAMPLE = "copilot=200 va=200/day users=200"


class Mode(StrEnum):
    """What is compared: two cards on the same terms, or two scenarios on one card."""

    CARDS = "cards"
    SCENARIOS = "scenarios"


class CellState(StrEnum):
    """How one side of a compared line came out."""

    PRICED = "priced"
    NO_RATE = "no rate"
    NOT_READ = "not comparable"
    ABSENT = "absent"


@dataclass(frozen=True)
class Cell:
    """One side of a compared line: its tokens, or why there are none."""

    state: CellState
    tokens: int | None = None
    understood: str | None = None
    rate: str | None = None
    reason: str | None = None

    @property
    def shown(self) -> str:
        """The cell as a table shows it: tokens, `no rate`, `not comparable` or a dash."""
        if self.state is CellState.PRICED and self.tokens is not None:
            return grouped(self.tokens)
        return "—" if self.state is CellState.ABSENT else self.state.value

    @property
    def counted(self) -> int | None:
        """Tokens for the difference: an absent feature counts 0, an unpriced one nothing."""
        if self.state is CellState.ABSENT:
            return 0
        return self.tokens if self.state is CellState.PRICED else None


@dataclass(frozen=True)
class ComparedLine:
    """One feature on both sides. `difference` is second minus first, when both are known."""

    feature: str
    name: str
    first: Cell
    second: Cell

    @property
    def difference(self) -> int | None:
        first, second = self.first.counted, self.second.counted
        if first is None or second is None:
            return None
        return second - first

    @property
    def difference_shown(self) -> str:
        return "—" if self.difference is None else signed(self.difference)


def signed(amount: int) -> str:
    """`+2,000`, `-10,557` or `0`."""
    return f"+{grouped(amount)}" if amount > 0 else grouped(amount)


@dataclass(frozen=True)
class Side:
    """One of the two estimates, with the terms it could not read and what was adjusted."""

    label: str
    input: str
    estimate: Estimate
    unread: tuple[str, ...] = ()
    """Terms this side's card could not read (each with the reason): not comparable."""
    notes: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        """True when its totals leave something out (a term unread or unpriced)."""
        return not self.estimate.complete or bool(self.unread)


@dataclass(frozen=True)
class Comparison:
    """Two estimates, their lines paired, and the one-sentence verdict."""

    mode: Mode
    first: Side
    second: Side
    lines: tuple[ComparedLine, ...]
    verdict: str

    @property
    def headings(self) -> tuple[str, str, str]:
        """Column headings: the two sides, then what the difference column subtracts."""
        first, second = self.first.label, self.second.label
        return first.capitalize(), second.capitalize(), f"{second.capitalize()} - {first}"

    @property
    def total_difference(self) -> int:
        return self.second.estimate.total_tokens - self.first.estimate.total_tokens

    @property
    def billable_difference(self) -> int:
        return self.second.estimate.billable_tokens - self.first.estimate.billable_tokens


def split_scenarios(text: str | Sequence[str]) -> tuple[list[str], list[str] | None]:
    """The terms before and after a standalone `vs` (None after when there is no `vs`)."""
    terms = split_terms(text)
    marks = [i for i, term in enumerate(terms) if term.lower() == SEPARATOR]
    if not marks:
        return terms, None
    if len(marks) > 1:
        raise GrammarError(f"give '{SEPARATOR}' once: compare A... vs B...")
    first, second = terms[: marks[0]], terms[marks[0] + 1 :]
    for name, side in (("before", first), ("after", second)):
        if not side:
            raise GrammarError(
                f"nothing {name} '{SEPARATOR}': compare two scenarios as "
                f"A... {SEPARATOR} B..., e.g. copilot=50 {SEPARATOR} copilot=80"
            )
    return first, second


def compare(text: str | Sequence[str], cards: Mapping[str, RateCard]) -> Comparison:
    """Compare the list card with the study-notes card, or scenario A with scenario B.

    Raises:
        CalculatorError: a term neither side can read, a bad setting, or a malformed `vs`.
    """
    first, second = split_scenarios(text)
    if second is None:
        return compare_cards(first, cards)
    return compare_scenarios(first, second, cards)


# -- two cards, the same terms -----------------------------------------------------------------


def compare_cards(
    terms: Sequence[str],
    cards: Mapping[str, RateCard],
    first: str = DEFAULT_CARD,
    second: str = STUDY_NOTES_CARD,
) -> Comparison:
    """The same terms on two cards; a term one card cannot read is not comparable there."""
    raw = read_terms(terms)
    chosen = card_term(raw)
    if chosen is not None:
        raise GrammarError(
            f"{chosen.term}: compare puts the {first} card beside the {second} card; drop "
            f"card=, or compare two scenarios on one card with A... {SEPARATOR} B..."
        )
    settings = read_settings(raw)
    features = [item for item in raw if not item.is_setting]
    if not features:
        raise GrammarError(
            f"nothing to compare: give at least one FEATURE=QUANTITY, e.g. {EXAMPLE}"
        )
    pair = (choose_card(first, cards), choose_card(second, cards))
    read: list[dict[str, FeatureTerm | CalculatorError]] = [{}, {}]
    for item in features:
        for side, card in enumerate(pair):
            try:
                read[side][item.term] = read_feature(item, card)
            except CalculatorError as exc:
                read[side][item.term] = exc
        errors = [read[side][item.term] for side in (0, 1)]
        if all(isinstance(error, CalculatorError) for error in errors):
            raise errors[0]  # type: ignore[misc]  # neither card reads it: the user's error
    sides = [_card_side(pair[side], raw, features, read[side], settings, cards) for side in (0, 1)]
    lines = []
    for item in features:
        cells = [_card_cell(sides[side].estimate, read[side][item.term]) for side in (0, 1)]
        key, name = _name(item, pair)
        lines.append(ComparedLine(feature=key, name=name, first=cells[0], second=cells[1]))
    return Comparison(
        mode=Mode.CARDS,
        first=sides[0],
        second=sides[1],
        lines=tuple(lines),
        verdict=_cards_verdict(sides[0], sides[1]),
    )


def _label(card: RateCard) -> str:
    return card.name.replace("-", " ")


def _name(item: RawTerm, pair: Sequence[RateCard]) -> tuple[str, str]:
    for card in pair:
        key = card.find_feature(item.key)
        if key is not None:
            return key, card.features[key].display
    return item.key, item.key  # pragma: no cover - compare_cards raised for it already


def _card_side(
    card: RateCard,
    raw: Sequence[RawTerm],
    features: Sequence[RawTerm],
    read: Mapping[str, FeatureTerm | CalculatorError],
    settings: Settings,
    cards: Mapping[str, RateCard],
) -> Side:
    terms = [term for term in read.values() if isinstance(term, FeatureTerm)]
    check_repeats(terms)
    unread = tuple(
        f"{item.term} is not comparable on the {card.name} card: {_reason(item, read)}"
        for item in features
        if isinstance(read[item.term], CalculatorError)
    )
    notes: list[str] = []
    currency = settings.currency
    if currency is not None and settings.price is None and currency not in card.prices.per_token:
        notes.append(
            f"the {card.name} card has no {currency} price: its cost is in {card.default_currency}"
        )
        settings = dataclasses.replace(settings, currency=card.default_currency)
    request = EstimateRequest(card=card, terms=tuple(terms), settings=settings)
    shown = " ".join(item.term for item in raw)
    return Side(
        label=_label(card),
        input=shown,
        estimate=estimate(request, cards),
        unread=unread,
        notes=tuple(notes),
    )


def _reason(item: RawTerm, read: Mapping[str, FeatureTerm | CalculatorError]) -> str:
    """The error message without the term it starts with (the caller names the term)."""
    return str(read[item.term]).removeprefix(f"{item.term}: ")


def _card_cell(result: Estimate, read: FeatureTerm | CalculatorError) -> Cell:
    if isinstance(read, CalculatorError):
        return Cell(state=CellState.NOT_READ, reason=read.message)
    line = next(line for line in result.lines if line.term == read.term)
    return _line_cell(line)


def _line_cell(line: Line) -> Cell:
    if line.tokens is None:
        return Cell(state=CellState.NO_RATE, understood=line.understood, reason=line.note)
    # A per-user line's understood text already carries its rate ("200 named users x 40").
    rate = None if line.rate is None or line.unit == "user" else line.rate.text
    return Cell(state=CellState.PRICED, tokens=line.tokens, understood=line.understood, rate=rate)


# -- two scenarios, one card -------------------------------------------------------------------


def compare_scenarios(
    first: Sequence[str], second: Sequence[str], cards: Mapping[str, RateCard]
) -> Comparison:
    """Scenario A beside scenario B on one card (`card=` on either side applies to both)."""
    raws = [read_terms(first), read_terms(second)]
    named = [card_term(raw) for raw in raws]
    chosen = {choose_card(term.value, cards).name for term in named if term is not None}
    if len(chosen) > 1:
        raise GrammarError(
            f"A... {SEPARATOR} B... compares two scenarios on one card, not "
            f"{' and '.join(sorted(chosen))}; to set the list card beside the study notes, "
            f"drop '{SEPARATOR}' and card="
        )
    card = cards[chosen.pop()] if chosen else cards[DEFAULT_CARD]
    sides = []
    for label, raw in zip(("A", "B"), raws, strict=True):
        nothing = (
            f"scenario {label} has nothing to estimate: give at least one FEATURE=QUANTITY, "
            f"e.g. copilot=50 {SEPARATOR} copilot=80"
        )
        request = request_on(raw, card, nothing=nothing)
        shown = " ".join(item.term for item in raw)
        sides.append(Side(label=label, input=shown, estimate=estimate(request, cards)))
    keys: list[str] = []
    for side in sides:
        keys += [line.feature for line in side.estimate.lines if line.feature not in keys]
    lines = tuple(
        ComparedLine(
            feature=key,
            name=card.features[key].display,
            first=_scenario_cell(sides[0].estimate, key),
            second=_scenario_cell(sides[1].estimate, key),
        )
        for key in keys
    )
    return Comparison(
        mode=Mode.SCENARIOS,
        first=sides[0],
        second=sides[1],
        lines=lines,
        verdict=_scenarios_verdict(sides[0], sides[1]),
    )


def _scenario_cell(result: Estimate, key: str) -> Cell:
    for line in result.lines:
        if line.feature == key:
            return _line_cell(line)
    return Cell(state=CellState.ABSENT, reason="not in this scenario")


# -- verdicts ------------------------------------------------------------------------------------


def _cost(result: Estimate) -> str:
    return f"{result.cost.currency} {money_text(result.cost.amount, result.cost.currency)}"


def _at_least(side: Side) -> str:
    return "at least " if side.partial else ""


def _cards_verdict(listed: Side, notes: Side) -> str:
    """`the study notes show 18,807 tokens and no overage; at list rates this org is billed ...`."""
    n, r = notes.estimate, listed.estimate
    said = f"the {notes.label} show {_at_least(notes)}{grouped(n.total_tokens)} tokens and "
    if n.billable_tokens == 0:
        said += "no overage" + (" on the lines they price" if notes.partial else "")
    else:
        said += f"{_at_least(notes)}{grouped(n.billable_tokens)} billable ({_cost(n)})"
    said += f"; at {listed.label} rates this org "
    if r.billable_tokens == 0 and not listed.partial:
        said += (
            f"stays within its free allocation ({grouped(r.total_tokens)} of "
            f"{grouped(r.free_allocation)} tokens)"
        )
    else:
        said += (
            f"is billed {_at_least(listed)}{grouped(r.billable_tokens)} tokens, "
            f"{_at_least(listed)}{_cost(r)} a month"
        )
    if listed.partial or notes.partial:
        said += " (leaving out what a card could not price: see the lines)"
    return said[0].upper() + said[1:] + "."


def _scenarios_verdict(first: Side, second: Side) -> str:
    a, b = first.estimate, second.estimate
    change = b.billable_tokens - a.billable_tokens
    if change == 0:
        said = f"A and B are billed the same: {grouped(a.billable_tokens)} tokens a month"
    else:
        more = "more" if change > 0 else "fewer"
        said = f"B is billed {grouped(abs(change))} {more} tokens a month than A"
        if a.cost.currency == b.cost.currency and a.cost.price == b.cost.price:
            amount = abs(b.cost.amount - a.cost.amount)
            said += f" ({a.cost.currency} {money_text(amount, a.cost.currency)} "
            said += f"{'more' if change > 0 else 'less'})"
        said += f": {grouped(a.billable_tokens)} -> {grouped(b.billable_tokens)} billable"
    said += f"; A costs {_cost(a)}, B {_cost(b)}"
    if first.partial or second.partial:
        said += " (leaving out lines without a rate: see the lines)"
    return said + "."
