"""What an estimate said, frozen: stored as JSON, shown again by `/tokens show REF`.

A snapshot keeps the rendered facts (numbers already formatted by the calculator's rules), so
a stored estimate looks the same later even if the rate card has changed since.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from calculators.estimate import Estimate
from calculators.money import grouped, money_text


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
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EstimateSnapshot:
        fields = dict(data)
        fields["lines"] = tuple(LineSnapshot(**line) for line in data["lines"])
        fields["assumptions"] = tuple(data["assumptions"])
        fields["warnings"] = tuple(data["warnings"])
        return cls(**fields)

    def official_urls(self) -> list[str]:
        """Source URLs of lines whose rate is official, without repeats, in line order."""
        urls: list[str] = []
        for line in self.lines:
            if line.official_source and line.source_url and line.source_url not in urls:
                urls.append(line.source_url)
        return urls

    @staticmethod
    def tokens_text(tokens: int) -> str:
        return grouped(tokens)
