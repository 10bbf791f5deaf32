"""A forwarded question and its experts' replies as a draft entry, and as terminal text.

Slack sends message text in its own markup (`<https://url|label>`, `<@U123>`, `*bold*`, `&lt;`);
`markdown_from_slack` turns it into the knowledge base's Markdown and collects the links, which
a curator reads before citing any of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.store import StoredForward
from knowledge.drafts import Draft

_LINK = re.compile(r"<(?P<url>https?://[^|>\s]+)(?:\|(?P<label>[^>]*))?>")
_USER = re.compile(r"<@(?P<id>[UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#(?P<id>[CG][A-Z0-9]+)(?:\|(?P<name>[^>]*))?>")
_SPECIAL = re.compile(r"<!(?P<name>[a-z]+)(?:\^[^|>]*)?(?:\|(?P<label>[^>]*))?>")
_BOLD = re.compile(r"(?<![*\w])\*(?P<text>[^*\n]+?)\*(?![*\w])")
_BULLET = re.compile(r"^(\s*)[•◦▪] ?", re.MULTILINE)

PURGED = "(text removed after the retention period)"


def markdown_from_slack(text: str) -> tuple[str, list[str]]:
    """Slack message text as the knowledge base's Markdown, and the URLs it linked (in order)."""
    links: list[str] = []

    def link(match: re.Match[str]) -> str:
        url, label = match.group("url"), match.group("label")
        if url not in links:
            links.append(url)
        return f"{label} ({url})" if label and label != url else url

    plain = _LINK.sub(link, text)
    plain = _USER.sub(lambda m: "@" + m.group("id"), plain)
    plain = _CHANNEL.sub(lambda m: "#" + (m.group("name") or m.group("id")), plain)
    plain = _SPECIAL.sub(lambda m: "@" + (m.group("label") or m.group("name")), plain)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    plain = _BOLD.sub(lambda m: f"**{m.group('text')}**", plain)
    return _BULLET.sub(r"\1- ", plain).strip(), links


def draft_of(forward: StoredForward, known_entries: Sequence[str] = ()) -> Draft | None:
    """The draft entry for a forward, or None while it has nothing to finish from (no reply
    with its text, or the question's text purged)."""
    texts = [r for r in forward.replies if r.text]
    if forward.question is None or not texts:
        return None
    paragraphs: list[str] = []
    links: list[str] = []
    for reply in texts:
        assert reply.text is not None
        markdown, found = markdown_from_slack(reply.text)
        paragraphs.append(markdown)
        links += [url for url in found if url not in links]
    related = [e for e in (forward.entry_id,) if e is not None and e in known_entries]
    return Draft(
        number=forward.id,
        question=forward.question,
        answer="\n\n".join(paragraphs),
        asked_on=forward.created_at.date(),
        owner=texts[0].expert_id,
        related=related,
        links=links,
    )


def draft_lines(forward: StoredForward) -> list[str]:
    """One forwarded question and its replies, for `tokenbot kb drafts`."""
    where = "a /tokens command" if forward.thread_ts is None else f"channel {forward.channel_id}"
    matched = (
        f"answered with {forward.entry_id}" if forward.entry_id else "not answered"
    ) + f" (score {forward.score:.2f})"
    lines = [
        f"#{forward.id}  {forward.created_at.strftime('%Y-%m-%d %H:%M')} UTC  "
        f"asked by {forward.asker_id} in {where}; {matched}",
        f"    Q: {forward.question if forward.question is not None else PURGED}",
    ]
    if not forward.replies:
        lines.append("    (no reply from the experts yet)")
    for reply in forward.replies:
        text = (
            PURGED if reply.text is None else " ".join(markdown_from_slack(reply.text)[0].split())
        )
        lines.append(f"    A ({reply.expert_id}, {reply.created_at.strftime('%Y-%m-%d')}): {text}")
    return lines
