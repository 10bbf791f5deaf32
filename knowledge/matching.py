"""The question matcher: a pure function from a question to an entry, suggestions, or nothing.

How a question is matched:

1. **Views.** A short message is matched as typed. A long post (greetings, context, several
   sentences) is matched as a whole first, greetings and thanks dropped; only when the whole
   cannot be answered are its question sentences tried (`normalise.views`, `choose`), and a
   sentence's answer stands only if the whole post ranks its entry among its `AGREE` best: a
   sentence alone ("How is that billed?") loses the context that decides it. A follow-up in a
   thread is also matched with the thread's earlier question in front of it, and that reading
   wins when it is the likelier one.
2. **Candidates** come from the lexical index: concept tokens (`normalise.tokenize`: Slack
   markup out, "speech analytics" and "STA" one token, typos corrected to known words), each
   weighing its inverse document frequency over entries. Every entry sharing a word gets four
   lexical signals (`Signals`: best single phrasing, all phrasings together, coverage of the
   question, answer text); the `SHORTLIST` best are kept.
3. **Learned models** built from the shipped files at start-up (`knowledge.classifier`): each
   candidate's cosine with its entry's prototype (character 4-grams and concepts of all its
   phrasings), and for the question as a whole the out-of-scope model's logit and its closeness
   to a curated out-of-scope question (`knowledge/out_of_scope/*.yml`).
4. **Rank.** Candidates are ordered by a weighted sum of the lexical signals and the prototype
   cosine (`Tuning`'s rank weights).
5. **Calibrate.** A logistic model over the best candidate's evidence (`FEATURES`: its score and
   lead over the runner-up, lexically and by prototype, whether both agree, the out-of-scope
   model, the share of the question's words the knowledge base does not know...) gives
   `confidence`, the probability that answering with it is right. Its weights are fitted by
   cross-validation on the knowledge base itself (whole paraphrase groups and out-of-scope
   questions held out, the curated long posts matched view by view as a message is); only its
   final slope is fitted on real questions, the dev set design.md names for tuning,
   never on an evaluation file: `benchmarks/tune_matching.py`.
6. **Decide**, with calibrated cut-offs:

   * `ANSWER_CUTOFF`: answer when the best entry is at least this likely to be right. It is
     the break-even point of `WRONG_ANSWER_COST`: a wrong answer costs twice what a right one
     gains (a "did you mean" neither gains nor costs), so answer above 2/3. The calibration is
     fitted on held-out curated phrasings, which are harder than real questions (curators write
     the odd wordings on purpose), then mapped onto real questions by a slope fitted on
     the labelled dev questions (`Tuning.real_slope`): without it, real first choices below
     the cut-off were right far more often than one time in three.
   * `SUGGEST_CUTOFF`: below the answer cut-off but at least this likely, offer "did you mean"
     choices, the first with its short answer inline: the best entry and the runners-up
     scoring at least `SUGGEST_RATIO` of it.
   * below that, say honestly that the knowledge base does not know.

   A question worded exactly like a curated phrasing of one entry alone is answered by it: the
   curator wrote that phrasing to mean it. A question of fewer than `MIN_CONCEPTS` concepts
   ("copilot?") is never answered, only offered choices; one worded exactly like a curated
   out-of-scope question is declined.

Questions about authentication tokens (OAuth, Slack, JWT, API keys...) are recognised first by
rule and never answered from the FAQ (`Match.out_of_scope`). Everything here is deterministic:
ties go to the entry that comes first in id order.

At scale the index stays compact (flat arrays of positions and values, shared phrasing lists,
prototypes as arrays with a bounded cache of unpacked vectors, a capped training sample for the
out-of-scope model): `benchmarks/matching.py` measures it at 52, 1,000 and 10,000 entries.
"""

from __future__ import annotations

import heapq
import math
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain

from rapidfuzz import fuzz, process

from knowledge.classifier import (
    SCOPE_INSIDE,
    Analysed,
    Neighbours,
    PrototypeBuilder,
    Prototypes,
    ScopeModel,
    analyse,
    build_neighbours,
    sigmoid,
    spread,
    train_scope_model,
)
from knowledge.entries import Entry
from knowledge.normalise import fold, tokenize, views

