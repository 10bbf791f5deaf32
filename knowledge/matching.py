"""The question matcher: a pure function from a question to an entry, suggestions, or nothing.

How a question is scored against an entry:

1. Both sides are reduced to concept tokens (`normalise.tokenize`): Slack markup stripped,
   acronyms and synonyms folded ("speech analytics" and "STA" are one token), stop words out.
2. Words the knowledge base has never seen are corrected to a known word when rapidfuzz finds
   a close one ("permision" -> "permission"); otherwise they stay unknown and count against
   the match, which is what keeps "pizza" and "password" questions unanswered.
3. Each token weighs its inverse document frequency over entries, so "token", present in
   nearly every entry, weighs little and "carryover" a lot.
4. An entry's score is a weighted blend of four signals (`Signals`): its best single phrasing
   (weighted Dice overlap), the cosine with all its phrasings taken together (words most of
   them use weigh most), how much of the question its phrasings cover at all, and how much its
   answer text covers. The last three are accumulated along postings lists for every entry
   sharing a word; the phrasing-by-phrasing comparison runs only for the `SHORTLIST` best.
5. The best entry is answered above `ANSWER_CUTOFF` when it leads the next one by
   `ANSWER_MARGIN`, or when the question is worded exactly like a phrasing of that entry
   alone; otherwise entries above `SUGGEST_CUTOFF` are offered as "did you mean"; below that
   the matcher says it does not know.

Questions about authentication tokens (OAuth, Slack, JWT, API keys...) are recognised first
and never answered from the FAQ. Everything here is deterministic: ties go to the entry that
comes first in id order.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from knowledge.entries import Entry
from knowledge.normalise import fold, tokenize

ANSWER_CUTOFF = 0.45
"""Score at or above which the best entry is answered (when it also leads by the margin)."""

SUGGEST_CUTOFF = 0.3
"""Score at or above which an entry is offered as a "did you mean" choice."""

ANSWER_MARGIN = 0.08
"""How far the best entry must lead the runner-up to be answered rather than suggested."""

MAX_SUGGESTIONS = 3

EXACT = 0.999
"""Best-phrasing overlap at which a question counts as worded exactly like a phrasing."""

TYPO_CUTOFF = 84.0
"""rapidfuzz ratio (0-100) above which an unknown word is read as a known one."""

UNKNOWN_WORD_WEIGHT = 1.6
"""Weight of a word the knowledge base does not know: it counts against every entry."""

PHRASING_WEIGHT = 0.3
"""Weight of the best single phrasing in an entry's score."""

CENTROID_WEIGHT = 0.6
"""Weight of the similarity with all of an entry's phrasings taken together."""

COVER_WEIGHT = 0.3
"""Weight of how much of the question the entry's phrasings cover at all."""

BODY_WEIGHT = 0.2
"""Weight of how much of the question the entry's answer text covers."""

SHORTLIST = 16
"""Entries whose phrasings are compared one by one, after a cheap first pass ranks them all."""

# Authentication and platform "tokens" that share the word but not the subject.
_TRAP = re.compile(
    r"\b(?:oauth2?|jwt|jwks|csrf|xsrf|saml|sso|mfa|2fa|otp|passwords?|passcode|xox[bpae]|xapp"
    r"|client secrets?|secret keys?|bearer|api keys?|ssh"
    r"|context (?:window|length)|tiktoken|max tokens|tokeni[sz]er|token ring|crypto|ethereum"
    r"|(?:access|refresh|api|auth|authentication|id|slack|slack bot|slack app|personal|github"
    r"|git|npm|security|verification|invite|erc20|nft) tokens?)\b"
)
_TRAP_OVERRIDE = re.compile(r"\b(?:aiexperience|ai tokens?|billing|billed|invoiced?|consum\w*)\b")


@dataclass(frozen=True)
class Suggestion:
    """An entry offered as a "did you mean" choice."""

    entry_id: str
    score: float


@dataclass(frozen=True)
class Match:
    """The matcher's verdict: an answered entry, suggestions, or neither."""

    entry_id: str | None
    score: float
    suggestions: tuple[Suggestion, ...] = ()
    out_of_scope: bool = False
    """True when the question is recognised as being about another kind of token."""

    @property
    def answered(self) -> bool:
        return self.entry_id is not None


@dataclass(frozen=True)
class Tuning:
    """The matcher's weights and cut-offs, gathered so that they can be measured together."""

    phrasing: float = PHRASING_WEIGHT
    centroid: float = CENTROID_WEIGHT
    cover: float = COVER_WEIGHT
    body: float = BODY_WEIGHT
    answer: float = ANSWER_CUTOFF
    suggest: float = SUGGEST_CUTOFF
    margin: float = ANSWER_MARGIN


DEFAULT_TUNING = Tuning()


