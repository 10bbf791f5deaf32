"""The estimate form: a modal with a field per feature, built pre-filled and read back.

`/tokens estimate` with no terms opens it (`views.open`), and so does the **Edit** button of
every estimate reply, pre-filled with that estimate's terms. Submitting it turns the fields back
into the one-line grammar (`copilot=50 va=2000/day concurrent=80`), so the reply is exactly the
one-line command's. A field that cannot be read gets its message under the field
(`response_action: errors`).

Pure: views are plain dicts; the listeners in `bot.slack.listeners.forms` send them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.slack.render import Block
from bot.slack.surfaces import ESTIMATE_FORM
from calculators.errors import CalculatorError
from calculators.grammar import (
    DEFAULT_CARD,
    MAX_NUMBER,
    Period,
    RawTerm,
    choose_card,
    parse_terms,
    read_feature,
    read_settings,
    read_terms,
)
from calculators.money import plain
from calculators.ratecard import Licence, MeterKind, RateCard, Tier

TITLE = "Token estimate"
SUBMIT = "Estimate"
CLOSE = "Cancel"
QUANTITY = "quantity"
PERIOD = "period"
CHOICE = "choice"
MORE = "more"
LICENCE = "licence"
PEAK = "peak"
TIER = "tier"
CURRENCY = "currency"
CARD = "card"
NO_TIER = "none"
MAX_METADATA = 3000
"""Slack's limit on a view's `private_metadata`."""
MORE_HINT = (
    "Anything else in the one-line grammar: a contract rate (sta=36@50), days=22, "
    "committed=1600, price=0.95, or a quantity such as voicebot=1000x5min."
)
NOTHING = "nothing to estimate: enter at least one quantity, or a term under More terms"
KEPT_AS_TERMS = ("days", "price", "committed")
"""Settings with no field of their own: an Edit keeps them in the "more terms" field."""


QUANTITY_PREFIX = "q:"
PERIOD_PREFIX = "p:"


def quantity_block(key: str) -> str:
    return QUANTITY_PREFIX + key


def period_block(key: str) -> str:
    return PERIOD_PREFIX + key


@dataclass(frozen=True)
class Origin:
    """Where the form was opened from, so the reply goes back there (kept in the view)."""

    channel_id: str
    response_url: str | None = None

    def encode(self) -> str:
        data = {"c": self.channel_id}
        if self.response_url and len(self.response_url) < MAX_METADATA - 100:
            data["r"] = self.response_url
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> Origin:
        try:
            data = json.loads(text or "")
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return cls(channel_id="")
        url = data.get("r")
        return cls(channel_id=data["c"], response_url=url if isinstance(url, str) else None)


@dataclass
class Prefill:
    """What the form shows when it opens: empty, or the terms of an estimate to edit."""

    card: str = DEFAULT_CARD
    quantities: dict[str, tuple[str, Period]] = field(default_factory=dict)
    licence: Licence = Licence.NAMED
    peak: str | None = None
    tier: Tier | None = None
    currency: str | None = None
    more: list[str] = field(default_factory=list)


def prefill_from(text: str, cards: Mapping[str, RateCard]) -> Prefill:
    """The form's fields for an estimate line; what no field holds goes to "more terms"."""
    try:
        request = parse_terms(text, cards)
        raw = read_terms(text)
    except CalculatorError:
        return Prefill(more=[text])  # e.g. a card changed since: the user sees it all, as typed
    filled = Prefill(card=request.card.name)
    for term in request.terms:
        if term.rate is not None:
            filled.more.append(term.term)
        else:
            filled.quantities[term.key] = (plain(term.amount), term.period)
    settings = request.settings
    if settings.concurrent is not None:
        filled.licence, filled.peak = Licence.CONCURRENT, str(settings.concurrent)
    elif settings.users is not None:
        filled.peak = str(settings.users)
    filled.tier = settings.tier
    filled.currency = settings.currency
    filled.more += [item.term for item in raw if item.name in KEPT_AS_TERMS]
    return filled


# -- building the view ---------------------------------------------------------------------------


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _text(label), "value": value}


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    hint: str | None = None,
    optional: bool = True,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": _text(label[:2000]),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = _text(hint[:2000])
    return block


def _select(options: Sequence[tuple[str, str]], initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": CHOICE,
        "options": [_option(label, value) for label, value in options],
    }
    for label, value in options:
        if value == initial:
            element["initial_option"] = _option(label, value)
    return element


def _number(*, decimals: bool, initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "number_input",
        "action_id": QUANTITY,
        "is_decimal_allowed": decimals,
        "min_value": "0",
        "max_value": plain(MAX_NUMBER),
    }
    if initial is not None:
        element["initial_value"] = initial
    return element


PERIODS = (
    ("per month", Period.MONTH.value),
    ("per working day", Period.DAY.value),
    ("per week", Period.WEEK.value),
    ("per year", Period.YEAR.value),
)