WRONG_ANSWER_COST = 2.0
"""How much worse a wrong answer is than a right one is good (a "did you mean" costs nothing).
A product choice, not a fitted constant: answered questions carry their sources, confidence and
a "Not helpful" button, so a wrong one is caught, but it still misleads."""

ANSWER_CUTOFF = WRONG_ANSWER_COST / (1.0 + WRONG_ANSWER_COST)
"""Calibrated probability at or above which the best entry is answered (2/3)."""

SUGGEST_CUTOFF = 0.2
"""Calibrated probability at or above which "did you mean" choices are offered: at least one
chance in five that the first choice is the answer is worth the asker's glance."""

SUGGEST_RATIO = 0.8
"""A runner-up is offered beside the best entry when its rank score is at least this share."""

MAX_SUGGESTIONS = 3

AGREE = 3
"""A sentence of a long post may answer it only with one of the whole post's this many best
candidates (see `choose`)."""

MIN_CONCEPTS = 2
"""A text with fewer distinct concept tokens ("copilot", "tokens?") says what it is about but not
what it asks: it gets "did you mean" choices at most, never an answer."""

EXACT = 0.999
"""Best-phrasing overlap at which a question counts as worded exactly like a phrasing."""

TYPO_CUTOFF = 84.0
"""rapidfuzz ratio (0-100) above which an unknown word is read as a known one."""

UNKNOWN_WORD_WEIGHT = 1.6
"""Weight of a word the knowledge base does not know: it counts against every entry."""

SHORTLIST = 16
"""Entries whose phrasings are compared one by one, after a cheap first pass ranks them all."""

MAX_CORRECTIONS = 20_000
"""Typo corrections remembered per index (a long-running server sees many unknown words)."""

FEATURES = (
    "score",
    "margin",
    "lexical",
    "lexical_margin",
    "prototype",
    "prototype_margin",
    "agree",
    "cover",
    "out_of_scope",
    "neighbour",
    "unknown",
)
"""The evidence `confidence` weighs, in the order of `Tuning.calibration`. ("unknown", the share
of the question's words the knowledge base does not know, lowered cross-validated wrong answers
from 7.4% to 7.2% and raised silent out-of-scope texts; a text-length feature, a "runner-up is a
related entry" flag and the cosine between the two leading entries' prototypes were tried and
dropped: no gain, or confidence learnt from the curated long posts that real posts would not
bear out.)"""

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
    """The calibrated probability that the best entry is the right answer (0..1)."""
    suggestions: tuple[Suggestion, ...] = ()
    out_of_scope: bool = False
    """True when the question is recognised as being about another kind of token."""
    matched: str = ""
    """The text the verdict was reached on (the whole message, a question sentence of a long
    post, or a follow-up with its thread's question)."""

    @property
    def answered(self) -> bool:
        return self.entry_id is not None


@dataclass(frozen=True)
class Tuning:
    """Rank weights, calibration and cut-offs, gathered so that they can be measured together.

    The defaults were printed by `python benchmarks/tune_matching.py` (5-fold cross-validation
    on the shipped knowledge base and out-of-scope sets, 2026-12-02); re-run it after the
    knowledge base changes and paste its output here.

    `calibration` and `bias` are fitted on held-out curated phrasings. `real_slope` then maps
    that calibration's log-odds onto real questions (as their multiple): it is fitted on the
    labelled questions design.md names for tuning (`../shared/eval/dev-questions.yml`),
    because curated phrasings held out by paraphrase group are harder than real questions (in
    cross-validation the 0.6-0.8 band is right about two times in three; on the dev questions
    nearly always). One number fitted on 145
    questions, pulled towards "no change" (`tuning.RECALIBRATION_L2`), so that no single
    question moves it far (a shift was fitted too at first; see `tuning.fit_recalibration`).
    """

    # tuned: begin (written by `python benchmarks/tune_matching.py --write`)
    phrasing: float = 0.31
    centroid: float = 0.703
    cover: float = 0.45
    body: float = 0.4
    prototype: float = 0.875
    calibration: tuple[float, ...] = (
        0.814,
        2.496,
        0.299,
        2.738,
        1.404,
        1.554,
        0.665,
        1.454,
        -0.292,
        -1.688,
        -2.789,
    )
    bias: float = -2.437
    real_slope: float = 1.4
    # tuned: end
    answer: float = ANSWER_CUTOFF
    suggest: float = SUGGEST_CUTOFF


