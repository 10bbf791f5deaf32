"""The curator's reports: pure functions over stored rows (the SQL lives in `bot.store`).

* `gaps_report`: questions the knowledge base could not answer, or answered with low
  confidence, near-identical wordings grouped, most frequent first, each with its closest entry.
* `feedback_report`: entries ranked by "not helpful" votes, with the questions that led there.
* `usage_report`: questions, estimates and distinct users per ISO week.

Each report is a frozen dataclass; `as_json()` gives the `--json` shape of any of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from bot.errors import UsageError
from bot.store.base import Activity, StoredQuestion, StoredVote
from knowledge.entries import Entry
from knowledge.matching import Index, is_trap, score_entries
from knowledge.normalise import tokenize

REPORTS = ("gaps", "feedback", "usage")
LOW_CONFIDENCE = 0.8
"""An answer whose calibrated confidence (`Match.score`, the probability that the answer is
right) is below this is listed as a gap too: answered, but with one chance in five or more of
being wrong. Answers start at `knowledge.matching.ANSWER_CUTOFF` (2/3)."""
GROUP_SIMILARITY = 85.0
"""rapidfuzz `token_sort_ratio` (0..100) over normalised words above which two questions group."""
MAX_WORDINGS = 5
"""Wordings listed per gap group or per entry; the counts still include every question."""


# -- period ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days from `since` to `until`, both included; None is open-ended."""

    since: dt.date | None = None
    until: dt.date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise UsageError(
                f"the period starts ({self.since}) after it ends ({self.until}): swap them"
            )

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """[start, end) in UTC, as the store's queries take them."""
        start = None if self.since is None else _midnight(self.since)
        end = None if self.until is None else _midnight(self.until + dt.timedelta(days=1))
        return start, end

    def describe(self) -> str:
        if self.since is None and self.until is None:
            return "all stored history"
        return f"{self.since or 'the start'} to {self.until or 'today'}"


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def parse_date(text: str) -> dt.date:
    """A date as `YYYY-MM-DD`; `UsageError` saying so otherwise."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"'{text}' is not a date: expected YYYY-MM-DD, e.g. 2026-11-01") from None


# -- gaps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Closest:
    """The entry the matcher scores highest for a gap question, and how high (0..1)."""

    entry_id: str
    question: str
    score: float


@dataclass(frozen=True)
class GapGroup:
    """Near-identical questions the knowledge base did not answer well."""

    question: str
    """The most frequent wording (the earliest on a tie)."""
    count: int
    unanswered: int
    low_confidence: int
    wordings: tuple[str, ...]
    """Other wordings in the group, most frequent first, at most `MAX_WORDINGS`."""
    first_asked: dt.datetime
    last_asked: dt.datetime
    closest: Closest | None


@dataclass(frozen=True)
class GapsReport:
    period: Period
    questions: int
    """Questions asked in the period whose text is still stored."""
    groups: tuple[GapGroup, ...]

    @property
    def gaps(self) -> int:
        return sum(group.count for group in self.groups)


def is_gap(question: StoredQuestion) -> bool:
    """Unanswered or answered with low confidence; not purged, not about another kind of token."""
    if question.text is None or is_trap(question.text):
        return False
    return not question.answered or question.score < LOW_CONFIDENCE


def group_key(text: str) -> str:
    """The words that carry a question's meaning, sorted: what near-identical ones share."""
    words = sorted(set(tokenize(text)))
    return " ".join(words) if words else " ".join(text.lower().split())


def gaps_report(
    questions: Iterable[StoredQuestion],
    index: Index,
    entries: Mapping[str, Entry],
    period: Period = Period(),
) -> GapsReport:
    """Group the gap questions of `questions` and find the closest entry for each group."""
    kept = [q for q in questions if q.text is not None]
    members: list[list[StoredQuestion]] = []
    keys: list[str] = []
    for question in sorted((q for q in kept if is_gap(q)), key=lambda q: (q.created_at, q.id)):
        assert question.text is not None
        key = group_key(question.text)
        found = process.extractOne(
            key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=GROUP_SIMILARITY
        )
        if found is None:
            keys.append(key)
            members.append([question])
        else:
            members[found[2]].append(question)
    groups = [_gap_group(group, index, entries) for group in members]
    groups.sort(key=lambda g: (-g.count, -g.last_asked.timestamp(), g.question))
    return GapsReport(period=period, questions=len(kept), groups=tuple(groups))


