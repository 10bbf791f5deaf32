"""Adapter: everything tokenbot remembers, behind one `Store`, with its migrations and reports.

Callers import from here, not from the implementation module, so that a second backend can sit
behind the same names. `snapshots` (what a stored estimate said) and `reports` (the curator's
reports over stored rows) are pure.
"""

from bot.store.sqlite import (
    REFERENCE,
    Activity,
    Forgotten,
    Purged,
    Store,
    StoredEstimate,
    StoredQuestion,
    StoredVote,
)

__all__ = [
    "REFERENCE",
    "Activity",
    "Forgotten",
    "Purged",
    "Store",
    "StoredEstimate",
    "StoredQuestion",
    "StoredVote",
]