DEFAULT_TUNING = Tuning()


@dataclass(frozen=True)
class Index:
    """Everything the matcher needs, precomputed from the entries once.

    Kept compact, because at 10,000 entries the (entry, token) pairs number in the millions:
    positions and values are flat arrays, and identical phrasing lists are shared.
    """

    entry_ids: tuple[str, ...]
    phrasings: tuple[tuple[dict[str, tuple[int, ...]], tuple[float, ...]], ...]
    """Per entry: token -> the entry's phrasings that use it (by number), and each phrasing's
    total token weight."""
    centroid_norms: array[float]
    """Per entry: the norm of its centroid (token -> share of its phrasings that use it, times
    the token's weight)."""
    weights: dict[str, float]
    postings: dict[str, tuple[array[int], array[float]]]
    """Per token: the entries whose phrasings use it, and its centroid value in each."""
    body_postings: dict[str, array[int]]
    """Per token: the entries whose summary and answer use it."""
    vocabulary: tuple[str, ...]
    prototypes: Prototypes
    scope: ScopeModel
    neighbours: Neighbours
    _corrections: dict[str, str | None] = field(default_factory=dict, compare=False)


def _key(text: str) -> str:
    return " ".join(tokenize(text))


def build_index(
    entries: Iterable[Entry], exclude: Iterable[str] = (), negatives: Iterable[str] = ()
) -> Index:
    """Precompute everything from the entries and the curated out-of-scope questions.

    `exclude` drops phrasings and out-of-scope questions (by normalised text), so that an
    evaluation never finds its own questions in the knowledge base.
    """
    excluded = {_key(text) for text in exclude}
    ordered = sorted(entries, key=lambda e: e.id)
    sampled = set(spread([[(e, k) for k in range(len(entry.phrasings))]
                          for e, entry in enumerate(ordered)], SCOPE_INSIDE))  # fmt: skip
    ids: list[str] = []
    phrasings: list[tuple[frozenset[str], ...]] = []
    bodies: list[frozenset[str]] = []
    prototypes = PrototypeBuilder()
    inside: list[Analysed] = []
    # One entry at a time, so that only compact structures outlive it (10,000 entries).
    for e, entry in enumerate(ordered):
        kept = []
        for k, text in enumerate(entry.phrasings):
            found = analyse(text)
            if found.concepts and " ".join(found.concepts) not in excluded:
                kept.append(found)
                if (e, k) in sampled:
                    inside.append(found)
        ids.append(entry.id)
        phrasings.append(tuple(frozenset(text.concepts) for text in kept))
        prototypes.add(kept)
        bodies.append(frozenset(tokenize(f"{entry.summary} {entry.answer}")))
    outside = [found for found in map(analyse, negatives) if _kept(found, excluded)]
    return _index(
        ids,
        phrasings,
        bodies,
        prototypes.build(),
        train_scope_model(inside, outside),
        build_neighbours(outside),
    )


def _kept(text: Analysed, excluded: set[str]) -> bool:
    return bool(text.folded) and " ".join(text.concepts) not in excluded


