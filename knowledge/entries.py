"""The FAQ entry model: YAML front matter plus a Markdown answer, validated strictly.

Also the vocabulary the curated text shares with the checks: how sure a fact is
(`Confidence`), what was actually read of a source (`SourceKind`), the inline marks that
flag a weaker fact in an answer, and the rate placeholders filled from the list card.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    field_validator,
    model_validator,
)

ENTRY_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLACK_USER_ID = r"^[UW][A-Z0-9]{2,}$"
"""An entry's `owner`: the Slack user id of who reviews it (`U012AB3CD`)."""
DEFAULT_REVIEW_DAYS = 180

SUMMARY_CHARACTERS = 600
"""Hard limit on a summary's length at load; `kb check` holds it to `SUMMARY_WORDS`."""

SUMMARY_WORDS = 60
"""Most words a summary may have, as shown (the automatic rate caveat included)."""

SUMMARY_SENTENCES = 2
"""Most sentences a curated summary may have: the fact, then the one caveat that matters."""

RATE_CAVEAT = "List rates; the customer's contract governs."
"""Added by the loader to every summary or answer that quotes a rate through a placeholder."""

# Genesys-owned hosts (facts sheet legend, ✅ OFFICIAL). Dev/staging mirrors such as
# rcworkbench.* or help.dev-genesys.cloud are copies, not official.
_OFFICIAL_HOST = re.compile(
    r"^(?:[a-z]{2}-)?help\.mypurecloud\.com$"
    r"|^help\.genesys\.cloud$"
    r"|^developer\.genesys\.cloud$"
    r"|^[a-z]{2}-help\.inintca\.com$"
    r"|^(?:www\.)?genesys\.com$"
)
_OFFICIAL_REPO = re.compile(r"^https://github\.com/MyPureCloud/")

PLACEHOLDER = re.compile(r"\{\{\s*(?P<key>[A-Za-z0-9_.-]+)\s*\}\}")
"""`{{ copilot.rate }}`: a value filled from the list card (see knowledge/README.md)."""

_RATE_KEY = re.compile(
    r"^(?:(?!allocation\.)[a-z][a-z0-9]*\.(?:rate|named|concurrent|tokens|per)|price\.[A-Z]{3})$"
)
"""A feature's rate (`copilot.rate`, `sta.named`, `voicebot.per`...) or a price; not the free
allocation (`allocation.named`), a name or a unit."""

_MARK = re.compile(r"\((?P<word>likely|unconfirmed|unsupported)\b[^()\n]*\)")


class Confidence(StrEnum):
    """How sure we are, in the facts sheet's terms, strongest first."""

    OFFICIAL = "official"
    STAFF = "staff"
    COMMUNITY = "community"
    SEED_ONLY = "seed-only"

    @property
    def rank(self) -> int:
        """0 for official, growing as the confidence weakens."""
        return list(Confidence).index(self)


def weakest(confidences: Iterable[Confidence]) -> Confidence:
    """The weakest of `confidences`; official when there are none."""
    return max(confidences, key=lambda c: c.rank, default=Confidence.OFFICIAL)


MARKS: dict[str, Confidence] = {
    "likely": Confidence.STAFF,
    "unconfirmed": Confidence.COMMUNITY,
    "unsupported": Confidence.SEED_ONLY,
}
"""Inline marks for a fact weaker than official: `(likely: Genesys staff on the forum)`."""


def marks(text: str) -> list[tuple[str, Confidence]]:
    """Every inline confidence mark in `text`, as (the mark as written, its confidence)."""
    return [(m.group(0), MARKS[m.group("word")]) for m in _MARK.finditer(text)]


def placeholder_keys(text: str) -> list[str]:
    """The placeholder keys `text` uses, in order of appearance."""
    return [m.group("key") for m in PLACEHOLDER.finditer(text)]


def is_rate_key(key: str) -> bool:
    """Whether a placeholder quotes a rate or a price (so the contract caveat applies)."""
    return bool(_RATE_KEY.match(key))


class SourceKind(StrEnum):
    """What was actually read of a source, whatever its host. Strongest first."""

    OFFICIAL = "official"
    """The Genesys page itself (or an official Genesys repository), read there."""
    OFFICIAL_COPY = "official-copy"
    """Genesys text read only through a copy: a third-party copy, a staging or dev mirror."""
    STAFF = "staff"
    """A Genesys employee, on the community forum."""
    COMMUNITY = "community"
    """A community post by someone not at Genesys."""
    THIRD_PARTY = "third-party"
    """A third-party site, tool or transcription."""
    UNREAD = "unread"
    """A Genesys page cited because others quote it; its text was not read."""

    @property
    def rank(self) -> int:
        return list(SourceKind).index(self)

    @property
    def label(self) -> str:
        """How the source is marked wherever it is listed."""
        return _KIND_LABELS[self]

    @property
    def genesys_text(self) -> bool:
        """Genesys' own words were read (on the page or through a copy)."""
        return self in (SourceKind.OFFICIAL, SourceKind.OFFICIAL_COPY)


