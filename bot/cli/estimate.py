"""`tokenbot estimate`, `tokenbot explain` and `tokenbot rates`: the calculator on a terminal."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bot.cli.table import text_table
from calculators.estimate import Estimate, Line, estimate
from calculators.explain import Explanation, explain
from calculators.grammar import DEFAULT_CARD, choose_card, parse_number
from calculators.money import grouped, money_text, plain, price_text
from calculators.ratecard import Feature, MeterKind, RateCard
from knowledge.loader import load_cards

EXIT_OK = 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `estimate`, `explain` and `rates` sub-commands."""
    parser = commands.add_parser(
        "estimate",
        help="monthly tokens and cost, e.g. estimate copilot=50 va=2000/day",
        description="Estimate monthly AI Experience tokens and their cost, line by line.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "terms", nargs="*", metavar="TERM", help="FEATURE=QUANTITY or SETTING=VALUE"
    )
    parser.set_defaults(run=run_estimate)

    parser = commands.add_parser(
        "explain",
        help="what N tokens of a feature stand for, e.g. explain 1620 sta",
        description="Turn a token count back into users or units of a feature.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--card", default=DEFAULT_CARD, help="rate card (default: list)")
    parser.add_argument("tokens", metavar="N", help="the token count, e.g. 1620 or 1.6k")
    parser.add_argument("feature", metavar="FEATURE", help="feature name or alias, e.g. sta")
    parser.add_argument("licence", nargs="?", metavar="named|concurrent", default=None)
    parser.set_defaults(run=run_explain)

    parser = commands.add_parser(
        "rates",
        help="the rate card, or one rate, with sources and confidence",
        description="Show a rate card, or one feature's rate, with its source and confidence.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--card", default=DEFAULT_CARD, help="rate card (default: list)")
    parser.add_argument("feature", nargs="?", metavar="FEATURE", default=None)
    parser.set_defaults(run=run_rates)


# -- commands --------------------------------------------------------------------------------


def run_estimate(args: argparse.Namespace) -> int:
    result = estimate(list(args.terms), load_cards())
    print(_dump(estimate_json(result)) if args.json else render_estimate(result))
    return EXIT_OK


def run_explain(args: argparse.Namespace) -> int:
    cards = load_cards()
    card = choose_card(args.card, cards)
    tokens = parse_number(args.tokens, f"explain {args.tokens}")
    result = explain(tokens, args.feature, args.licence, card)
    print(_dump(explanation_json(result, card)) if args.json else render_explanation(result))
    return EXIT_OK


def run_rates(args: argparse.Namespace) -> int:
    card = choose_card(args.card, load_cards())
    if args.feature is None:
        print(_dump(card_json(card)) if args.json else render_card(card))
        return EXIT_OK
    key = card.resolve(args.feature)
    feature = card.features[key]
    if args.json:
        print(_dump({"card": _card_header(card), "feature": feature_json(key, feature)}))
    else:
        print(render_feature(card, key, feature))
    return EXIT_OK


# -- JSON ------------------------------------------------------------------------------------


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def _card_header(card: RateCard) -> dict[str, Any]:
    return {
        "name": card.name,
        "title": card.title,
        "official": card.official,
        "effective": card.effective.isoformat(),
    }


def _line_json(line: Line) -> dict[str, Any]:
    rate = line.rate
    return {
        "feature": line.feature,
        "name": line.name,
        "term": line.term,
        "quantity": plain(line.quantity),
        "unit": line.unit,
        "understood": line.understood,
        "rate": None
        if rate is None
        else {
            "tokens": plain(rate.tokens),
            "per": plain(rate.per),
            "text": rate.text,
            "overridden": rate.overridden,
            "confidence": None if rate.confidence is None else rate.confidence.value,
            "source": None if rate.source is None else rate.source.url,
        },
        "exact_tokens": _decimal(line.exact_tokens),
        "tokens": line.tokens,
        "included": line.included,
        "note": line.note,
    }


