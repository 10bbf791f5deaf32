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


def ticket_for_estimate(
    snapshot: EstimateSnapshot, permalink: str | None = None, *, in_slack: bool = True
) -> str:
    """Plain text for a support ticket: the whole truth of a stored estimate.

    The reference, the card, what is missing first when a line has no rate, every line with
    its rate and confidence, the totals, every warning, overlap and assumption, the sources,
    and what governs. `in_slack` adds the Slack permalink line (the terminal has none).
    """
    s = snapshot
    lines = [f"Token estimate {s.reference}"]
    lines.append(f"Rate card: {s.card_title} ({s.card_name}), {s.card_dated}")
    if not s.card_official:
        lines.append("UNOFFICIAL figures, not Genesys list rates.")
    incomplete = s.incomplete_text()
    if incomplete:
        lines.append(incomplete)
    lines.append(f"Input: {s.input}")
    lines.append("Lines:")
    for line in s.lines:
        tokens = "no rate" if line.tokens is None else f"{grouped(line.tokens)} tokens"
        rate = (
            "" if line.rate is None else f" (rate: {line.rate}, {line.confidence or 'your rate'})"
        )
        lines.append(f"- {line.name}: {line.understood} = {tokens}{rate}")
        if line.note:
            lines.append(f"  note: {line.note}")
    lines.append("Totals: " + "; ".join(f"{label} {value}" for label, value in s.total_rows()))
    if s.warnings:
        lines.append("Warnings:")
        lines += [f"- {warning}" for warning in s.warnings]
    if s.notices:
        lines.append("Overlaps and metering:")
        lines += [
            f"- {notice.text} ({notice.confidence}: {notice.source_url})" for notice in s.notices
        ]
    lines.append("Assumptions:")
    lines += [f"- {assumption}" for assumption in s.assumptions]
    sources = s.sources()
    if sources:
        lines.append("Sources of the rates:")
        lines += [f"- {url} ({confidence})" for url, confidence in sources]
    lines.append(s.governs_text())
    lines.append(f"Reference: {s.reference}")
    if in_slack:
        lines.append(f"Slack: {permalink or PERMALINK_UNAVAILABLE}")
    return "\n".join(lines)
