"""The plain-text blocks a user pastes into a support ticket: for an answer and for an estimate.

No Slack markup: Slack shows them as `plain_text` sections, the terminal prints them as they are.
"""

from __future__ import annotations

from bot.store.snapshots import EstimateSnapshot
from bot.text.answers import markdown_to_plain
from calculators.money import grouped
from knowledge.entries import Entry

PERMALINK_UNAVAILABLE = "(no link: this reply was only visible to you; share it to get one)"


def ticket_for_answer(entry: Entry, permalink: str | None) -> str:
    """Plain text for a support ticket: short answer, official URLs, reference, permalink."""
    lines = [entry.question, "", markdown_to_plain(entry.summary), ""]
    official = entry.official_sources
    if official:
        lines.append("Official sources:")
        lines += [f"- {source.url}" for source in official]
    else:
        lines.append(
            "Official sources: none published; see " + ", ".join(str(s.url) for s in entry.sources)
        )
    lines.append(f"Reference: {entry.reference}")
    lines.append(f"Slack: {permalink or PERMALINK_UNAVAILABLE}")
    return "\n".join(lines)


def ticket_for_estimate(snapshot: EstimateSnapshot, permalink: str | None) -> str:
    """Plain text for a support ticket: the input, every line, the totals, the sources."""
    s = snapshot
    lines = [f"Token estimate {s.reference} ({s.card_title}, effective {s.card_effective})"]
    if not s.card_official:
        lines.append("UNOFFICIAL figures, not Genesys list rates.")
    lines.append(f"Input: {s.input}")
    for line in s.lines:
        tokens = "rate needed" if line.tokens is None else f"{grouped(line.tokens)} tokens"
        lines.append(f"- {line.name}: {line.understood} = {tokens}")
    lines.append(
        f"Total {grouped(s.total_tokens)}; free {grouped(s.free_allocation)}; billable "
        f"{grouped(s.billable_tokens)}; cost {s.currency} {s.cost}"
    )
    urls = s.official_urls()
    if urls:
        lines.append("Official sources:")
        lines += [f"- {url}" for url in urls]
    lines.append(f"Reference: {s.reference}")
    lines.append(f"Slack: {permalink or PERMALINK_UNAVAILABLE}")
    return "\n".join(lines)