def _index(
    ids: Sequence[str],
    phrasings: Sequence[tuple[frozenset[str], ...]],
    bodies: Sequence[frozenset[str]],
    prototypes: Prototypes,
    scope: ScopeModel,
    neighbours: Neighbours,
) -> Index:
    """The index: its lexical part from tokenised phrasings and answer bodies, and the models."""
    vocabularies = [frozenset().union(*sets) if sets else frozenset() for sets in phrasings]
    postings: dict[str, list[int]] = {}
    body_where: dict[str, list[int]] = {}
    body_df: dict[str, int] = {}
    for position, (vocabulary, body) in enumerate(zip(vocabularies, bodies, strict=True)):
        for token in sorted(vocabulary):
            postings.setdefault(token, []).append(position)
        for token in sorted(body):
            body_where.setdefault(token, []).append(position)
            if token not in vocabulary:
                body_df[token] = body_df.get(token, 0) + 1
    count = len(ids)
    weights = {
        token: math.log(1 + count / (len(postings.get(token, ())) or body_df[token]))
        for token in sorted(postings.keys() | body_where.keys())
    }
    norms = array("d", [0.0] * count)
    values: dict[str, array[float]] = {token: array("d") for token in postings}
    for position, sets in enumerate(phrasings):
        uses = Counter(chain.from_iterable(sets))
        for token in sorted(uses):
            value = uses[token] / len(sets) * weights[token]
            values[token].append(value)
            norms[position] += value * value
    shared: dict[tuple[int, ...], tuple[int, ...]] = {}
    return Index(
        entry_ids=tuple(ids),
        phrasings=tuple(_phrasing_postings(sets, weights, shared) for sets in phrasings),
        centroid_norms=array("d", map(math.sqrt, norms)),
        weights=weights,
        postings={token: (array("i", where), values[token]) for token, where in postings.items()},
        body_postings={token: array("i", where) for token, where in body_where.items()},
        vocabulary=tuple(weights),
        prototypes=prototypes,
        scope=scope,
        neighbours=neighbours,
    )


def _phrasing_postings(
    sets: Sequence[frozenset[str]],
    weights: dict[str, float],
    shared: dict[tuple[int, ...], tuple[int, ...]],
) -> tuple[dict[str, tuple[int, ...]], tuple[float, ...]]:
    """Token -> the phrasings (by number) that use it; identical lists are stored once."""
    where: dict[str, list[int]] = {}
    for number, tokens in enumerate(sets):
        for token in sorted(tokens):
            where.setdefault(token, []).append(number)
    sizes = tuple(sum(weights[token] for token in tokens) for tokens in sets)
    return {token: shared.setdefault(tuple(n), tuple(n)) for token, n in where.items()}, sizes


_NOWHERE: array[int] = array("i")


def is_trap(question: str) -> bool:
    """True for questions about authentication/platform tokens rather than AI Experience tokens."""
    folded = fold(question)
    return bool(_TRAP.search(folded)) and not _TRAP_OVERRIDE.search(folded)


def _correct(index: Index, token: str) -> str | None:
    """The known token an unknown one most likely means, or None."""
    corrections = index._corrections
    if token in corrections:
        return corrections[token]
    found = None
    if len(token) >= 4 and not token.isdigit():
        best = process.extractOne(
            token, index.vocabulary, scorer=fuzz.ratio, processor=None, score_cutoff=TYPO_CUTOFF
        )
        if best is not None:
            found = str(best[0])
    if len(corrections) >= MAX_CORRECTIONS:
        corrections.clear()
    corrections[token] = found
    return found


