"""`kb eval`: how well the matcher answers a labelled set of questions. Pure; the shell times it.

Each question's own text is removed from the knowledge base before it is asked (all labelled
texts are removed at once, which is slightly stricter than one at a time), so the figures
predict how the matcher does on phrasings it has never seen.
"""

from __future__ import annotations

import math
import statistics
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from rapidfuzz import fuzz, process

from knowledge.entries import Entry, LabelledQuestion
from knowledge.matching import (
    DEFAULT_TUNING,
    Evidence,
    Match,
    Tuning,
    build_index,
    gather,
    rank,
    search,
)
from knowledge.normalise import tokenize, views


class Verdict(StrEnum):
    RIGHT = "right"
    """In scope, answered with the expected entry."""
    WRONG = "wrong"
    """In scope, answered with another entry."""
    SUGGESTED = "suggested"
    """In scope, not answered, but the expected entry is among the suggestions."""
    MISSED = "missed"
    """In scope, not answered and not suggested."""
    DECLINED = "declined"
    """Out of scope and correctly not answered."""
    ANSWERED_OUT_OF_SCOPE = "answered-out-of-scope"
    """Out of scope but answered anyway."""


@dataclass(frozen=True)
class Outcome:
    question: LabelledQuestion
    match: Match
    verdict: Verdict
    seconds: float


@dataclass(frozen=True)
class Report:
    outcomes: tuple[Outcome, ...]

    def count(self, verdict: Verdict) -> int:
        return sum(1 for outcome in self.outcomes if outcome.verdict is verdict)

    @property
    def in_scope(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.question.expect is not None)

    @property
    def out_of_scope(self) -> int:
        return len(self.outcomes) - self.in_scope

    def share(self, verdict: Verdict) -> float:
        base = self.out_of_scope if verdict in _OUT_OF_SCOPE else self.in_scope
        return self.count(verdict) / base if base else 0.0

    @property
    def median_seconds(self) -> float:
        return statistics.median(o.seconds for o in self.outcomes) if self.outcomes else 0.0

    @property
    def p99_seconds(self) -> float:
        times = sorted(outcome.seconds for outcome in self.outcomes)
        if not times:
            return 0.0
        return times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]


_OUT_OF_SCOPE = {Verdict.DECLINED, Verdict.ANSWERED_OUT_OF_SCOPE}


def judge(question: LabelledQuestion, match: Match) -> Verdict:
    """The verdict on one answer."""
    if question.expect is None:
        return Verdict.DECLINED if match.entry_id is None else Verdict.ANSWERED_OUT_OF_SCOPE
    if match.entry_id == question.expect:
        return Verdict.RIGHT
    if match.entry_id is not None:
        return Verdict.WRONG
    if any(s.entry_id == question.expect for s in match.suggestions):
        return Verdict.SUGGESTED
    return Verdict.MISSED


def evaluate(
    entries: Sequence[Entry],
    questions: Sequence[LabelledQuestion],
    timer: Callable[[], float],
    leave_out: bool = True,
    negatives: Sequence[str] = (),
) -> Report:
    """Ask every question; with `leave_out`, first remove the questions' own texts (from the
    phrasings and from the out-of-scope `negatives`)."""
    index = build_index(
        entries, exclude=[q.text for q in questions] if leave_out else (), negatives=negatives
    )
    outcomes = []
    for question in questions:
        started = timer()
        match = search(index, question.text)
        seconds = timer() - started
        outcomes.append(Outcome(question, match, judge(question, match), seconds))
    return Report(tuple(outcomes))


def first_choice_log_odds(
    entries: Sequence[Entry],
    questions: Sequence[LabelledQuestion],
    tuning: Tuning,
    negatives: Sequence[str] = (),
) -> tuple[list[float], list[int]]:
    """For each question (its own text left out of the knowledge base): the log-odds `tuning`'s
    calibration gives its first entry, and whether that entry is the expected one (never, for
    an out-of-scope question). What `tuning.fit_recalibration` is fitted on."""
    index = build_index(entries, exclude=[q.text for q in questions], negatives=negatives)
    log_odds, labels = [], []
    for question in questions:
        match = search(index, question.text, tuning=tuning)
        first = match.entry_id or (match.suggestions[0].entry_id if match.suggestions else None)
        probability = min(max(match.score, 1e-6), 1.0 - 1e-6)
        recalibrated = math.log(probability / (1.0 - probability))
        log_odds.append(recalibrated / tuning.real_slope)
        labels.append(int(question.expect is not None and first == question.expect))
    return log_odds, labels


