"""Adapter: everything tokenbot remembers, behind one `Store`, with its migrations and reports.

Callers import from here, not from the implementation module, so that a second backend can sit
behind the same names. `snapshots` (what a stored estimate said) and `reports` (the curator's
reports over stored rows) are pure.
"""

import logging

from bot.store.sqlite import (
    BUSY_TIMEOUT_MS,
    REFERENCE,
    RELAY_INTERVAL,
    Activity,
    Forgotten,
    ForwardClaim,
    Purged,
    RelayClaim,
    Store,
    StoredEstimate,
    StoredForward,
    StoredQuestion,
    StoredReply,
    StoredVote,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "REFERENCE",
    "RELAY_INTERVAL",
    "Activity",
    "Forgotten",
    "ForwardClaim",
    "Purged",
    "RelayClaim",
    "Store",
    "StoredEstimate",
    "StoredForward",
    "StoredQuestion",
    "StoredReply",
    "StoredVote",
]

# A failing database is logged by the store; where the entry point configured no logging (the
# one-line command-line tools), those lines stay out of the terminal.
logging.getLogger(__name__).addHandler(logging.NullHandler())
