"""The calculator's error tree. Every message is safe to show a user as it is."""


class CalculatorError(Exception):
    """Base class: something the user typed or chose cannot be computed."""

    @property
    def message(self) -> str:
        return str(self)


class GrammarError(CalculatorError):
    """An estimate term cannot be read (bad shape, number, period, setting or repeat)."""


class UnknownFeatureError(GrammarError):
    """A feature name or alias is not on the chosen rate card."""


class UnitError(GrammarError):
    """A quantity is given in a unit the feature's meter does not use."""


class UnknownCardError(CalculatorError):
    """No rate card has that name."""


class UnknownCurrencyError(CalculatorError):
    """The rate card has no price in that currency."""


class ExplainError(CalculatorError):
    """A reverse question ("what do N tokens mean?") cannot be answered as asked."""