def estimate_json(result: Estimate) -> dict[str, Any]:
    """The `--json` shape of an estimate; Decimals as strings, token counts as integers."""
    return {
        "card": _card_header(result.card),
        "licence": result.licence.value,
        "tier": None if result.tier is None else result.tier.value,
        "lines": [_line_json(line) for line in result.lines],
        "total_tokens": result.total_tokens,
        "free_allocation": result.free_allocation,
        "committed_tokens": result.committed_tokens,
        "billable_tokens": result.billable_tokens,
        "cost": {
            "amount": f"{result.cost.amount:f}",
            "currency": result.cost.currency,
            "price_per_token": price_text(result.cost.price, result.cost.currency),
            "list_price": result.cost.list_price,
        },
        "complete": result.complete,
        "warnings": list(result.warnings),
        "assumptions": list(result.assumptions),
    }


def explanation_json(result: Explanation, card: RateCard) -> dict[str, Any]:
    return {
        "card": _card_header(card),
        "feature": result.feature,
        "tokens": plain(result.tokens),
        "licence": None if result.licence is None else result.licence.value,
        "quantity": _decimal(result.quantity),
        "unit": result.unit,
        "whole": result.whole,
        "text": result.text,
        "rate": result.rate_text,
        "confidence": result.confidence.value,
        "source": result.source.url,
        "notes": list(result.notes),
    }


def feature_json(key: str, feature: Feature) -> dict[str, Any]:
    data: dict[str, Any] = {
        "feature": key,
        "name": feature.name,
        "aliases": list(feature.aliases),
        "kind": feature.kind.value,
        "unit": feature.unit.value,
        "meter": feature.meter,
        "rate": feature.rate_text(),
    }
    if feature.kind is MeterKind.PER_USER:
        data["named"] = _decimal(feature.named)
        data["concurrent"] = _decimal(feature.concurrent)
    else:
        data["tokens"] = _decimal(feature.tokens)
        data["per"] = plain(feature.per)
        data["input_units"] = [unit.value for unit in feature.input_units]
    data.update(
        {
            "included_tiers": [tier.value for tier in feature.included_tiers],
            "included_reason": feature.included_reason,
            "source": {"url": feature.source.url, "title": feature.source.title},
            "confidence": feature.confidence.value,
            "effective": feature.effective.isoformat(),
            "note": feature.note,
        }
    )
    return data


def card_json(card: RateCard) -> dict[str, Any]:
    allocation = card.free_allocation
    return {
        "card": _card_header(card),
        "description": card.description,
        "free_allocation": {
            "basis": allocation.basis,
            "named": allocation.named,
            "concurrent": allocation.concurrent,
            "source": allocation.source.url,
            "confidence": allocation.confidence.value,
        },
        "prices": {
            "per_token": {
                code: price_text(price, code) for code, price in card.prices.per_token.items()
            },
            "default_currency": card.default_currency,
            "source": card.prices.source.url,
            "confidence": card.prices.confidence.value,
        },
        "working_days": card.working_days,
        "features": [feature_json(key, feature) for key, feature in card.features.items()],
    }


# -- text ------------------------------------------------------------------------------------


def _banner(card: RateCard) -> list[str]:
    if card.official:
        return []
    return [f"UNOFFICIAL — {card.title}: these are not Genesys list rates.", ""]


