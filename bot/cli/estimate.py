"""`tokenbot estimate`, `tokenbot explain` and `tokenbot rates`: the calculator on a terminal.

An estimate is stored in `TOKENBOT_DB` (default `./tokenbot.db`, created if missing) under a
reference that `tokenbot show REF` shows again, like the ones made in Slack. It is stored as
user `cli:<login name>` in channel `cli` (`tokenbot forget cli:<login name>` removes them).
When the database cannot be written the estimate is still printed, with a line saying it was
not saved; `--no-save` makes a throwaway.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.cli.table import bullets, fill, table_rows, terminal_width, text_table, wrap
from bot.errors import StorageError
from bot.settings import StoreSettings
from bot.store import open_store
from bot.store.snapshots import EstimateSnapshot
from calculators.estimate import Estimate, Line, estimate
from calculators.explain import Explanation, explain
from calculators.grammar import (
    DEFAULT_CARD,
    ESTIMATE_EXAMPLES,
    QUANTITY_HELP,
    SETTINGS_HELP,
    choose_card,
    feature_help,
    parse_number,
)
from calculators.money import plain, price_text
from calculators.ratecard import Feature, MeterKind, RateCard
from knowledge.loader import load_cards

EXIT_OK = 0
CLI_CHANNEL = "cli"
"""The channel id every command-line estimate is stored under."""
CLI_USER_PREFIX = "cli:"
"""Command-line estimates are stored as user `cli:<login name>`."""


def cli_user() -> str:
    """`cli:<login name>`, or `cli:unknown` when the login name cannot be read."""
    try:
        return CLI_USER_PREFIX + getpass.getuser()
    except (OSError, KeyError):
        return CLI_USER_PREFIX + "unknown"


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the description's own line breaks (it is already wrapped to the terminal)."""


shipped_cards = functools.cache(load_cards)
"""The shipped rate cards, read once per process."""


def _append_grammar(parser: argparse.ArgumentParser, width: int) -> None:
    """`--help` ends with the whole grammar; built only when asked (it reads the rate cards)."""
    usage_and_options = parser.format_help

    def format_help() -> str:
        grammar = grammar_help(shipped_cards()[DEFAULT_CARD], width)
        return f"{usage_and_options()}\n{grammar}\n"

    parser.format_help = format_help  # type: ignore[method-assign]


