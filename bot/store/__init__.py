"""Adapter: everything tokenbot remembers, behind one `Store`, with its migrations and reports.

Callers import from here, not from the implementation module, so that a second backend can sit
behind the same names. `snapshots` (what a stored estimate said) and `reports` (the curator's
reports over stored rows) are pure.
"""

import logging

from bot.store.sqlite import (
    BUSY_TIMEOUT_MS,
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
    "BUSY_TIMEOUT_MS",
    "REFERENCE",
    "Activity",
    "Forgotten",
    "Purged",
    "Store",
    "StoredEstimate",
    "StoredQuestion",
    "StoredVote",
]

# A failing database is logged by the store; where the entry point configured no logging (the
# one-line command-line tools), those lines stay out of the terminal.
logging.getLogger(__name__).addHandler(logging.NullHandler())