def estimate_form(
    cards: Mapping[str, RateCard], origin: Origin, prefill: Prefill | None = None
) -> dict[str, Any]:
    """The modal: organization settings, then a field per feature (+ its period), then more."""
    filled = prefill or Prefill()
    card = cards.get(filled.card, cards[DEFAULT_CARD])
    blocks: list[Block] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Fill in what the customer uses and leave the rest empty. Rates are "
                "list rates; the customer's contract and invoice govern.",
            },
        },
        _input(
            LICENCE,
            "Licence model",
            {
                "type": "radio_buttons",
                "action_id": CHOICE,
                "options": [
                    _option("Named users", Licence.NAMED.value),
                    _option("Concurrent users (billed on the peak)", Licence.CONCURRENT.value),
                ],
                "initial_option": _option(
                    "Named users"
                    if filled.licence is Licence.NAMED
                    else "Concurrent users (billed on the peak)",
                    filled.licence.value,
                ),
            },
            optional=False,
        ),
        _input(
            PEAK,
            "Users in the org (named) or peak concurrent users",
            _number(decimals=False, initial=filled.peak),
            hint="Needed for a concurrent org: per-user features are billed on the peak.",
        ),
        _input(
            TIER,
            "Tier",
            _select(
                [("not given", NO_TIER), *((tier.label, tier.value) for tier in Tier)],
                filled.tier.value if filled.tier else NO_TIER,
            ),
            hint="STA is included in CX 3 and CX 4.",
        ),
        _input(
            CURRENCY,
            "Currency",
            _select(
                [(code, code) for code in card.prices.per_token],
                filled.currency or card.default_currency,
            ),
        ),
        _input(
            CARD,
            "Rate card",
            _select(
                [
                    (f"{c.name}{'' if c.official else ' (unofficial)'}", c.name)
                    for c in cards.values()
                ],
                card.name,
            ),
            hint="Quantities are read in the units of this form's card.",
        ),
        {"type": "divider"},
    ]
    for key, feature in card.features.items():
        initial = filled.quantities.get(key)
        per_user = feature.kind is MeterKind.PER_USER
        unit = "users" if per_user else feature.unit.plural
        blocks.append(
            _input(
                quantity_block(key),
                f"{feature.display} ({unit})",
                _number(decimals=not per_user, initial=initial[0] if initial else None),
                hint=f"{feature.name}: {feature.rate_text()}",
            )
        )
        if not per_user:
            period = initial[1].value if initial else Period.MONTH.value
            blocks.append(
                _input(period_block(key), f"{feature.display}: counted", _select(PERIODS, period))
            )
    blocks.append(
        _input(
            MORE,
            "More terms",
            {
                "type": "plain_text_input",
                "action_id": QUANTITY,
                **({"initial_value": " ".join(filled.more)} if filled.more else {}),
            },
            hint=MORE_HINT,
        )
    )
    return {
        "type": "modal",
        "callback_id": ESTIMATE_FORM,
        "title": _text(TITLE),
        "submit": _text(SUBMIT),
        "close": _text(CLOSE),
        "private_metadata": origin.encode(),
        "blocks": blocks,
    }


# -- reading it back ------------------------------------------------------------------------------


@dataclass
class FormInput:
    """The submitted form as one estimate line, or the message to show under each bad field."""

    terms: list[tuple[str, str]] = field(default_factory=list)
    """(block_id, term) in form order."""
    errors: dict[str, str] = field(default_factory=dict)
    first_feature: str = ""

    @property
    def line(self) -> str:
        return " ".join(term for _, term in self.terms)

    def error_block(self) -> str:
        """Where a whole-line problem is shown: "more terms" when used, else the first field."""
        return MORE if any(block == MORE for block, _ in self.terms) else self.first_feature


def _value(values: Mapping[str, Any], block_id: str) -> str | None:
    element = (values.get(block_id) or {}).get(QUANTITY) or {}
    value = element.get("value")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _choice(values: Mapping[str, Any], block_id: str) -> str | None:
    element = (values.get(block_id) or {}).get(CHOICE) or {}
    option = element.get("selected_option") or {}
    value = option.get("value")
    return value if isinstance(value, str) else None


def read_form(values: Mapping[str, Any], cards: Mapping[str, RateCard]) -> FormInput:
    """Turn `view.state.values` into an estimate line, checking each field on its own."""
    form = FormInput()
    try:
        card = choose_card(_choice(values, CARD) or DEFAULT_CARD, cards)
    except CalculatorError as exc:
        form.errors[CARD] = exc.message
        card = cards[DEFAULT_CARD]
    form.first_feature = quantity_block(next(iter(card.features)))
    if card.name != DEFAULT_CARD:
        form.terms.append((CARD, f"card={card.name}"))
    for key in card.features:
        amount = _value(values, quantity_block(key))
        if amount is None:
            continue
        period = _choice(values, period_block(key)) or Period.MONTH.value
        value = amount if period == Period.MONTH.value else f"{amount}/{period}"
        term = f"{key}={value}"
        try:
            read_feature(RawTerm(term=term, key=key, value=value), card)
        except CalculatorError as exc:
            form.errors[quantity_block(key)] = exc.message
        form.terms.append((quantity_block(key), term))
    licence = _choice(values, LICENCE) or Licence.NAMED.value
    peak = _value(values, PEAK)
    if licence == Licence.CONCURRENT.value and peak is None:
        form.errors[PEAK] = "a concurrent organization needs its peak concurrent users"
    elif peak is not None:
        name = "concurrent" if licence == Licence.CONCURRENT.value else "users"
        _setting_term(form, PEAK, name, peak)
    tier = _choice(values, TIER)
    if tier and tier != NO_TIER:
        _setting_term(form, TIER, "tier", tier)
    currency = _choice(values, CURRENCY)
    if currency and currency != card.default_currency:
        _setting_term(form, CURRENCY, "currency", currency)
    more = _value(values, MORE)
    if more is not None:
        form.terms.append((MORE, more))
    if not any(block.startswith(QUANTITY_PREFIX) or block == MORE for block, _ in form.terms):
        form.errors[form.first_feature] = NOTHING
    if not form.errors:
        try:
            parse_terms(form.line, cards)
        except CalculatorError as exc:
            form.errors[form.error_block()] = exc.message
    return form


def _setting_term(form: FormInput, block_id: str, name: str, value: str) -> None:
    term = f"{name}={value}"
    try:
        read_settings([RawTerm(term=term, key=name, value=value)])
    except CalculatorError as exc:
        form.errors[block_id] = exc.message
    form.terms.append((block_id, term))