@dataclass(frozen=True)
class Index:
    """Everything the matcher needs, precomputed from the entries once."""

    entry_ids: tuple[str, ...]
    phrasings: tuple[tuple[tuple[frozenset[str], float], ...], ...]
    """Per entry: each phrasing's tokens and their total weight."""
    vocabularies: tuple[frozenset[str], ...]
    centroids: tuple[dict[str, float], ...]
    """Per entry: token -> share of the entry's phrasings that use it, times its weight."""
    centroid_norms: tuple[float, ...]
    bodies: tuple[frozenset[str], ...]
    """Per entry: the tokens of its summary and answer."""
    weights: dict[str, float]
    postings: dict[str, tuple[tuple[int, ...], tuple[float, ...]]]
    """Per token: the entries whose phrasings use it, and its centroid value in each."""
    body_postings: dict[str, tuple[int, ...]]
    """Per token: the entries whose answer text uses it."""
    vocabulary: tuple[str, ...]
    _corrections: dict[str, str | None] = field(default_factory=dict, compare=False)


def build_index(entries: Iterable[Entry], exclude: Iterable[str] = ()) -> Index:
    """Precompute token sets and weights. `exclude` drops phrasings (by normalised text)."""
    excluded = {" ".join(tokenize(text)) for text in exclude}
    ids: list[str] = []
    phrasings: list[tuple[frozenset[str], ...]] = []
    bodies: list[frozenset[str]] = []
    for entry in sorted(entries, key=lambda e: e.id):
        sets = []
        for text in entry.phrasings:
            tokens = tokenize(text)
            if not tokens or " ".join(tokens) in excluded:
                continue
            sets.append(frozenset(tokens))
        ids.append(entry.id)
        phrasings.append(tuple(sets))
        bodies.append(frozenset(tokenize(f"{entry.summary} {entry.answer}")))
    return index_from_token_sets(ids, phrasings, bodies)


def index_from_token_sets(
    ids: Sequence[str],
    phrasings: Sequence[tuple[frozenset[str], ...]],
    bodies: Sequence[frozenset[str]],
) -> Index:
    """Build the index from already tokenised phrasings and answer bodies."""
    vocabularies = tuple(frozenset().union(*sets) if sets else frozenset() for sets in phrasings)
    centroids = tuple(
        {token: sum(token in s for s in sets) / len(sets) for token in vocabulary}
        for sets, vocabulary in zip(phrasings, vocabularies, strict=True)
    )
    postings: dict[str, set[int]] = {}
    body_df: dict[str, int] = {}
    for position, (vocabulary, body) in enumerate(zip(vocabularies, bodies, strict=True)):
        for token in vocabulary | body:
            postings.setdefault(token, set()).add(position)
        for token in body - vocabulary:
            body_df[token] = body_df.get(token, 0) + 1
    count = len(ids)
    weights = {}
    for token, where in postings.items():
        phrased = sum(token in vocabularies[p] for p in where)
        weights[token] = math.log(1 + count / (phrased or body_df[token]))
    weighted = tuple(
        {token: share * weights[token] for token, share in centroid.items()}
        for centroid in centroids
    )
    return Index(
        entry_ids=tuple(ids),
        phrasings=tuple(
            tuple((tokens, sum(weights[token] for token in tokens)) for tokens in sets)
            for sets in phrasings
        ),
        vocabularies=vocabularies,
        centroids=weighted,
        centroid_norms=tuple(
            math.sqrt(sum(value * value for value in centroid.values())) for centroid in weighted
        ),
        bodies=tuple(bodies),
        weights=weights,
        postings={
            token: (where, tuple(weighted[p][token] for p in where))
            for token, where in (
                (token, tuple(sorted(p for p in where if token in vocabularies[p])))
                for token, where in postings.items()
            )
            if where
        },
        body_postings={
            token: tuple(sorted(p for p in where if token in bodies[p]))
            for token, where in postings.items()
            if any(token in bodies[p] for p in where)
        },
        vocabulary=tuple(sorted(postings)),
    )


def is_trap(question: str) -> bool:
    """True for questions about authentication/platform tokens rather than AI Experience tokens."""
    folded = fold(question)
    return bool(_TRAP.search(folded)) and not _TRAP_OVERRIDE.search(folded)


def _correct(index: Index, token: str) -> str | None:
    """The known token an unknown one most likely means, or None."""
    if token in index._corrections:
        return index._corrections[token]
    found = None
    if len(token) >= 4 and not token.isdigit():
        best = process.extractOne(
            token, index.vocabulary, scorer=fuzz.ratio, processor=None, score_cutoff=TYPO_CUTOFF
        )
        if best is not None:
            found = str(best[0])
    index._corrections[token] = found
    return found


