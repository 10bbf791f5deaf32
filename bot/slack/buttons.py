"""What a button carries in its `value`: a small JSON object, read back strictly."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.errors import StaleActionError

MAX_VALUE = 2000
"""Slack's limit on a button's value."""


@dataclass(frozen=True)
class ButtonValue:
    """The facts a click needs: which entry, which question, which estimate, what to replay."""

    entry: str | None = None
    question_id: int | None = None
    reference: str | None = None
    command: str | None = None

    def encode(self) -> str:
        data: dict[str, str | int] = {}
        if self.entry is not None:
            data["e"] = self.entry
        if self.question_id is not None:
            data["q"] = self.question_id
        if self.reference is not None:
            data["r"] = self.reference
        if self.command is not None:
            data["c"] = self.command
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    def fits(self) -> bool:
        return len(self.encode()) <= MAX_VALUE

    @classmethod
    def decode(cls, value: str | None) -> ButtonValue:
        """Read a value written by `encode`; anything else is a `StaleActionError`."""
        stale = StaleActionError("that button is out of date; ask again with /tokens")
        try:
            data = json.loads(value or "")
        except json.JSONDecodeError:
            raise stale from None
        if not isinstance(data, dict) or not set(data) <= {"e", "q", "r", "c"}:
            raise stale
        entry, question_id = data.get("e"), data.get("q")
        reference, command = data.get("r"), data.get("c")
        if not all(isinstance(v, str | None) for v in (entry, reference, command)):
            raise stale
        if question_id is not None and (
            not isinstance(question_id, int) or isinstance(question_id, bool)
        ):
            raise stale
        return cls(entry=entry, question_id=question_id, reference=reference, command=command)