_KIND_LABELS = {
    SourceKind.OFFICIAL: "official page",
    SourceKind.OFFICIAL_COPY: "Genesys text via a copy",
    SourceKind.STAFF: "Genesys staff",
    SourceKind.COMMUNITY: "community",
    SourceKind.THIRD_PARTY: "third party",
    SourceKind.UNREAD: "not read, cited by others",
}


def genesys_owned(url: str) -> bool:
    """Whether `url` is on a Genesys-owned host or an official Genesys repository."""
    host = urlsplit(url).hostname or ""
    return bool(_OFFICIAL_HOST.match(host) or _OFFICIAL_REPO.match(url))


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _listed_once(texts: list[str], what: str) -> list[str]:
    """`texts` unchanged, or a ValueError naming the first text listed twice (case-blind)."""
    seen: set[str] = set()
    for text in texts:
        key = " ".join(text.lower().split())
        if key in seen:
            raise ValueError(f"{what} listed twice: {text!r}")
        seen.add(key)
    return texts


class Source(BaseModel):
    """A document an answer rests on, marked by what was read of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: HttpUrl
    title: Text
    kind: SourceKind

    @model_validator(mode="after")
    def _official_means_genesys_owned(self) -> Source:
        if self.kind is SourceKind.OFFICIAL and not genesys_owned(str(self.url)):
            raise ValueError(
                "kind official needs a Genesys-owned page (help.mypurecloud.com, "
                "help.genesys.cloud, developer.genesys.cloud, github.com/MyPureCloud, ...); "
                "a mirror or copy of Genesys text is official-copy"
            )
        return self

    @property
    def official(self) -> bool:
        """The official page itself was read."""
        return self.kind is SourceKind.OFFICIAL


class Entry(BaseModel):
    """One knowledge-base entry; `answer` holds the Markdown body after front matter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=ENTRY_ID)]
    question: Text
    summary: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SUMMARY_CHARACTERS)
    ]
    alt_questions: list[Text] = Field(min_length=1)
    tags: list[Text] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    confidence: Confidence
    last_reviewed: dt.date
    review_days: int = Field(default=DEFAULT_REVIEW_DAYS, gt=0)
    related: list[Annotated[str, StringConstraints(pattern=ENTRY_ID)]] = Field(default_factory=list)
    owner: Annotated[str, StringConstraints(pattern=SLACK_USER_ID)] | None = None
    """Who reviews the entry when it falls due (`tokenbot kb due`)."""
    answer: Text

    @field_validator("alt_questions")
    @classmethod
    def _no_repeated_phrasing(cls, value: list[str]) -> list[str]:
        return _listed_once(value, "phrasing")

    @property
    def phrasings(self) -> list[str]:
        """The question first, then every alternative phrasing, in file order."""
        return [self.question, *self.alt_questions]

    @property
    def review_due(self) -> dt.date:
        return self.last_reviewed + dt.timedelta(days=self.review_days)

    @property
    def reference(self) -> str:
        """The citable reference, e.g. `KB sta-billable-permissions, reviewed 2026-11-20`."""
        return f"KB {self.id}, reviewed {self.last_reviewed.isoformat()}"

    @property
    def official_sources(self) -> list[Source]:
        """Sources read on the official page itself."""
        return [source for source in self.sources if source.official]

    @property
    def sources_by_strength(self) -> list[Source]:
        """The sources, strongest kind first (file order within a kind)."""
        return sorted(self.sources, key=lambda source: source.kind.rank)


@dataclass(frozen=True)
class Template:
    """An entry's summary and answer as written, before the placeholders are filled."""

    summary: str
    answer: str


class OutOfScopeSet(BaseModel):
    """A curated file of questions tokenbot must not answer (`knowledge/out_of_scope/*.yml`).

    Reviewed like entries: `notes` says why the questions are out of scope and what tells them
    apart from the FAQ, `source` where their phrasings come from.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: Annotated[str, StringConstraints(pattern=ENTRY_ID)]
    notes: Text
    source: Text
    last_reviewed: dt.date
    review_days: int = Field(default=DEFAULT_REVIEW_DAYS, gt=0)
    questions: list[Text] = Field(min_length=1)

    @field_validator("questions")
    @classmethod
    def _no_repeated_question(cls, value: list[str]) -> list[str]:
        return _listed_once(value, "question")

    @property
    def review_due(self) -> dt.date:
        return self.last_reviewed + dt.timedelta(days=self.review_days)


class LabelledQuestion(BaseModel):
    """A question with the entry that must answer it (`None`: must not be answered)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    expect: str | None