def _query_weights(index: Index, tokens: Iterable[str]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for token in tokens:
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


def _signals(index: Index, query: dict[str, float], tuning: Tuning) -> list[tuple[Signals, int]]:
    """The lexical signals of the entries most likely to answer (all sharing a word, if few).

    First pass: cover, centroid and answer-text signals for every entry sharing a word with the
    question, accumulated along the postings lists (cheap even for 10,000 entries). Second pass:
    the best single phrasing, only for the `SHORTLIST` entries the first pass ranks highest.
    """
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
        in_answer = index.body_postings.get(token, _NOWHERE)
        touched.update(in_answer)
        for position in in_answer:
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
    items = [(token, weight) for token, weight in query.items() if weight]
    found = []
    for position in sorted(touched):
        postings, sizes = index.phrasings[position]
        shared: dict[int, float] = {}
        for token, weight in items:
            for number in postings.get(token, ()):
                shared[number] = shared.get(number, 0.0) + weight
        best = max(
            (2 * value / (total + sizes[number]) for number, value in shared.items()),
            default=0.0,
        )
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


@dataclass(frozen=True)
class Candidate:
    """An entry that may answer a question, with its evidence."""

    position: int
    signals: Signals
    prototype: float
    """Cosine of the question with the entry's prototype (`knowledge.classifier`)."""

    def score(self, tuning: Tuning) -> float:
        """The rank score: lexical signals and prototype cosine, weighted (0..1)."""
        return (self.signals.score(tuning) + tuning.prototype * self.prototype) / (
            1.0 + tuning.prototype
        )


@dataclass(frozen=True)
class Evidence:
    """Everything known about one view of a question before any weight is applied."""

    text: str
    candidates: tuple[Candidate, ...]
    out_of_scope: float
    """The out-of-scope model's logit (> 0: reads like a curated out-of-scope question)."""
    neighbour: float
    """Cosine with the closest curated out-of-scope question."""
    concepts: int = MIN_CONCEPTS
    """Distinct concept tokens of the text."""
    unknown: float = 0.0
    """Share of the text's distinct concepts the knowledge base does not know (numbers aside)."""


def gather(index: Index, text: str, tuning: Tuning = DEFAULT_TUNING) -> Evidence:
    """The candidates and signals of one text (the costly part of matching)."""
    analysed = analyse(text)
    query = _query_weights(index, analysed.concepts)
    found = _signals(index, query, tuning)
    vector = index.prototypes.vector(analysed)
    return Evidence(
        text=text,
        candidates=tuple(
            Candidate(position, signals, index.prototypes.similarity(vector, position))
            for signals, position in found
        ),
        out_of_scope=index.scope.logit(analysed),
        neighbour=index.neighbours.closest(analysed),
        concepts=len(set(analysed.concepts)),
        unknown=sum(1 for token in query if token not in index.weights and not token[:1].isdigit())
        / max(1, len(query)),
    )


def rank(evidence: Evidence, tuning: Tuning = DEFAULT_TUNING) -> list[tuple[float, Candidate]]:
    """Candidates best first (ties in entry order), each with its rank score."""
    scored = [(candidate.score(tuning), candidate) for candidate in evidence.candidates]
    scored.sort(key=lambda item: (-item[0], item[1].position))
    return scored


def features(
    evidence: Evidence,
    ranked: Sequence[tuple[float, Candidate]],
    tuning: Tuning = DEFAULT_TUNING,
) -> list[float]:
    """The best candidate's evidence, in the order of `FEATURES`."""
    tail = [evidence.out_of_scope, evidence.neighbour, evidence.unknown]
    if not ranked:
        return [0.0] * (len(FEATURES) - len(tail)) + tail
    score, best = ranked[0]
    others = [candidate for _, candidate in ranked[1:]]
    lexical = best.signals.score(tuning)
    other_lexical = max((c.signals.score(tuning) for c in others), default=0.0)
    other_prototype = max((c.prototype for c in others), default=0.0)
    return [
        score,
        score - (ranked[1][0] if len(ranked) > 1 else 0.0),
        lexical,
        lexical - other_lexical,
        best.prototype,
        best.prototype - other_prototype,
        float(lexical >= other_lexical and best.prototype >= other_prototype),
        best.signals.cover,
        *tail,
    ]


def log_odds(values: Sequence[float], tuning: Tuning = DEFAULT_TUNING) -> float:
    """The cross-validated calibration's log-odds that the best candidate is right."""
    return tuning.bias + sum(w * v for w, v in zip(tuning.calibration, values, strict=True))


def confidence(values: Sequence[float], tuning: Tuning = DEFAULT_TUNING) -> float:
    """The calibrated probability that answering with the best candidate is right."""
    return sigmoid(tuning.real_slope * log_odds(values, tuning))


def search(
    index: Index, question: str, context: str | None = None, tuning: Tuning = DEFAULT_TUNING
) -> Match:
    """Match a question: answer, suggest up to three entries, or admit not knowing.

    `context` is the earlier question of a thread the message replies in: a follow-up such as
    "and per minute or per second?" is then also matched with it in front.
    """
    if is_trap(question):
        return Match(entry_id=None, score=0.0, out_of_scope=True, matched=question)
    parts = [gather(index, text, tuning) for text in views(question)]
    match = choose(index.entry_ids, parts, tuning)
    if context and context.strip() and not is_trap(context):
        followed = gather(index, f"{context.strip()} {question}", tuning)
        threaded = decide(index.entry_ids, followed, tuning, exact=False)
        if (threaded.answered, threaded.score) > (match.answered, match.score):
            return threaded
    return match


def choose(
    entry_ids: Sequence[str],
    evidences: Sequence[Evidence],
    tuning: Tuning = DEFAULT_TUNING,
    exact: bool = True,
) -> Match:
    """The verdict on a message from the evidence of its views (`normalise.views`).

    The whole message (the first view) is the verdict whenever it can be answered: it has all
    the context. Its sentences are consulted only when it cannot, and a sentence's answer
    stands only if its entry is among the whole message's `AGREE` best candidates; otherwise
    it is offered as a "did you mean" after the whole message's own choices. (A sentence
    alone, "How is that billed?", "token cost?", often reads confidently like an entry its
    context rules out; in cross-validation on the curated long posts, letting the likeliest
    view win gave 4 wrong answers in 96, this rule 1.) With `exact`, a whole message worded
    exactly like a phrasing of one entry is answered by it (see `decide`).
    """
    whole = decide(entry_ids, evidences[0], tuning, exact=exact)
    if whole.answered or len(evidences) == 1 or evidences[0].neighbour >= EXACT:
        return whole  # (a post worded like a curated out-of-scope one is declined whole)
    plausible = {entry_ids[c.position] for _, c in rank(evidences[0], tuning)[:AGREE]}
    best = whole
    strays: list[Suggestion] = []
    for evidence in evidences[1:]:
        match = decide(entry_ids, evidence, tuning, exact=False)
        if match.entry_id is not None and plausible and match.entry_id not in plausible:
            strays.append(Suggestion(match.entry_id, match.score))
            continue
        if (match.answered, match.score) > (best.answered, best.score):
            best = match
    if best.answered or not strays:
        return best
    # A sentence that reads like an entry the whole post rules out is offered after the
    # whole post's own choices, never before them.
    offered = list(best.suggestions)
    for stray in sorted(strays, key=lambda s: -s.score):
        if len(offered) < MAX_SUGGESTIONS and all(s.entry_id != stray.entry_id for s in offered):
            offered.append(stray)
    score = best.score if best.suggestions else offered[0].score
    return Match(None, score, tuple(offered), matched=best.matched)


def decide(
    entry_ids: Sequence[str],
    evidence: Evidence,
    tuning: Tuning = DEFAULT_TUNING,
    exact: bool = True,
) -> Match:
    """The verdict on one view: answer, "did you mean", or not known (see the cut-offs).

    With `exact`, a text worded exactly like a phrasing of one entry alone is answered by it.
    A text worded exactly like a curated out-of-scope question is never answered.
    """
    ranked = rank(evidence, tuning)
    if not ranked or evidence.neighbour >= EXACT:
        return Match(entry_id=None, score=0.0, matched=evidence.text)
    exactly = [item for item in ranked if item[1].signals.phrasing >= EXACT]
    vague = evidence.concepts < MIN_CONCEPTS
    if exact and len(exactly) == 1 and not vague:
        ranked.remove(exactly[0])
        ranked.insert(0, exactly[0])
        probability = 1.0
    else:
        probability = confidence(features(evidence, ranked, tuning), tuning)
    score = round(probability, 4)
    answered = probability >= tuning.answer and not vague
    if not answered and probability < tuning.suggest:
        return Match(entry_id=None, score=score, matched=evidence.text)
    top = ranked[0][0]
    offered = ranked[1 : 1 + MAX_SUGGESTIONS] if answered else ranked[:MAX_SUGGESTIONS]
    suggestions = tuple(
        Suggestion(entry_ids[candidate.position], round(value, 4))
        for value, candidate in offered
        if candidate is ranked[0][1] or value >= SUGGEST_RATIO * top
    )
    entry_id = entry_ids[ranked[0][1].position] if answered else None
    return Match(entry_id, score, suggestions, matched=evidence.text)


def score_entries(
    index: Index, question: str, tuning: Tuning = DEFAULT_TUNING
) -> list[tuple[float, int, bool]]:
    """(rank score, entry position, exact) per candidate entry, best first; scores in 0..1.

    `exact` is true when the question has exactly the words of one of the entry's phrasings.
    """
    return [
        (score, candidate.position, candidate.signals.phrasing >= EXACT)
        for score, candidate in rank(gather(index, question, tuning), tuning)
    ]