def render_estimate(result: Estimate) -> str:
    """The estimate as a terminal table, then totals, warnings and assumptions."""
    card = result.card
    out = _banner(card)
    out.append(f"Estimate on the {card.name} card ({card.title}, effective {card.effective})")
    out.append("")
    rows: list[list[str]] = [["Feature", "Understood", "Rate", "Tokens"]]
    notes: dict[int, str] = {}
    for index, line in enumerate(result.lines, start=1):
        feature = card.features[line.feature]
        if line.rate is None:
            rate = "not published"
        else:
            confidence = "your rate" if line.rate.confidence is None else line.rate.confidence
            rate = f"{line.rate.text.removesuffix(' (your @RATE)')} ({confidence})"
        tokens = "needs @RATE" if line.tokens is None else grouped(line.tokens)
        rows.append([feature.display, line.understood, rate, tokens])
        if line.note:
            notes[index] = line.note
    table = text_table(rows, right=frozenset({3}))
    for index, text in enumerate(table):
        out.append(text)
        if index in notes:
            out.append(f"    note: {notes[index]}")
    out.append("")
    money = f"{result.cost.currency} {money_text(result.cost.amount, result.cost.currency)}"
    totals = [
        ["Total tokens", grouped(result.total_tokens)],
        ["Free allocation", grouped(result.free_allocation)],
    ]
    if result.committed_tokens:
        totals.append(["Committed tokens", grouped(result.committed_tokens)])
    totals.append(["Billable tokens", grouped(result.billable_tokens)])
    price = "list price" if result.cost.list_price else "your price"
    totals.append([f"Cost ({price})", money])
    out.extend(text_table(totals, right=frozenset({1})))
    if not result.complete:
        out.append("INCOMPLETE: a line has no published rate; see the warnings.")
    if result.warnings:
        out.append("")
        out.append("Warnings:")
        out.extend(f"  ! {warning}" for warning in result.warnings)
    out.append("")
    out.append("Assumptions:")
    out.extend(f"  - {assumption}" for assumption in result.assumptions)
    return "\n".join(out)


def render_explanation(result: Explanation) -> str:
    out = [result.text + "."]
    out.extend(f"  - {note}" for note in result.notes)
    out.append(f"  rate: {result.rate_text} ({result.confidence}) — {result.source.url}")
    return "\n".join(out)


def render_card(card: RateCard) -> str:
    allocation = card.free_allocation
    out = _banner(card)
    out.append(f"{card.title} ({card.name} card, effective {card.effective})")
    out.append(card.description)
    out.append("")
    basis = "organization" if allocation.basis == "organization" else "user"
    out.append(
        f"Free allocation: {allocation.named} per named {basis}, {allocation.concurrent} per "
        f"concurrent {basis}, per month ({allocation.confidence}) — {allocation.source.url}"
    )
    prices = ", ".join(
        f"{code} {price_text(price, code)}" for code, price in card.prices.per_token.items()
    )
    out.append(f"Price per token: {prices} ({card.prices.confidence}) — {card.prices.source.url}")
    out.append("")
    rows = [["Feature", "Name", "Rate", "Confidence", "Aliases"]]
    for key, feature in card.features.items():
        rows.append(
            [
                key,
                feature.display,
                feature.rate_text(),
                feature.confidence,
                ", ".join(feature.aliases),
            ]
        )
    out.extend(text_table(rows))
    out.append("")
    out.append("One rate with its source: tokenbot rates FEATURE")
    return "\n".join(out)


def render_feature(card: RateCard, key: str, feature: Feature) -> str:
    out = _banner(card)
    out.append(f"{feature.name} ({key}) on the {card.name} card")
    rows = [
        ["rate", feature.rate_text()],
        ["unit", f"{feature.unit.value} — {feature.meter}"],
        ["aliases", ", ".join(feature.aliases) or "-"],
        ["confidence", str(feature.confidence)],
        ["source", f"{feature.source.title} — {feature.source.url}"],
        ["effective", feature.effective.isoformat()],
    ]
    if feature.input_units:
        rows.append(["input units", ", ".join(unit.value for unit in feature.input_units)])
    if feature.included_tiers:
        tiers = ", ".join(tier.label for tier in feature.included_tiers)
        rows.append(["included", f"{tiers}: {feature.included_reason}"])
    for tier, note in feature.tier_notes.items():
        rows.append([tier.label, note])
    if feature.note:
        rows.append(["note", feature.note])
    out.extend(f"  {line}" for line in text_table(rows))
    return "\n".join(out)
