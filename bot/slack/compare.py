"""`/tokens compare`: the list card beside the study notes (or A beside B) as Block Kit."""

from __future__ import annotations

from bot.slack.render import (
    Block,
    Message,
    actions,
    context,
    divider,
    escape,
    fields_section,
    fit,
    header,
    section,
    share_button,
    trim,
)
from bot.slack.surfaces import COMMAND
from calculators.compare import CellState, ComparedLine, Comparison, Mode, Side, signed
from calculators.money import grouped, money_text

CONTRACT = "List rates; the customer's contract and invoice govern."


def _least(side: Side, text: str) -> str:
    return f"at least {text}" if side.partial else text


def _cost(side: Side) -> str:
    cost = side.estimate.cost
    return f"{cost.currency} {money_text(cost.amount, cost.currency)}"


def _line(result: Comparison, line: ComparedLine) -> str:
    first, second, _ = result.headings
    said = (
        f"*{escape(line.name)}*: {escape(first)} *{escape(line.first.shown)}* · "
        f"{escape(second)} *{escape(line.second.shown)}*"
    )
    if line.difference is not None:
        said += f" · difference *{signed(line.difference)}*"
    reads = []
    for side, cell in ((result.first, line.first), (result.second, line.second)):
        if cell.understood:
            rate = f" at {cell.rate}" if cell.rate else ""
            reads.append(f"{side.label}: {cell.understood}{rate}")
        if cell.state in (CellState.NO_RATE, CellState.NOT_READ) and cell.reason:
            reads.append(f"{side.label}: not comparable: {cell.reason}")
    if reads:
        said += "\n_" + escape("; ".join(reads)) + "_"
    return said


def _total(label: str, a: str, b: str, difference: int | None) -> str:
    shown = f"*{label}*\n{escape(a)} → {escape(b)}"
    return shown + (f" ({signed(difference)})" if difference is not None else "")


def render_compare(result: Comparison, *, share: str | None = None) -> Message:
    """Both sides line by line, the totals, what is not comparable, the verdict, the caveat."""
    a, b = result.first, result.second
    ea, eb = a.estimate, b.estimate
    if result.mode is Mode.CARDS:
        title = f"Compare: {ea.card.name} card beside the {eb.card.name} card"
        said = f"`{COMMAND} compare {escape(trim(a.input, 500))}`"
    else:
        title = f"Compare: scenario A beside B ({ea.card.name} card)"
        said = f"A: `{escape(trim(a.input, 400))}` · B: `{escape(trim(b.input, 400))}`"
    blocks: list[Block] = [header(title), context(said)]
    unofficial = [side for side in (a, b) if not side.estimate.card.official]
    if unofficial:
        card = unofficial[0].estimate.card
        blocks.append(
            section(
                f":warning: *UNOFFICIAL*: the {escape(card.name)} figures ({escape(card.title)}) "
                "are not Genesys list rates; they are shown to correct a spreadsheet built on them."
            )
        )
    blocks.append(section(f"*{escape(result.verdict)}*"))
    blocks += [section(_line(result, line)) for line in result.lines]
    blocks.append(divider())
    first, second, _ = result.headings
    blocks.append(context(f"Totals: {escape(first)} → {escape(second)} (difference)"))
    blocks.append(
        fields_section(
            [
                _total(
                    "Total tokens",
                    _least(a, grouped(ea.total_tokens)),
                    _least(b, grouped(eb.total_tokens)),
                    result.total_difference,
                ),
                _total(
                    "Free allocation",
                    grouped(ea.free_allocation),
                    grouped(eb.free_allocation),
                    eb.free_allocation - ea.free_allocation,
                ),
                _total(
                    "Billable tokens",
                    _least(a, grouped(ea.billable_tokens)),
                    _least(b, grouped(eb.billable_tokens)),
                    result.billable_difference,
                ),
                _total("Cost", _least(a, _cost(a)), _least(b, _cost(b)), None),
            ]
        )
    )
    problems = [*a.unread, *b.unread, *a.notes, *b.notes]
    if problems:
        blocks.append(section("\n".join(f":warning: {escape(p)}" for p in problems)))
    notices: list[str] = []
    for side in (a, b):
        notices += [n.text for n in side.estimate.notices if n.text not in notices]
    if notices:
        blocks.append(
            section("*Overlaps and metering*\n" + "\n".join(f"• {escape(n)}" for n in notices))
        )
    blocks.append(context(CONTRACT))
    if share_button(share):
        blocks.append(actions("share", share_button(share)))
    return fit(escape(result.verdict), blocks)