def _gap_group(
    group: Sequence[StoredQuestion], index: Index, entries: Mapping[str, Entry]
) -> GapGroup:
    wordings = Counter(q.text or "" for q in group)
    ranked = [text for text, _ in wordings.most_common()]  # stable: first asked wins ties
    return GapGroup(
        question=ranked[0],
        count=len(group),
        unanswered=sum(not q.answered for q in group),
        low_confidence=sum(q.answered for q in group),
        wordings=tuple(ranked[1 : 1 + MAX_WORDINGS]),
        first_asked=min(q.created_at for q in group),
        last_asked=max(q.created_at for q in group),
        closest=closest_entry(ranked[0], index, entries),
    )


def closest_entry(question: str, index: Index, entries: Mapping[str, Entry]) -> Closest | None:
    """The best-scoring entry for `question`, whatever its score; None if none shares a word."""
    scored = score_entries(index, question)
    if not scored:
        return None
    score, position, _ = scored[0]
    entry_id = index.entry_ids[position]
    entry = entries.get(entry_id)
    return Closest(
        entry_id=entry_id,
        question=entry.question if entry else entry_id,
        score=round(score, 4),
    )


# -- feedback -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryFeedback:
    entry_id: str
    question: str | None
    """The entry's own question; None when it is no longer in the knowledge base."""
    not_helpful: int
    helpful: int
    asked: tuple[tuple[str, int], ...]
    """(question, votes) that led to a "not helpful" vote, most frequent first."""


@dataclass(frozen=True)
class FeedbackReport:
    period: Period
    votes: int
    entries: tuple[EntryFeedback, ...]


def feedback_report(
    votes: Iterable[StoredVote], entries: Mapping[str, Entry], period: Period = Period()
) -> FeedbackReport:
    """Entries ranked by "not helpful" votes (then fewest helpful), with the questions asked."""
    by_entry: dict[str, list[StoredVote]] = {}
    for vote in votes:
        by_entry.setdefault(vote.entry_id, []).append(vote)
    ranked: list[EntryFeedback] = []
    for entry_id, cast in by_entry.items():
        asked = Counter(v.question for v in cast if not v.helpful and v.question)
        entry = entries.get(entry_id)
        ranked.append(
            EntryFeedback(
                entry_id=entry_id,
                question=entry.question if entry else None,
                not_helpful=sum(not v.helpful for v in cast),
                helpful=sum(v.helpful for v in cast),
                asked=tuple(asked.most_common(MAX_WORDINGS)),
            )
        )
    ranked.sort(key=lambda e: (-e.not_helpful, e.helpful, e.entry_id))
    total = sum(e.helpful + e.not_helpful for e in ranked)
    return FeedbackReport(period=period, votes=total, entries=tuple(ranked))


# -- usage ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekUsage:
    week: str
    """ISO week, e.g. `2026-W48`."""
    starts: dt.date
    """Its Monday."""
    questions: int
    estimates: int
    users: int
    """Distinct users who asked or estimated that week."""


@dataclass(frozen=True)
class UsageReport:
    period: Period
    weeks: tuple[WeekUsage, ...]

    @property
    def questions(self) -> int:
        return sum(week.questions for week in self.weeks)

    @property
    def estimates(self) -> int:
        return sum(week.estimates for week in self.weeks)


def iso_week(moment: dt.datetime) -> tuple[str, dt.date]:
    """`2026-W48` and the Monday that starts it, for a moment in UTC."""
    day = moment.astimezone(dt.UTC).date()
    year, week, weekday = day.isocalendar()
    return f"{year}-W{week:02d}", day - dt.timedelta(days=weekday - 1)


def usage_report(activity: Iterable[Activity], period: Period = Period()) -> UsageReport:
    """Questions, estimates and distinct users per ISO week, oldest week first."""
    counts: dict[tuple[str, dt.date], Counter[str]] = {}
    users: dict[tuple[str, dt.date], set[str]] = {}
    for item in activity:
        week = iso_week(item.created_at)
        counts.setdefault(week, Counter())[item.kind] += 1
        users.setdefault(week, set()).add(item.user_id)
    weeks = [
        WeekUsage(
            week=name,
            starts=monday,
            questions=counts[(name, monday)]["question"],
            estimates=counts[(name, monday)]["estimate"],
            users=len(users[(name, monday)]),
        )
        for name, monday in sorted(counts, key=lambda week: week[1])
    ]
    return UsageReport(period=period, weeks=tuple(weeks))


# -- JSON -----------------------------------------------------------------------------------


Report = GapsReport | FeedbackReport | UsageReport


def as_json(report: Report) -> dict[str, Any]:
    """The `--json` shape: the dataclass fields, dates and times in ISO 8601."""
    data = _plain(dataclasses.asdict(report))
    assert isinstance(data, dict)
    data["report"] = {GapsReport: "gaps", FeedbackReport: "feedback", UsageReport: "usage"}[
        type(report)
    ]
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
