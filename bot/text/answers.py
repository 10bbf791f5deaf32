"""Plain-text rendering shared by the terminal and the ticket block: no Slack markup."""

from __future__ import annotations

import re

from knowledge.entries import Confidence, Entry, Source

_BOLD = re.compile(r"\*\*(.+?)\*\*")

CONFIDENCE_NOTES = {
    Confidence.OFFICIAL: "official (every fact is stated on a Genesys-owned page)",
    Confidence.STAFF: (
        "likely (its weakest fact is Genesys text seen via a copy, or said by Genesys staff)"
    ),
    Confidence.COMMUNITY: (
        "unconfirmed (its weakest fact rests on a community or third-party source only)"
    ),
    Confidence.SEED_ONLY: "unsupported (its weakest fact is only in the study notes)",
}


def markdown_to_plain(markdown: str) -> str:
    """The knowledge base's small Markdown subset, as plain text."""
    return _BOLD.sub(r"\1", markdown)


def describe_confidence(confidence: Confidence) -> str:
    return CONFIDENCE_NOTES[confidence]


def source_lines(source: Source) -> list[str]:
    """A source as two plain lines: its title and what was read of it, then its URL."""
    return [f"- {source.title} ({source.kind.label})", f"  {source.url}"]


def full_answer_lines(entry: Entry) -> list[str]:
    """The whole answer as plain text: body, sources by strength, confidence, reference."""
    lines = [markdown_to_plain(entry.answer), "", "Sources:"]
    for source in entry.sources_by_strength:
        lines += source_lines(source)
    lines.append(f"Confidence: {describe_confidence(entry.confidence)}")
    lines.append(entry.reference)
    return lines
