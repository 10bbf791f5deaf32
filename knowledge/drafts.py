"""Draft entries: an expert's answer in the knowledge base's own format, for a curator to finish.

`tokenbot kb drafts --export DIR` writes one file per question the experts answered
(`render_draft`). The curator writes the summary and the phrasings people type, cites the
sources they checked, sets the confidence and `last_reviewed`, names the entry, and deletes the
`draft:` line. Until then the loader refuses the file and `unfinished` names what is missing, so
a draft copied into `knowledge/faq` as it was exported cannot ship. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.entries import Confidence

DRAFT_KEY = "draft"
"""The front-matter field that marks an unfinished draft (its value: the draft's number)."""
DRAFT_CONFIDENCE = Confidence.COMMUNITY
"""An expert's word, not yet checked against a source: what a draft starts at."""
SLUG_WORDS = 6
SLUG_CHARACTERS = 48

_NOT_SLUG = re.compile(r"[^a-z0-9]+")

STILL_TO_DO: dict[str, str] = {
    "summary": "summary (the answer in one or two sentences, at most 60 words)",
    "alt_questions": "alt_questions (at least one phrasing people type)",
    "sources": "sources (at least one, citing Genesys text)",
    "last_reviewed": "last_reviewed (the day the facts were checked)",
}
"""Fields an exported draft leaves empty, and what the curator is to put in each."""


@dataclass(frozen=True)
class Draft:
    """What a draft file says: the question as asked, the experts' answer, where it came from."""

    number: int
    question: str
    answer: str
    """The experts' replies as the knowledge base's Markdown, one paragraph each."""
    asked_on: dt.date
    owner: str | None = None
    """The first expert who answered (a Slack user id), proposed as the entry's owner."""
    related: Sequence[str] = ()
    """Entries the matcher found closest, proposed as related."""
    links: Sequence[str] = ()
    """URLs in the experts' replies: candidates for sources, once read."""

    @property
    def entry_id(self) -> str:
        """`draft-12-do-bot-turns-cost-tokens`: also the file name, without `.md`."""
        words = slug(self.question)
        return f"draft-{self.number}-{words}" if words else f"draft-{self.number}"


def slug(text: str) -> str:
    """The first words of `text` as lower-case ASCII joined by hyphens (at most 48 characters)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = [word for word in _NOT_SLUG.split(ascii_text) if word][:SLUG_WORDS]
    joined = "-".join(words)
    return joined[:SLUG_CHARACTERS].rstrip("-")


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(text, ensure_ascii=False)


def render_draft(draft: Draft) -> str:
    """The draft as a knowledge-base file: front matter with the fields to finish, then the body."""
    lines = [
        "---",
        f"# Draft {draft.number} from `tokenbot kb drafts`: a question asked on "
        f"{draft.asked_on.isoformat()} that",
        "# the knowledge base did not answer, and what the experts replied.",
        "# To finish it: write the summary, add the phrasings people type, cite the sources you",
        "# checked (strongest first), set confidence to the weakest fact's and last_reviewed to",
        "# the day you checked; give it an id (and the file the same name); delete the draft line.",
    ]
    if draft.links:
        lines.append("# Links in the experts' replies (read each before citing it as a source):")
        lines += [f"#   {url}" for url in draft.links]
    lines += [
        f"{DRAFT_KEY}: {draft.number}",
        f"id: {draft.entry_id}",
        f"question: {_quoted(draft.question)}",
        'summary: ""',
        "alt_questions: []",
        "tags: []",
        "sources: []",
        f"confidence: {DRAFT_CONFIDENCE.value}",
        "last_reviewed:",
    ]
    if draft.owner:
        lines.append(f"owner: {draft.owner}")
    if draft.related:
        lines.append(f"related: [{', '.join(draft.related)}]")
    lines += ["---", draft.answer.strip(), ""]
    return "\n".join(lines)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def unfinished(meta: Mapping[str, Any]) -> str | None:
    """What is still to do in a file that carries the `draft:` line, or None if it has none."""
    if DRAFT_KEY not in meta:
        return None
    missing = [todo for field, todo in STILL_TO_DO.items() if _empty(meta.get(field))]
    if isinstance(meta.get("id"), str) and meta["id"].startswith("draft-"):
        missing.append("id (a name of its own, and the file renamed to match)")
    if not missing:
        return f"a finished draft still has its '{DRAFT_KEY}:' line: delete it"
    return (
        f"unfinished draft (exported by tokenbot kb drafts): still missing {'; '.join(missing)}; "
        f"then delete the '{DRAFT_KEY}:' line"
    )