def grammar_help(card: RateCard, width: int, *, command: str = "tokenbot estimate") -> str:
    """Every feature key with aliases and unit, every setting, the quantity syntax, examples."""
    out = [f"Features (the {card.name} card; FEATURE=QUANTITY):"]
    for row in feature_help(card):
        aliases = ", ".join(row.aliases) or "-"
        out += wrap(
            f"{row.key}: {row.name}, in {row.unit}; aliases: {aliases}",
            width,
            indent="  ",
            hanging="      ",
        )
    out += ["", "Settings (SETTING=VALUE):"]
    for name, value, meaning in SETTINGS_HELP:
        out += wrap(f"{name}={value}: {meaning}", width, indent="  ", hanging="      ")
    out += ["", *wrap(QUANTITY_HELP, width), "", "Examples:"]
    for terms, meaning in ESTIMATE_EXAMPLES:
        out += wrap(f"{command} {terms}", width, indent="  ", hanging="      ")
        out += wrap(meaning, width, indent="      ")
    return "\n".join(out)


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `estimate`, `explain` and `rates` sub-commands."""
    width = terminal_width() - 2  # argparse indents nothing, but leaves a margin
    parser = commands.add_parser(
        "estimate",
        help="monthly tokens and cost, e.g. estimate copilot=50 va=2000/day",
        description=fill(
            "Estimate monthly AI Experience tokens and their cost, line by line. The estimate "
            "is stored in TOKENBOT_DB (default ./tokenbot.db) under a reference that "
            "`tokenbot show REF` shows again.",
            width,
        ),
        formatter_class=_Formatter,
    )
    _append_grammar(parser, width)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--no-save", action="store_true", help="do not store it (a throwaway: no reference)"
    )
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


# -- storing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """Where an estimate went: its reference, or why it has none."""

    reference: str | None
    problem: str | None = None

    @property
    def line(self) -> str:
        if self.reference is not None:
            return (
                f"Saved as {self.reference}: tokenbot show {self.reference} shows it again, "
                f"tokenbot show --ticket {self.reference} for a ticket."
            )
        return f"Not saved: {self.problem}."


NOT_SAVED_ON_REQUEST = "--no-save was given, so it has no reference"


def save_estimate(result: Estimate, input_text: str) -> Saved:
    """Store a command-line estimate in `TOKENBOT_DB`; a failure is reported, never raised."""
    try:
        settings = StoreSettings.from_env(os.environ)
        with open_store(settings.db) as store:
            reference = store.save_estimate(
                user_id=cli_user(),
                channel_id=CLI_CHANNEL,
                input_text=input_text,
                card=result.card.name,
                result_for=lambda ref: EstimateSnapshot.from_estimate(
                    result, reference=ref, input_text=input_text
                ).to_json(),
            )
    except StorageError as exc:
        return Saved(None, exc.message)
    except (sqlite3.Error, OSError) as exc:
        return Saved(None, f"the database could not be written ({exc})")
    return Saved(reference)


# -- commands --------------------------------------------------------------------------------


def run_estimate(args: argparse.Namespace) -> int:
    result = estimate(list(args.terms), shipped_cards())
    input_text = " ".join(args.terms)
    saved = Saved(None, NOT_SAVED_ON_REQUEST) if args.no_save else save_estimate(result, input_text)
    if args.json:
        data = estimate_json(result)
        data.update(
            {
                "reference": saved.reference,
                "saved": saved.reference is not None,
                "not_saved": saved.problem,
            }
        )
        print(_dump(data))
        return EXIT_OK
    snapshot = EstimateSnapshot.from_estimate(
        result, reference=saved.reference or "", input_text=input_text
    )
    print(render_snapshot(snapshot, terminal_width(), footer=saved.line))
    return EXIT_OK


def run_explain(args: argparse.Namespace) -> int:
    cards = shipped_cards()
    card = choose_card(args.card, cards)
    tokens = parse_number(args.tokens, f"explain {args.tokens}")
    result = explain(tokens, args.feature, args.licence, card)
    print(_dump(explanation_json(result, card)) if args.json else render_explanation(result))
    return EXIT_OK


def run_rates(args: argparse.Namespace) -> int:
    card = choose_card(args.card, shipped_cards())
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
        "missing": [line.term for line in result.missing],
        "warnings": list(result.warnings),
        "notices": [
            {
                "features": list(notice.features),
                "text": notice.text,
                "confidence": notice.confidence.value,
                "source": notice.source.url,
            }
            for notice in result.notices
        ],
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


def render_snapshot(
    s: EstimateSnapshot, width: int, *, made: str | None = None, footer: str | None = None
) -> str:
    """An estimate for the terminal, fitted to `width`: what is missing first, the lines
    (understood and rate columns wrapped, notes under their line), totals, warnings, overlaps,
    assumptions, the sources under the table, and what governs."""
    out: list[str] = []
    if not s.card_official:
        out += [*wrap(f"UNOFFICIAL — {s.card_title}: these are not Genesys list rates.", width)]
        out.append("")
    title = f"Estimate {s.reference}" if s.reference else "Estimate (not saved)"
    out += wrap(f"{title}, made {made}" if made else title, width)
    out += wrap(f"Rate card: {s.card_title} ({s.card_name}), {s.card_dated}", width)
    incomplete = s.incomplete_text()
    if incomplete:
        out += ["", *wrap(incomplete, width)]
    if made:
        out += wrap(f"Input: {s.input}", width, hanging="       ")
    out.append("")
    rows: list[list[str]] = [["Feature", "Understood", "Rate", "Tokens"]]
    for line in s.lines:
        if line.rate is None:
            rate = "not published"
        else:
            rate = f"{line.rate.removesuffix(' (your @RATE)')} ({line.confidence or 'your rate'})"
        tokens = "needs @RATE" if line.tokens is None else s.tokens_text(line.tokens)
        rows.append([line.short_name, line.understood, rate, tokens])
    physical = table_rows(rows, right=frozenset({3}), width=width, wrapped=frozenset({0, 1, 2}))
    for index, row in enumerate(physical):
        out += row
        if index and s.lines[index - 1].note:
            out += wrap(f"note: {s.lines[index - 1].note}", width, indent="    ", hanging="      ")
    out.append("")
    out += text_table([list(row) for row in s.total_rows()], right=frozenset({1}))
    if s.warnings:
        out += ["", "Warnings:", *bullets(s.warnings, width, mark="!")]
    if s.notices:
        out += ["", "Overlaps and metering:"]
        out += bullets([f"{n.text} ({n.confidence}: {n.source_url})" for n in s.notices], width)
    out += ["", "Assumptions:", *bullets(s.assumptions, width)]
    sources = s.sources()
    if sources:
        out += ["", "Sources of the rates:"]
        out += bullets([f"{url} ({confidence})" for url, confidence in sources], width)
    out += ["", *wrap(s.governs_text(), width)]
    if footer:
        out += wrap(footer, width)
    return "\n".join(out)


def render_explanation(result: Explanation, width: int | None = None) -> str:
    width = width or terminal_width()
    out = wrap(result.text + ".", width)
    out += bullets(list(result.notes), width)
    out += wrap(
        f"rate: {result.rate_text} ({result.confidence}) — {result.source.url}",
        width,
        indent="  ",
        hanging="    ",
    )
    return "\n".join(out)


def render_card(card: RateCard, width: int | None = None) -> str:
    """The card as a table fitted to `width`, its sources listed under the table."""
    width = width or terminal_width()
    allocation = card.free_allocation
    out = [line for text in _banner(card) for line in (wrap(text, width) if text else [""])]
    out += wrap(f"{card.title} ({card.name} card, {card.dated()})", width)
    out += wrap(card.description, width)
    out.append("")
    basis = "organization" if allocation.basis == "organization" else "user"
    out += wrap(
        f"Free allocation: {allocation.named} per named {basis}, {allocation.concurrent} per "
        f"concurrent {basis}, per month ({allocation.confidence}) — {allocation.source.url}",
        width,
    )
    prices = ", ".join(
        f"{code} {price_text(price, code)}" for code, price in card.prices.per_token.items()
    )
    out += wrap(
        f"Price per token: {prices} ({card.prices.confidence}) — {card.prices.source.url}",
        width,
    )
    out.append("")
    sources: list[str] = []
    rows = [["Feature", "Name", "Rate", "Confidence", "Source"]]
    for key, feature in card.features.items():
        if feature.source.url not in sources:
            sources.append(feature.source.url)
        rows.append(
            [
                key,
                feature.display,
                feature.rate_text(),
                str(feature.confidence),
                f"[{sources.index(feature.source.url) + 1}]",
            ]
        )
    out += text_table(rows, width=width, wrapped=frozenset({1, 2}))
    out += ["", "Aliases:"]
    out += bullets(
        [f"{key}: {', '.join(f.aliases) or '-'}" for key, f in card.features.items()], width
    )
    out += ["", "Sources:"]
    titles = {f.source.url: f.source.title for f in card.features.values()}
    for number, url in enumerate(sources, start=1):
        out += wrap(f"[{number}] {titles[url]}", width, hanging="    ")
        out += wrap(url, width, indent="    ")
    out += ["", "One rate with its source: tokenbot rates FEATURE"]
    return "\n".join(out)


def render_feature(card: RateCard, key: str, feature: Feature, width: int | None = None) -> str:
    width = width or terminal_width()
    out = [line for text in _banner(card) for line in (wrap(text, width) if text else [""])]
    out += wrap(f"{feature.name} ({key}) on the {card.name} card", width)
    rows = [
        ["rate", feature.rate_text()],
        ["unit", f"{feature.unit.value} — {feature.meter}"],
        ["aliases", ", ".join(feature.aliases) or "-"],
        ["confidence", str(feature.confidence)],
        ["source", feature.source.title],
        ["", feature.source.url],
        [card.date_label, feature.effective.isoformat()],
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
    out.extend(f"  {line}" for line in text_table(rows, width=width - 2, wrapped=frozenset({1})))
    return "\n".join(out)
