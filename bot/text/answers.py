"""Plain-text rendering shared by the terminal and the ticket block: no Slack markup."""

from __future__ import annotations

import re

from knowledge.entries import Confidence

_BOLD = re.compile(r"\*\*(.+?)\*\*")

CONFIDENCE_NOTES = {
    Confidence.OFFICIAL: "official (stated on a Genesys-owned page)",
    Confidence.STAFF: "likely (Genesys text seen via a copy, or said by Genesys staff)",
    Confidence.COMMUNITY: "unconfirmed (community or third-party source only)",
    Confidence.SEED_ONLY: "unsupported (only in the study notes)",
}


def markdown_to_plain(markdown: str) -> str:
    """The knowledge base's small Markdown subset, as plain text."""
    return _BOLD.sub(r"\1", markdown)


def describe_confidence(confidence: Confidence) -> str:
    return CONFIDENCE_NOTES[confidence]
