"""The question matcher: a pure function from a question to an entry, suggestions, or nothing.

How a question is scored against an entry:

1. Both sides are reduced to concept tokens (`normalise.tokenize`): Slack markup stripped,
   acronyms and synonyms folded ("speech analytics" and "STA" are one token), stop words out.
2. Words the knowledge base has never seen are corrected to a known word when rapidfuzz finds
   a close one ("permision" -> "permission"); otherwise they stay unknown and count against
   the match, which is what keeps "pizza" and "password" questions unanswered.
3. Each token weighs its inverse document frequency over entries, so "token", present in
   nearly every entry, weighs little and "carryover" a lot.
4. An entry scores the better of (a) its best single phrasing, by weighted Dice overlap with the
   question, and (b) a blend of that with how much of the question's weight the entry's whole
   vocabulary covers. The best entry is answered above `ANSWER_CUTOFF` when it leads the next
   one by `ANSWER_MARGIN`; otherwise entries above `SUGGEST_CUTOFF` are offered as
   "did you mean"; below that the matcher says it does not know.

Questions about authentication tokens (OAuth, Slack, JWT, API keys...) are recognised first
and never answered from the FAQ. Everything here is deterministic: ties go to the entry that
comes first in id order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from knowledge.entries import Entry
from knowledge.normalise import fold, tokenize

ANSWER_CUTOFF = 0.55
"""Score at or above which the best entry is answered (when it also leads by the margin)."""

SUGGEST_CUTOFF = 0.36
"""Score at or above which an entry is offered as a "did you mean" choice."""

ANSWER_MARGIN = 0.06
"""How far the best entry must lead the runner-up to be answered rather than suggested."""

MAX_SUGGESTIONS = 3

TYPO_CUTOFF = 84.0
"""rapidfuzz ratio (0-100) above which an unknown word is read as a known one."""

UNKNOWN_WORD_WEIGHT = 1.6
"""Weight of a word the knowledge base does not know: it counts against every entry."""

PHRASING_SHARE = 0.6
"""In the blended score, the share of the best single phrasing (the rest is vocabulary cover)."""

SHORTLIST = 24
"""Entries scored phrasing by phrasing after the cheap vocabulary-cover pass."""

# Authentication and platform "tokens" that share the word but not the subject.
_TRAP = re.compile(
    r"\b(?:oauth2?|jwt|jwks|csrf|xsrf|saml|sso|mfa|2fa|otp|passwords?|passcode|xox[bpae]|xapp"
    r"|client secrets?|secret keys?|bearer|api keys?|ssh"
    r"|(?:access|refresh|api|auth|authentication|id|slack|personal|github|git|npm"
    r"|app|bot|security|verification|invite) tokens?)\b"
)
_TRAP_OVERRIDE = re.compile(r"\b(?:aiexperience|ai tokens?|token (?:bill|usage|consum))")


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
class Index:
    """Everything the matcher needs, precomputed from the entries once."""

    entry_ids: tuple[str, ...]
    phrasings: tuple[tuple[frozenset[str], ...], ...]
    vocabularies: tuple[frozenset[str], ...]
    weights: dict[str, float]
    postings: dict[str, tuple[int, ...]]
    vocabulary: tuple[str, ...]
    candidate_df: int
    _corrections: dict[str, str | None] = field(default_factory=dict, compare=False)

    def __len__(self) -> int:
        return len(self.entry_ids)


def build_index(entries: Iterable[Entry], exclude: Iterable[str] = ()) -> Index:
    """Precompute token sets and weights. `exclude` drops phrasings (by normalised text)."""
    excluded = {" ".join(tokenize(text)) for text in exclude}
    ids: list[str] = []
    phrasings: list[tuple[frozenset[str], ...]] = []
    for entry in sorted(entries, key=lambda e: e.id):
        sets = []
        for text in entry.phrasings:
            tokens = tokenize(text)
            if not tokens or " ".join(tokens) in excluded:
                continue
            sets.append(frozenset(tokens))
        ids.append(entry.id)
        phrasings.append(tuple(sets))
    return _index_from_sets(ids, phrasings)


def _index_from_sets(ids: Sequence[str], phrasings: Sequence[tuple[frozenset[str], ...]]) -> Index:
    vocabularies = tuple(frozenset().union(*sets) if sets else frozenset() for sets in phrasings)
    postings: dict[str, list[int]] = {}
    for position, vocabulary in enumerate(vocabularies):
        for token in vocabulary:
            postings.setdefault(token, []).append(position)
    count = len(ids)
    weights = {token: math.log(1 + count / len(where)) for token, where in postings.items()}
    return Index(
        entry_ids=tuple(ids),
        phrasings=tuple(phrasings),
        vocabularies=vocabularies,
        weights=weights,
        postings={token: tuple(where) for token, where in postings.items()},
        vocabulary=tuple(sorted(postings)),
        candidate_df=max(64, count // 20),
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
            weights[token] = UNKNOWN_WORD_WEIGHT
        else:
            weights[known] = index.weights[known]
    return weights


def _candidates(index: Index, query: dict[str, float]) -> list[int]:
    """Entries sharing a distinctive token with the query (all sharing any, if none)."""
    known = [token for token in query if token in index.postings]
    rare = [token for token in known if len(index.postings[token]) <= index.candidate_df]
    found: set[int] = set()
    for token in rare or known:
        found.update(index.postings[token])
    return sorted(found)


def score_entries(index: Index, question: str) -> list[tuple[float, int]]:
    """(score, entry position) for every candidate entry, best first; scores in 0..1."""
    query = _query_weights(index, question)
    total = sum(query.values())
    if total == 0:
        return []
    cover: list[tuple[float, int]] = []
    for position in _candidates(index, query):
        vocabulary = index.vocabularies[position]
        covered = sum(weight for token, weight in query.items() if token in vocabulary)
        cover.append((covered / total, position))
    cover.sort(key=lambda item: (-item[0], item[1]))
    scored: list[tuple[float, int]] = []
    for coverage, position in cover[:SHORTLIST]:
        best = 0.0
        for tokens in index.phrasings[position]:
            shared = sum(weight for token, weight in query.items() if token in tokens)
            if shared == 0:
                continue
            size = sum(index.weights[token] for token in tokens)
            best = max(best, 2 * shared / (total + size))
        blended = PHRASING_SHARE * best + (1 - PHRASING_SHARE) * coverage
        scored.append((max(best, blended), position))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored


def search(index: Index, question: str) -> Match:
    """Match a question: answer, suggest up to three entries, or admit not knowing."""
    if is_trap(question):
        return Match(entry_id=None, score=0.0, out_of_scope=True)
    scored = score_entries(index, question)
    if not scored:
        return Match(entry_id=None, score=0.0)
    best_score, best = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if best_score >= ANSWER_CUTOFF and best_score - runner_up >= ANSWER_MARGIN:
        others = tuple(
            Suggestion(index.entry_ids[position], round(score, 4))
            for score, position in scored[1 : 1 + MAX_SUGGESTIONS]
            if score >= SUGGEST_CUTOFF
        )
        return Match(index.entry_ids[best], round(best_score, 4), others)
    suggestions = tuple(
        Suggestion(index.entry_ids[position], round(score, 4))
        for score, position in scored[:MAX_SUGGESTIONS]
        if score >= SUGGEST_CUTOFF
    )
    return Match(entry_id=None, score=round(best_score, 4), suggestions=suggestions)
