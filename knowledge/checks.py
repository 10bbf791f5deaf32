"""`kb check`: what a curator must fix before the knowledge base ships. Pure: no I/O, no clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz, process

from knowledge.entries import Entry, OutOfScopeSet
from knowledge.normalise import tokenize

NEAR_DUPLICATE = 85.0
"""rapidfuzz ratio over the sorted concept-token lists of two phrasings (a token is one element,
so "cx2" vs "cx3" is a whole-word difference) at or above which they are near-identical."""


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding: where it is (file or entry id) and what to do about it."""

    severity: Severity
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


def check_knowledge_base(
    entries: Sequence[Entry],
    topics: Mapping[str, str],
    today: dt.date,
    load_problems: Iterable[str] = (),
    out_of_scope: Sequence[OutOfScopeSet] = (),
) -> list[Problem]:
    """Every problem of the knowledge base and its out-of-scope sets, errors first, stably."""
    problems = [_load_problem(text) for text in load_problems]
    ids = {entry.id for entry in entries}
    for topic in topics:
        if topic not in ids:
            problems.append(Problem(Severity.ERROR, topic, "required topic has no entry"))
    for entry in entries:
        problems.extend(_check_entry(entry, ids, today))
    problems.extend(near_duplicate_phrasings(entries))
    problems.extend(out_of_scope_conflicts(entries, out_of_scope))
    for group in out_of_scope:
        if group.review_due < today:
            problems.append(
                Problem(
                    Severity.WARNING,
                    f"out-of-scope {group.topic}",
                    f"last_reviewed: review was due {group.review_due.isoformat()}",
                )
            )
    return sorted(problems, key=lambda p: (p.severity != Severity.ERROR, p.where, p.message))


def _load_problem(text: str) -> Problem:
    where, _, message = text.partition(": ")
    return Problem(Severity.ERROR, where, message or text)


def _check_entry(entry: Entry, ids: set[str], today: dt.date) -> list[Problem]:
    problems = []
    if not entry.official_sources:
        problems.append(
            Problem(Severity.ERROR, entry.id, "sources: no official Genesys source is cited")
        )
    for related in entry.related:
        if related not in ids:
            problems.append(Problem(Severity.ERROR, entry.id, f"related: no entry {related!r}"))
    if entry.review_due < today:
        problems.append(
            Problem(
                Severity.WARNING,
                entry.id,
                f"last_reviewed: review was due {entry.review_due.isoformat()}",
            )
        )
    return problems


def _concepts(text: str) -> list[str]:
    """What two texts are compared on: their distinct concept tokens, sorted."""
    return sorted(set(tokenize(text)))


def out_of_scope_conflicts(
    entries: Sequence[Entry], out_of_scope: Sequence[OutOfScopeSet]
) -> list[Problem]:
    """Out-of-scope questions that read like an entry's phrasing, or that two sets both list.

    A question cannot be both answered and declined: the matcher would learn both.
    """
    owners = [entry.id for entry in entries for _ in entry.phrasings]
    originals = [phrasing for entry in entries for phrasing in entry.phrasings]
    texts = [_concepts(phrasing) for phrasing in originals]
    problems = []
    listed: dict[str, str] = {}
    for group in out_of_scope:
        where = f"out-of-scope {group.topic}"
        for question in group.questions:
            key = " ".join(_concepts(question))
            if key in listed and listed[key] != group.topic:
                problems.append(
                    Problem(
                        Severity.ERROR,
                        where,
                        f"question {question!r} is also listed by out-of-scope {listed[key]}",
                    )
                )
            listed.setdefault(key, group.topic)
            found = process.extractOne(
                _concepts(question),
                texts,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=NEAR_DUPLICATE,
            )
            if key and found is not None:
                _, score, position = found
                problems.append(
                    Problem(
                        Severity.ERROR,
                        where,
                        f"question {question!r} is near-identical ({score:.0f}) to "
                        f"{owners[position]}'s phrasing {originals[position]!r}",
                    )
                )
    return problems


def near_duplicate_phrasings(entries: Sequence[Entry]) -> list[Problem]:
    """Pairs of phrasings of two different entries that normalise to nearly the same words."""
    owners: list[str] = []
    texts: list[list[str]] = []
    originals: list[str] = []
    for entry in entries:
        for phrasing in entry.phrasings:
            owners.append(entry.id)
            texts.append(_concepts(phrasing))
            originals.append(phrasing)
    problems = []
    for i, text in enumerate(texts):
        if not text:
            continue
        later = texts[i + 1 :]
        for _, score, offset in process.extract(
            text,
            later,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=NEAR_DUPLICATE,
            limit=None,
        ):
            j = i + 1 + offset
            if owners[j] != owners[i]:
                problems.append(
                    Problem(
                        Severity.ERROR,
                        owners[i],
                        f"phrasing {originals[i]!r} is near-identical ({score:.0f}) to "
                        f"{owners[j]}'s {originals[j]!r}",
                    )
                )
    return problems
