"""`kb check`: what a curator must fix before the knowledge base ships. Pure: no I/O, no clock."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from rapidfuzz import fuzz, process

from calculators.ratecard import MeterKind, RateCard
from knowledge.entries import (
    MARKS,
    RATE_CAVEAT,
    SUMMARY_SENTENCES,
    SUMMARY_WORDS,
    Confidence,
    Entry,
    OutOfScopeSet,
    Template,
    marks,
    placeholder_keys,
    weakest,
)
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
    *,
    templates: Mapping[str, Template] | None = None,
    card: RateCard | None = None,
) -> list[Problem]:
    """Every problem of the knowledge base and its out-of-scope sets, errors first, stably.

    With `templates` (the entries as written) and the list `card` the placeholders come from,
    the rules on quoted rates and on confidence are checked too (see `check_template`).
    """
    problems = [_load_problem(text) for text in load_problems]
    ids = {entry.id for entry in entries}
    for topic in topics:
        if topic not in ids:
            problems.append(Problem(Severity.ERROR, topic, "required topic has no entry"))
    for entry in entries:
        problems.extend(_check_entry(entry, ids, today))
        if templates is not None and card is not None and entry.id in templates:
            problems.extend(check_template(entry, templates[entry.id], card))
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
    problems = [*_check_sources(entry), *_check_summary(entry)]
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


def _error(entry: Entry, message: str) -> Problem:
    return Problem(Severity.ERROR, entry.id, message)


def _check_sources(entry: Entry) -> list[Problem]:
    problems = []
    if not any(source.kind.genesys_text for source in entry.sources):
        problems.append(
            _error(entry, "sources: no Genesys text is cited (an official page, or a copy of one)")
        )
    if entry.confidence is Confidence.OFFICIAL and not entry.official_sources:
        problems.append(
            _error(entry, "confidence: official, but no source is an official page read as such")
        )
    for before, after in zip(entry.sources, entry.sources[1:], strict=False):
        if after.kind.rank < before.kind.rank:
            problems.append(
                _error(
                    entry,
                    f"sources: list the strongest first: {after.title!r} ({after.kind.value}) "
                    f"comes after {before.title!r} ({before.kind.value})",
                )
            )
            break
    return problems


_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)[.!?](?=\s+[A-Za-z0-9`\"(]|\s*$)")


def summary_sentences(summary: str) -> int:
    """Sentences in a summary as curated (the automatic rate caveat is not counted)."""
    text = summary.removesuffix(RATE_CAVEAT).strip()
    return max(1, len(_SENTENCE_END.findall(text)))


def _check_summary(entry: Entry) -> list[Problem]:
    problems = []
    words = len(entry.summary.split())
    if words > SUMMARY_WORDS:
        problems.append(
            _error(
                entry,
                f"summary: {words} words; at most {SUMMARY_WORDS} (the answer in one or two "
                "sentences: the fact first, then the one caveat that matters)",
            )
        )
    sentences = summary_sentences(entry.summary)
    if sentences > SUMMARY_SENTENCES:
        problems.append(
            _error(
                entry,
                f"summary: {sentences} sentences; at most {SUMMARY_SENTENCES} "
                "(the fact, then the caveat that matters; the rest belongs in the answer)",
            )
        )
    return problems


# -- the entry as written: quoted rates and the confidence of its weakest fact --------------

_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|`[^`\n]*`")
_UNITS = (
    r"(?:named\s+|concurrent\s+)?"
    r"(?:users?|minutes?|sessions?|interactions?|summar(?:y|ies)|evaluations?|translations?"
    r"|messages?|posts?)"
)
_OPERATORS = "[\u00d7x*\u00f7/]"
"""Multiplied or divided by: the multiplication sign, x, *, the division sign, /."""


def _typed_rate_patterns(number: str) -> list[re.Pattern[str]]:
    n = re.escape(number)
    edge = r"(?<![\w.,])"
    tail = r"(?![\d.,]\d)"
    return [
        re.compile(rf"{edge}{n}{tail}\s+tokens?\s+(?:per|a|each|for)\b"),
        re.compile(rf"{edge}{n}{tail}\s+per\s+{_UNITS}\b"),
        re.compile(rf"\bper\s+{n}{tail}\s+{_UNITS}\b"),
        re.compile(rf"(?:^|(?<=[\s\d(])){_OPERATORS}\s?{n}{tail}(?![\w])"),
    ]


def _rate_numbers(card: RateCard) -> dict[str, str]:
    """Every rate figure the card holds (other than 1), as typed -> the placeholder to use."""
    numbers: dict[str, str] = {}

    def add(value: Decimal | None, key: str) -> None:
        if value is None or value == 1:
            return
        numbers.setdefault(f"{value.normalize():f}", key)

    for name, feature in card.features.items():
        if feature.kind is MeterKind.PER_USER:
            add(feature.named, f"{name}.named")
            add(feature.concurrent, f"{name}.concurrent")
        else:
            add(feature.tokens, f"{name}.tokens")
            add(feature.per, f"{name}.per")
    return numbers


def typed_rates(text: str, card: RateCard) -> list[tuple[str, str]]:
    """Rates typed as numbers in `text` (quotations and code aside): (what, placeholder)."""
    plain = _QUOTED.sub(" ", text)
    found = []
    for number, key in _rate_numbers(card).items():
        for pattern in _typed_rate_patterns(number):
            match = pattern.search(plain)
            if match:
                found.append((match.group(0).strip(), key))
                break
    return found


def weakest_fact(template: Template, card: RateCard) -> tuple[Confidence, str]:
    """The confidence of an entry's weakest fact, and what it is.

    A fact is weaker than official when the text marks it (`(likely: ...)`,
    `(unconfirmed: ...)`) or when it is a card value the card itself rates lower (a rate,
    a price, the allocation).
    """
    facts: list[tuple[Confidence, str]] = []
    for text in (template.summary, template.answer):
        facts += [(confidence, f"the mark {mark!r}") for mark, confidence in marks(text)]
        for key in placeholder_keys(text):
            confidence = _card_confidence(key, card)
            if confidence is not None:
                facts.append((confidence, f"{{{{{key}}}}} ({confidence.value} on the card)"))
    if not facts:
        return Confidence.OFFICIAL, "no fact is marked weaker than official"
    weakest_one = weakest(c for c, _ in facts)
    reason = next(why for c, why in facts if c is weakest_one)
    return weakest_one, reason


def _card_confidence(key: str, card: RateCard) -> Confidence | None:
    head, _, field = key.partition(".")
    if head == "price":
        return Confidence(card.prices.confidence.value)
    if head == "allocation":
        return Confidence(card.free_allocation.confidence.value)
    feature = card.features.get(head)
    if feature is None or field in ("name", "unit"):
        return None
    return Confidence(feature.confidence.value)


def check_template(entry: Entry, template: Template, card: RateCard) -> list[Problem]:
    """Rules on the entry as written: rates through placeholders, said in full; honest marks."""
    problems = []
    for part, text in (("summary", template.summary), ("answer", template.answer)):
        for typed, key in typed_rates(text, card):
            problems.append(
                _error(entry, f"{part}: rate typed as a number ({typed!r}): use {{{{{key}}}}}")
            )
        keys = set(placeholder_keys(text))
        for name, feature in card.features.items():
            if feature.kind is not MeterKind.PER_USER:
                continue
            for known, unknown in (("named", "concurrent"), ("concurrent", "named")):
                if getattr(feature, unknown) is not None or f"{name}.{known}" not in keys:
                    continue
                if not keys & {f"{name}.{unknown}", f"{name}.rate"}:
                    problems.append(
                        _error(
                            entry,
                            f"{part}: quotes {{{{{name}.{known}}}}} but not that the {unknown} "
                            f"rate is not published: add {{{{{name}.{unknown}}}}} or use "
                            f"{{{{{name}.rate}}}}",
                        )
                    )
    for part, text in (("summary", entry.summary), ("answer", entry.answer)):
        if text.lower().count("contract governs") > 1:
            problems.append(
                _error(entry, f"{part}: says the contract caveat twice (it is added automatically)")
            )
    confidence, reason = weakest_fact(template, card)
    if confidence is not entry.confidence:
        words = ", ".join(f"({word}...) = {c.value}" for word, c in MARKS.items())
        problems.append(
            _error(
                entry,
                f"confidence: {entry.confidence.value}, but its weakest fact is "
                f"{confidence.value}: {reason} (marks: {words})",
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