# -- cross-validation on the knowledge base itself ---------------------------------------------

FOLDS = 5
"""Folds of the cross-validation: each holds out a fifth of every entry's paraphrase groups."""

GROUP_OVERLAP = 0.8
"""Jaccard overlap of concept tokens at which two phrasings are one paraphrase group.

Whole groups are held out together, so a held-out phrasing never has a near-twin left in the
knowledge base: the figures predict new wordings, not copies."""


@dataclass(frozen=True)
class HeldOut:
    """One held-out text: the entry that must answer it (None: out of scope) and its evidence."""

    expect: str | None
    text: str
    fold: int
    evidence: Evidence
    ambiguous: bool = False
    """The phrasing reads like another entry's (`AMBIGUOUS`): not a calibration example."""
    views: tuple[Evidence, ...] = ()
    """The evidence of each text a message is matched on (`normalise.views`), when the text is
    a post of several sentences; empty when it is matched as typed (`evidence` alone)."""

    @property
    def verdict_evidence(self) -> tuple[Evidence, ...]:
        """What the verdict is reached on: the views of a long post, or the text as typed."""
        return self.views or (self.evidence,)


def paraphrase_groups(texts: Sequence[str], overlap: float = GROUP_OVERLAP) -> list[list[int]]:
    """Positions of `texts` grouped by overlap (connected components), in first-seen order."""
    tokens = [set(tokenize(text)) for text in texts]
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, first in enumerate(tokens):
        for j in range(i + 1, len(texts)):
            second = tokens[j]
            if first and second and len(first & second) >= overlap * len(first | second):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(texts)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


AMBIGUOUS = 70.0
"""rapidfuzz ratio over sorted concept tokens at or above which a curated phrasing reads like a
phrasing of another entry. Such a phrasing stays in the index but is not a calibration example:
which of the two entries it belongs to was the curator's choice, not something to learn."""


def ambiguous_phrasings(entries: Sequence[Entry]) -> set[str]:
    """Phrasings that read nearly like a phrasing of a different entry (see `AMBIGUOUS`)."""
    owners = [entry.id for entry in entries for _ in entry.phrasings]
    texts = [sorted(set(tokenize(p))) for entry in entries for p in entry.phrasings]
    originals = [p for entry in entries for p in entry.phrasings]
    found = set()
    for i, text in enumerate(texts):
        for _, _, j in process.extract(
            text, texts, scorer=fuzz.ratio, processor=None, score_cutoff=AMBIGUOUS, limit=None
        ):
            if owners[j] != owners[i]:
                found.add(originals[i])
                break
    return found


def _stable(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def assign_folds(
    entries: Sequence[Entry],
    negatives: Sequence[str],
    folds: int = FOLDS,
    overlap: float = GROUP_OVERLAP,
) -> list[tuple[str | None, str, int]]:
    """(expected entry or None, text, fold) for every phrasing and out-of-scope question.

    Deterministic: groups are ordered by a checksum of their first text and dealt round-robin,
    each entry starting at its own offset, so every fold holds out part of every entry.
    """
    dealt: list[tuple[str | None, str, int]] = []
    labelled: list[tuple[str | None, Sequence[str]]] = [(e.id, e.phrasings) for e in entries]
    labelled.append((None, negatives))
    for expect, texts in labelled:
        groups = sorted(paraphrase_groups(texts, overlap), key=lambda g: _stable(texts[g[0]]))
        offset = _stable(expect or "") % folds
        for number, group in enumerate(groups):
            dealt.extend((expect, texts[i], (number + offset) % folds) for i in group)
    return dealt


def cross_validate(
    entries: Sequence[Entry],
    negatives: Sequence[str],
    folds: int = FOLDS,
    tuning: Tuning = DEFAULT_TUNING,
    overlap: float = GROUP_OVERLAP,
) -> list[HeldOut]:
    """Build the index `folds` times without one fold, and gather the evidence of that fold."""
    dealt = assign_folds(entries, negatives, folds, overlap)
    ambiguous = ambiguous_phrasings(entries)
    held: list[HeldOut] = []
    for fold in range(folds):
        out = [(expect, text) for expect, text, f in dealt if f == fold]
        index = build_index(entries, exclude=[text for _, text in out], negatives=negatives)
        for expect, text in out:
            evidence = gather(index, text, tuning)
            texts = views(text)
            several = tuple(gather(index, view, tuning) for view in texts) if len(texts) > 1 else ()
            held.append(HeldOut(expect, text, fold, evidence, text in ambiguous, several))
    return held


RELIABILITY_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0)
"""Edges of the calibration table: held-out texts grouped by the matcher's confidence."""


