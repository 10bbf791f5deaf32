"""Review reminders: which entries fall due for review, and whose they are. Pure: no clock.

An entry is due `review_days` (default 180) after `last_reviewed`. `due_for_review` lists the
entries whose review date has passed or falls within the next `days`, grouped by `owner`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.entries import Entry

DEFAULT_NOTICE_DAYS = 14
"""How far ahead `tokenbot kb due` looks by default: two weekly reminders' notice."""


@dataclass(frozen=True)
class OwnerDue:
    """One owner's entries to review (`owner` None: entries nobody owns), earliest due first."""

    owner: str | None
    entries: tuple[Entry, ...]


def due_for_review(entries: Iterable[Entry], today: dt.date, days: int) -> list[OwnerDue]:
    """Entries due on or before `today + days`, by owner: the owner with the earliest due date
    first, entries nobody owns last."""
    horizon = today + dt.timedelta(days=days)
    due = sorted(
        (entry for entry in entries if entry.review_due <= horizon),
        key=lambda entry: (entry.review_due, entry.id),
    )
    owners: dict[str | None, list[Entry]] = {}
    for entry in due:
        owners.setdefault(entry.owner, []).append(entry)
    ordered = sorted(owners.items(), key=lambda item: (item[0] is None, item[1][0].review_due))
    return [OwnerDue(owner, tuple(found)) for owner, found in ordered]
