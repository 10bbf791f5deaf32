"""What an estimate said, frozen: stored as JSON, shown again by `/tokens show REF`.

A snapshot keeps the rendered facts (numbers already formatted by the calculator's rules), so
a stored estimate looks the same later even if the rate card has changed since. Fields added
after the first schema have defaults, so that every estimate ever stored can still be shown.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any

from calculators.estimate import Estimate
from calculators.money import grouped, money_text

UNKNOWN = "unknown"
"""A total that cannot be stated because a line has no rate and nothing is priced above 0."""
CONTRACT_GOVERNS = "the customer's contract and invoice govern"


@dataclass(frozen=True)
class LineSnapshot:
    term: str
    name: str
    understood: str
    rate: str | None
    confidence: str | None
    source_url: str | None
    official_source: bool
    tokens: int | None
    note: str | None
    display: str | None = None
    """The short name ("STA"); None in estimates stored before it was kept."""

    @property
    def short_name(self) -> str:
        return self.display or self.name.split(" (", 1)[0]


@dataclass(frozen=True)
class NoticeSnapshot:
    """A billing rule the lines cannot show (an overlap or a metering rule), with its source."""

    text: str
    confidence: str
    source_url: str
    source_title: str


@dataclass(frozen=True)
class EstimateSnapshot:
    reference: str
    input: str
    card_name: str
    card_title: str
    card_effective: str
    card_official: bool
    lines: tuple[LineSnapshot, ...]
    total_tokens: int
    free_allocation: int
    committed_tokens: int
    billable_tokens: int
    cost: str
    currency: str
    complete: bool
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]
    licence: str = "named"
    tier: str | None = None
    list_price: bool = True
    notices: tuple[NoticeSnapshot, ...] = ()
    card_date_label: str = "effective"
    """How `card_effective` reads ("rates as captured"); older snapshots said "effective"."""

    @classmethod
    def from_estimate(
        cls, result: Estimate, *, reference: str, input_text: str
    ) -> EstimateSnapshot:
        card = result.card
        return cls(
            reference=reference,
            input=input_text,
            card_name=card.name,
            card_title=card.title,
            card_effective=card.effective.isoformat(),
            card_date_label=card.date_label,
            card_official=card.official,
            lines=tuple(
                LineSnapshot(
                    term=line.term,
                    name=line.name,
                    understood=line.understood,
                    rate=None if line.rate is None else line.rate.text,
                    confidence=(
                        None
                        if line.rate is None or line.rate.confidence is None
                        else line.rate.confidence.value
                    ),
                    source_url=(
                        None
                        if line.rate is None or line.rate.source is None
                        else line.rate.source.url
                    ),
                    official_source=bool(
                        line.rate is not None
                        and line.rate.confidence is not None
                        and line.rate.confidence.value == "official"
                    ),
                    tokens=line.tokens,
                    note=line.note,
                    display=card.features[line.feature].display,
                )
                for line in result.lines
            ),
            total_tokens=result.total_tokens,
            free_allocation=result.free_allocation,
            committed_tokens=result.committed_tokens,
            billable_tokens=result.billable_tokens,
            cost=money_text(result.cost.amount, result.cost.currency),
            currency=result.cost.currency,
            complete=result.complete,
            assumptions=result.assumptions,
            warnings=result.warnings,
            licence=result.licence.value,
            tier=None if result.tier is None else result.tier.value,
            list_price=result.cost.list_price,
            notices=tuple(
                NoticeSnapshot(
                    text=notice.text,
                    confidence=notice.confidence.value,
                    source_url=notice.source.url,
                    source_title=notice.source.title,
                )
                for notice in result.notices
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EstimateSnapshot:
        known = {field.name for field in dataclasses.fields(cls)}
        fields = {key: value for key, value in data.items() if key in known}
        fields["lines"] = tuple(LineSnapshot(**line) for line in data["lines"])
        fields["assumptions"] = tuple(data["assumptions"])
        fields["warnings"] = tuple(data["warnings"])
        fields["notices"] = tuple(NoticeSnapshot(**n) for n in data.get("notices", ()))
        return cls(**fields)

    def sources(self) -> list[tuple[str, str]]:
        """(URL, confidence) of every rate used, without repeats, in line order."""
        found: dict[str, str] = {}
        for line in self.lines:
            if line.source_url and line.source_url not in found:
                found[line.source_url] = line.confidence or "your rate"
        return list(found.items())

    @property
    def card_dated(self) -> str:
        """`rates as captured 2026-06-07`: the card's date as it was when estimated."""
        return f"{self.card_date_label} {self.card_effective}"

    @staticmethod
    def tokens_text(tokens: int) -> str:
        return grouped(tokens)

    # -- what every surface says the same way -------------------------------------------------

    @property
    def missing(self) -> tuple[LineSnapshot, ...]:
        """The lines without a rate, which the totals leave out."""
        return tuple(line for line in self.lines if line.tokens is None)

    def incomplete_text(self) -> str | None:
        """The first thing an incomplete estimate says: what is missing and how to add it."""
        missing = self.missing
        if not missing:
            return None
        names = ", ".join(line.name for line in missing)
        asks = ", ".join(f"{line.term}@RATE" for line in missing)
        them = "it" if len(missing) == 1 else "them"
        return (
            f"INCOMPLETE: no rate for {names}. Add {asks} from the customer's contract; "
            f"until then the totals leave {them} out."
        )

    def total_rows(self) -> list[tuple[str, str]]:
        """(label, value) of the totals; "at least" (or unknown) when a line has no rate."""
        partial = not self.complete
        least = "at least " if partial else ""
        total = (
            UNKNOWN if partial and self.total_tokens == 0 else least + grouped(self.total_tokens)
        )
        billable = (
            UNKNOWN
            if partial and self.billable_tokens == 0
            else least + grouped(self.billable_tokens)
        )
        cost = (
            UNKNOWN
            if partial and self.billable_tokens == 0
            else f"{least}{self.currency} {self.cost}"
        )
        rows = [("Total tokens", total), ("Free allocation", grouped(self.free_allocation))]
        if self.committed_tokens:
            rows.append(("Committed tokens", grouped(self.committed_tokens)))
        rows.append(("Billable tokens", billable))
        rows.append((f"Cost ({'list price' if self.list_price else 'your price'})", cost))
        return rows

    def governs_text(self) -> str:
        """The closing caveat of every estimate: what the figures are, and what governs."""
        if not self.card_official:
            return f"Study-notes figures, not list rates; {CONTRACT_GOVERNS}."
        if not self.list_price:
            return f"List rates at your price per token (price=); {CONTRACT_GOVERNS}."
        return f"List rates; {CONTRACT_GOVERNS}."
