"""`tokenbot compare`: the list card beside the study-notes card, or scenario A beside B."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.cli.estimate import estimate_json, shipped_cards
from bot.cli.table import bullets, fill, terminal_width, text_table, wrap
from calculators.compare import (
    Cell,
    CellState,
    ComparedLine,
    Comparison,
    Mode,
    Side,
    compare,
    signed,
)
from calculators.money import grouped, money_text

EXIT_OK = 0
CONTRACT = "List rates; the customer's contract and invoice govern."


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `compare` sub-command."""
    parser = commands.add_parser(
        "compare",
        help="the list card beside the study notes, or A... vs B... (two scenarios)",
        description=fill(
            "Put the list card beside the study-notes card on the same terms, line by line "
            "with the difference, to show what a spreadsheet built on the study notes gets "
            "wrong; or, with `vs`, compare two scenarios on one card.",
            terminal_width() - 2,
        ),
        epilog="Examples:\n"
        "  tokenbot compare copilot=200 va=200/day users=200\n"
        "  tokenbot compare copilot=200 users=200 vs copilot=250 users=200\n"
        "Terms are those of `tokenbot estimate` (see tokenbot estimate --help).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "terms", nargs="*", metavar="TERM", help="FEATURE=QUANTITY or SETTING=VALUE, or vs"
    )
    parser.set_defaults(run=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    result = compare(list(args.terms), shipped_cards())
    if args.json:
        print(json.dumps(comparison_json(result), indent=2, ensure_ascii=False))
    else:
        print(render_comparison(result, terminal_width()))
    return EXIT_OK


# -- JSON ------------------------------------------------------------------------------------


def _cell_json(cell: Cell) -> dict[str, Any]:
    return {
        "state": cell.state.value,
        "tokens": cell.tokens,
        "understood": cell.understood,
        "rate": cell.rate,
        "reason": cell.reason,
    }


def _side_json(side: Side) -> dict[str, Any]:
    return {
        "label": side.label,
        "input": side.input,
        "partial": side.partial,
        "unread": list(side.unread),
        "notes": list(side.notes),
        "estimate": estimate_json(side.estimate),
    }


def comparison_json(result: Comparison) -> dict[str, Any]:
    """The `--json` shape: both estimates whole, the paired lines, differences, verdict."""
    return {
        "mode": result.mode.value,
        "first": _side_json(result.first),
        "second": _side_json(result.second),
        "lines": [
            {
                "feature": line.feature,
                "name": line.name,
                "first": _cell_json(line.first),
                "second": _cell_json(line.second),
                "difference": line.difference,
            }
            for line in result.lines
        ],
        "total_difference": result.total_difference,
        "billable_difference": result.billable_difference,
        "verdict": result.verdict,
    }


# -- text ------------------------------------------------------------------------------------


def _cost(side: Side) -> str:
    cost = side.estimate.cost
    return f"{cost.currency} {money_text(cost.amount, cost.currency)}"


def _least(side: Side, text: str) -> str:
    return f">= {text}" if side.partial else text


def _title(result: Comparison) -> str:
    first, second = result.first.estimate.card, result.second.estimate.card
    if result.mode is Mode.CARDS:
        return (
            f"The same terms on the {first.name} card ({first.title}, {first.dated()}) "
            f"and the {second.name} card ({second.title}"
            f"{'' if second.official else ', UNOFFICIAL'})"
        )
    return f"Two scenarios on the {first.name} card ({first.title}, {first.dated()})"


def render_comparison(result: Comparison, width: int) -> str:
    """Both sides line by line, the totals, what is not comparable and why, the verdict."""
    a, b = result.first, result.second
    first, second, difference = result.headings
    out = wrap(_title(result), width)
    if result.mode is Mode.CARDS:
        out += wrap(f"Terms: {a.input}", width, hanging="       ")
    else:
        out += wrap(f"A: {a.input}", width, hanging="   ")
        out += wrap(f"B: {b.input}", width, hanging="   ")
    out.append("")
    rows = [["Feature", first, second, difference]]
    for line in result.lines:
        rows.append([line.name, line.first.shown, line.second.shown, line.difference_shown])
    rows.append(["", "", "", ""])
    ea, eb = a.estimate, b.estimate
    rows += [
        [
            "Total tokens",
            _least(a, grouped(ea.total_tokens)),
            _least(b, grouped(eb.total_tokens)),
            signed(eb.total_tokens - ea.total_tokens),
        ],
        [
            "Free allocation",
            grouped(ea.free_allocation),
            grouped(eb.free_allocation),
            signed(eb.free_allocation - ea.free_allocation),
        ],
        [
            "Billable tokens",
            _least(a, grouped(ea.billable_tokens)),
            _least(b, grouped(eb.billable_tokens)),
            signed(result.billable_difference),
        ],
        ["Cost", _least(a, _cost(a)), _least(b, _cost(b)), ""],
    ]
    out += text_table(rows, right=frozenset({1, 2, 3}), width=width, wrapped=frozenset({0}))
    out += ["", *wrap(f"Verdict: {result.verdict}", width)]
    unread = [*a.unread, *b.unread]
    if unread:
        out += ["", "Not comparable:", *bullets(unread, width)]
    notes = [*a.notes, *b.notes]
    for line in result.lines:
        for side, cell in ((a, line.first), (b, line.second)):
            if cell.reason and cell.state is CellState.NO_RATE:
                notes.append(f"{side.label}: {cell.reason}")
    if notes:
        out += ["", "Notes:", *bullets(notes, width)]
    out += ["", "How each side read the terms:"]
    out += bullets([read for line in result.lines if (read := how_read(result, line))], width)
    caveats: list[str] = []
    for side in (a, b):
        caveats += [n.text for n in side.estimate.notices if n.text not in caveats]
    if caveats:
        out += ["", "Overlaps and metering:", *bullets(caveats, width)]
    out.append("")
    for side in (a, b):
        if not side.estimate.card.official:
            out += wrap(
                f"UNOFFICIAL: the {side.estimate.card.title} figures are not Genesys list rates.",
                width,
            )
            break
    out += wrap(CONTRACT, width)
    return "\n".join(out)


def how_read(result: Comparison, line: ComparedLine) -> str | None:
    """`Virtual Agent: list 4,000 interactions at 0.5 ...; study notes 4,000 sessions at 2 ...`."""
    cells = ((result.first, line.first), (result.second, line.second))
    said = [
        (side.label, cell.understood + (f" at {cell.rate}" if cell.rate else ""))
        for side, cell in cells
        if cell.understood
    ]
    if not said:
        return None
    if len(said) == 2 and said[0][1] == said[1][1]:
        return f"{line.name}: both {said[0][1]}"
    return f"{line.name}: " + "; ".join(f"{label} {text}" for label, text in said)
