"""`kb eval`: how well the matcher answers a labelled set of questions. Pure; the shell times it.

Each question's own text is removed from the knowledge base before it is asked (all labelled
texts are removed at once, which is slightly stricter than one at a time), so the figures
predict how the matcher does on phrasings it has never seen.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from knowledge.entries import Entry, LabelledQuestion
from knowledge.matching import Match, build_index, search


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
) -> Report:
    """Ask every question; with `leave_out`, first remove the questions' own texts."""
    index = build_index(entries, exclude=[q.text for q in questions] if leave_out else ())
    outcomes = []
    for question in questions:
        started = timer()
        match = search(index, question.text)
        seconds = timer() - started
        outcomes.append(Outcome(question, match, judge(question, match), seconds))
    return Report(tuple(outcomes))
