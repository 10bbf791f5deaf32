"""The FAQ entry model: YAML front matter plus a Markdown answer, validated strictly."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, field_validator

ENTRY_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
DEFAULT_REVIEW_DAYS = 180

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


class Confidence(StrEnum):
    """How sure we are, in the facts sheet's terms."""

    OFFICIAL = "official"
    STAFF = "staff"
    COMMUNITY = "community"
    SEED_ONLY = "seed-only"


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
    """A document an answer rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: HttpUrl
    title: Text

    @property
    def official(self) -> bool:
        url = str(self.url)
        host = urlsplit(url).hostname or ""
        return bool(_OFFICIAL_HOST.match(host) or _OFFICIAL_REPO.match(url))


class Entry(BaseModel):
    """One knowledge-base entry; `answer` holds the Markdown body after front matter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=ENTRY_ID)]
    question: Text
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]
    alt_questions: list[Text] = Field(min_length=1)
    tags: list[Text] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    confidence: Confidence
    last_reviewed: dt.date
    review_days: int = Field(default=DEFAULT_REVIEW_DAYS, gt=0)
    related: list[Annotated[str, StringConstraints(pattern=ENTRY_ID)]] = Field(default_factory=list)
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
        return [source for source in self.sources if source.official]


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
