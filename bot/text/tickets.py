"""The plain-text blocks a user pastes into a support ticket: for an answer and for an estimate.

No Slack markup: Slack shows them as `plain_text` sections, the terminal prints them as they are.
"""

from __future__ import annotations

from bot.store.snapshots import EstimateSnapshot
from bot.text.answers import describe_confidence, markdown_to_plain, source_lines
from calculators.money import grouped
from knowledge.entries import Entry

PERMALINK_UNAVAILABLE = "(no link: this reply was only visible to you; share it to get one)"


def ticket_for_answer(entry: Entry, permalink: str | None) -> str:
    """Plain text for a support ticket: the short answer, then the full answer with every
    source marked by what was read of it, the confidence, the reference and the permalink."""
    lines = [
        entry.question,
        "",
        "In short: " + markdown_to_plain(entry.summary),
        "",
        markdown_to_plain(entry.answer),
        "",
        "Sources:",
    ]
    for source in entry.sources_by_strength:
        lines += source_lines(source)
    lines.append(f"Confidence: {describe_confidence(entry.confidence)}")
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