def _query_weights(index: Index, question: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for token in tokenize(question):
        known = token if token in index.weights else _correct(index, token)
        if known is None:
            # An unknown number ("34000 minutes") is context, not a different subject.
            weights[token] = 0.0 if token[:1].isdigit() else UNKNOWN_WORD_WEIGHT
        else:
            weights[known] = index.weights[known]
    return weights


@dataclass(frozen=True)
class Signals:
    """How one entry relates to one question; each signal is in 0..1."""

    phrasing: float
    """Weighted Dice overlap with the entry's best single phrasing."""
    centroid: float
    """Cosine with the entry's phrasings taken together (words most phrasings use weigh most)."""
    cover: float
    """Share of the question's weight found anywhere in the entry's phrasings."""
    body: float
    """Share of the question's weight found in the entry's summary and answer."""

    def score(self, tuning: Tuning) -> float:
        total = tuning.phrasing + tuning.centroid + tuning.cover + tuning.body
        return (
            tuning.phrasing * self.phrasing
            + tuning.centroid * self.centroid
            + tuning.cover * self.cover
            + tuning.body * self.body
        ) / total


def signals(
    index: Index, question: str, tuning: Tuning = DEFAULT_TUNING
) -> list[tuple[Signals, int]]:
    """The signals of the entries most likely to answer (all entries sharing a word, if few).

    First pass: cover, centroid and answer-text signals for every entry sharing a word with the
    question, accumulated along the postings lists (cheap even for 10,000 entries). Second pass:
    the best single phrasing, only for the `SHORTLIST` entries the first pass ranks highest.
    """
    query = _query_weights(index, question)
    total = sum(query.values())
    if total == 0:
        return []
    query_norm = math.sqrt(sum(weight * weight for weight in query.values()))
    count = len(index.entry_ids)
    covered = [0.0] * count
    dots = [0.0] * count
    in_body = [0.0] * count
    touched: set[int] = set()
    for token, weight in query.items():
        if token in index.postings:
            where, values = index.postings[token]
            touched.update(where)
            for position, value in zip(where, values, strict=True):
                covered[position] += weight
                dots[position] += weight * value
        where = index.body_postings.get(token, ())
        touched.update(where)
        for position in where:
            in_body[position] += weight
    norms = index.centroid_norms
    if len(touched) > SHORTLIST:
        # Rank by the cheap signals (no phrasing term) without building objects for every entry.
        scale = tuning.centroid / query_norm
        touched = set(
            heapq.nlargest(
                SHORTLIST,
                sorted(touched),
                key=lambda p: (
                    (scale * dots[p] / norms[p] if norms[p] else 0.0)
                    + (tuning.cover * covered[p] + tuning.body * in_body[p]) / total
                ),
            )
        )
    items = list(query.items())
    found = []
    for position in sorted(touched):
        best = 0.0
        for tokens, size in index.phrasings[position]:
            shared = sum(weight for token, weight in items if token in tokens)
            if shared:
                best = max(best, 2 * shared / (total + size))
        norm = norms[position]
        found.append(
            (
                Signals(
                    phrasing=best,
                    centroid=dots[position] / (query_norm * norm) if norm else 0.0,
                    cover=covered[position] / total,
                    body=in_body[position] / total,
                ),
                position,
            )
        )
    return found


def score_entries(
    index: Index, question: str, tuning: Tuning = DEFAULT_TUNING
) -> list[tuple[float, int, bool]]:
    """(score, entry position, exact) per candidate entry, best first; scores in 0..1.

    `exact` is true when the question has exactly the words of one of the entry's phrasings.
    """
    scored = [
        (found.score(tuning), position, found.phrasing >= EXACT)
        for found, position in signals(index, question, tuning)
    ]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored


def search(index: Index, question: str, tuning: Tuning = DEFAULT_TUNING) -> Match:
    """Match a question: answer, suggest up to three entries, or admit not knowing.

    A question worded exactly like one curated phrasing of a single entry is answered by that
    entry even when a neighbour scores close: the curator wrote that phrasing to mean it.
    """
    if is_trap(question):
        return Match(entry_id=None, score=0.0, out_of_scope=True)
    scored = score_entries(index, question, tuning)
    if not scored:
        return Match(entry_id=None, score=0.0)
    exact = [item for item in scored if item[2]]
    if len(exact) == 1:
        scored.remove(exact[0])
        scored.insert(0, exact[0])
    best_score, best, _ = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    answered = len(exact) == 1 or (
        best_score >= tuning.answer and best_score - runner_up >= tuning.margin
    )
    offered = scored[1 : 1 + MAX_SUGGESTIONS] if answered else scored[:MAX_SUGGESTIONS]
    suggestions = tuple(
        Suggestion(index.entry_ids[position], round(score, 4))
        for score, position, _ in offered
        if score >= tuning.suggest
    )
    if answered:
        return Match(index.entry_ids[best], round(best_score, 4), suggestions)
    return Match(entry_id=None, score=round(best_score, 4), suggestions=suggestions)
