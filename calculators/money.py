"""Decimal arithmetic settings, the one rounding rule, and number formatting.

Every token or money value is a `Decimal`; floats never enter. Rounding happens only in
`round_half_up`, with an explicit mode, so the same input gives the same output byte for byte.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow

# Wide enough that no product of bounded inputs (see grammar.MAX_NUMBER) is ever rounded.
ARITHMETIC = Context(
    prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow]
)

# ISO 4217 currencies without minor units; every other currency is quoted to 0.01.
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "ISK", "VND", "HUF", "TWD"})


def round_half_up(value: Decimal, places: int = 0) -> Decimal:
    """Round `value` to `places` decimal places, halves away from zero."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=ARITHMETIC)


def round_tokens(value: Decimal) -> int:
    """Whole tokens, half-up: how each estimate line is rounded."""
    return int(round_half_up(value, 0))


def currency_places(currency: str) -> int:
    """Decimal places a currency is quoted in (0 for JPY, 2 for most)."""
    return 0 if currency in _ZERO_DECIMAL_CURRENCIES else 2


def round_money(value: Decimal, currency: str) -> Decimal:
    """An amount in `currency`, rounded half-up to its smallest quoted unit."""
    return round_half_up(value, currency_places(currency))


def plain(value: Decimal) -> str:
    """Fixed-point text without exponent or trailing zeros: 2000, 0.5, 294.1176..."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def grouped(value: Decimal | int, places: int = 2) -> str:
    """Human text with thousands separators, at most `places` decimals: 40,000 or 4,333.33."""
    number = Decimal(value)
    rounded = round_half_up(number, places)
    text = f"{rounded:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def money_text(value: Decimal, currency: str) -> str:
    """An amount with its currency's decimals and separators: 21,750.00."""
    return f"{round_money(value, currency):,f}"


def price_text(price: Decimal, currency: str) -> str:
    """A per-token price at least to the currency's decimals: 1.00, 0.80, 120, 0.955."""
    places = currency_places(currency)
    exponent = price.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return plain(price)
    return f"{round_half_up(price, places):f}"