@dataclass(frozen=True)
class EntryRow:
    """How one entry's held-out phrasings fared."""

    entry_id: str
    held_out: int
    right: int
    """Answered with this entry."""
    first: int
    """Ranked first (answered or not)."""
    confused: tuple[tuple[str, int], ...]
    """Entries ranked first instead, with how often, most often first."""


@dataclass(frozen=True)
class CrossValidationReport:
    """Cross-validated verdicts on the knowledge base's own phrasings and out-of-scope sets."""

    report: Report
    entries: tuple[EntryRow, ...]
    reliability: tuple[tuple[float, float, int, float], ...]
    """(low, high, held-out texts with a confidence in [low, high), share whose first entry is
    right) per bin; out-of-scope texts count as never right."""

    def summary(self) -> str:
        r = self.report
        return "\n".join(
            [
                f"  in scope {r.in_scope}: right {r.share(Verdict.RIGHT):.1%}, "
                f"wrong {r.share(Verdict.WRONG):.1%}, did-you-mean "
                f"{r.share(Verdict.SUGGESTED):.1%}, missed {r.share(Verdict.MISSED):.1%}",
                f"  out of scope {r.out_of_scope}: silent {r.share(Verdict.DECLINED):.1%} "
                f"({r.count(Verdict.DECLINED)} of {r.out_of_scope})",
                "  confidence   texts  first entry right",
                *(
                    f"  {low:.1f}-{high:.1f}    {count:>5}  {right:6.1%}"
                    for low, high, count, right in self.reliability
                ),
            ]
        )


def cross_validation_report(
    held: Sequence[HeldOut],
    matches: Sequence[Match],
    entry_ids: Sequence[str],
    tuning: Tuning = DEFAULT_TUNING,
) -> CrossValidationReport:
    """Per-entry confusions and calibration of `matches` (one verdict per held-out text)."""
    outcomes = []
    firsts: list[str | None] = []
    for item, match in zip(held, matches, strict=True):
        question = LabelledQuestion(text=item.text, expect=item.expect)
        outcomes.append(Outcome(question, match, judge(question, match), 0.0))
        ranked = rank(item.evidence, tuning)
        firsts.append(entry_ids[ranked[0][1].position] if ranked else None)
    rows = []
    for entry_id in sorted({item.expect for item in held if item.expect is not None}):
        mine = [
            (outcome, first)
            for outcome, first in zip(outcomes, firsts, strict=True)
            if outcome.question.expect == entry_id
        ]
        confused = Counter(first or "(none)" for _, first in mine if first != entry_id)
        rows.append(
            EntryRow(
                entry_id=entry_id,
                held_out=len(mine),
                right=sum(o.verdict is Verdict.RIGHT for o, _ in mine),
                first=sum(first == entry_id for _, first in mine),
                confused=tuple(sorted(confused.items(), key=lambda kv: (-kv[1], kv[0]))),
            )
        )
    bins = []
    for low, high in pairwise(RELIABILITY_BINS):
        inside = [
            (outcome, first)
            for outcome, first in zip(outcomes, firsts, strict=True)
            if low <= outcome.match.score < high or (high == 1.0 and outcome.match.score == 1.0)
        ]
        right = sum(
            o.question.expect is not None and first == o.question.expect for o, first in inside
        )
        bins.append((low, high, len(inside), right / len(inside) if inside else 0.0))
    return CrossValidationReport(Report(tuple(outcomes)), tuple(rows), tuple(bins))
