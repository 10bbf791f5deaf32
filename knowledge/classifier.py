"""What the matcher learns from the curated files: entry prototypes and the out-of-scope model.

Both are built at start-up from the shipped texts (no model file is committed), in pure Python:
scikit-learn was measured and rejected (see the "Matching" section of the README).

* `Prototypes`: each entry's phrasings as one TF-IDF vector (a nearest-centroid classifier).
  Features are character 4-grams of the folded text, which see through typos and inflections
  ("consumming", "summarised"), plus concept unigrams and bigrams, which carry the domain
  vocabulary ("sta", "cx3", "sta_cx3"). IDF is over entries, so a feature every entry shares
  weighs little.
* `ScopeModel`: a logistic regression telling token-billing questions (the entries' phrasings,
  at most `SCOPE_INSIDE` of them, spread over entries) from the curated out-of-scope questions
  (`knowledge/out_of_scope/*.yml`), on words and word pairs as typed (so "how do I enable" and
  "seat" count) and as concepts. It is what keeps a Genesys how-to or a seat-price question
  from being answered by an entry sharing a product word.
* `Neighbours`: how close a question comes to one curated out-of-scope question.

Prototypes are stored compactly (feature numbers and weights in flat arrays, each feature
string once), so that a 10,000-entry knowledge base fits in memory; the vectors of recently
compared entries are kept unpacked for speed (`HOT_PROTOTYPES`).
"""

from __future__ import annotations

import math
import random
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, pairwise, repeat
from operator import mul
from typing import TypeVar

from knowledge.normalise import concepts, fold

K = TypeVar("K")
T = TypeVar("T")

CHAR_SIZE = 4
"""Length of the character n-grams taken over the folded text (across word boundaries)."""

HOT_PROTOTYPES = 1_024
"""Entry vectors kept unpacked as dictionaries for fast comparison, least recently compared
dropped first: all of them up to a thousand entries, a bounded working set (about 60 MB) for a
larger knowledge base. (Pruning each vector to its 250-400 heaviest features instead cost
0.6-0.7 points of cross-validated top-1 accuracy.)"""

SCOPE_EPOCHS = 5
"""Passes of stochastic gradient descent over the training texts of the out-of-scope model."""

SCOPE_RATE = 2.0
"""Initial learning rate of the out-of-scope model."""

SCOPE_L2 = 1e-5
"""L2 penalty of the out-of-scope model (per training text)."""

SCOPE_INSIDE = 6_000
"""In-scope texts the out-of-scope model learns from at most, taken evenly across entries
(`spread`). It tells token-billing wording from the rest, which a few thousand examples teach;
every phrasing of a 10,000-entry knowledge base would only cost build time and memory."""

SCOPE_SEED = 16
"""Seed of the (deterministic) order in which training texts are visited."""

SCOPE_SETTLED = 1e-3
"""A training text whose weighted error is below this is skipped (it is already fitted)."""


def sigmoid(z: float) -> float:
    """The logistic function, its argument clamped to +-30 so that exp never overflows."""
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class Analysed:
    """A text folded once, for every model: its folded words and its concept tokens."""

    folded: str
    concepts: tuple[str, ...]


def analyse(text: str) -> Analysed:
    folded = fold(text)
    return Analysed(folded, tuple(concepts(folded)))


def _pairs(words: Sequence[str]) -> list[str]:
    return [f"{first}_{second}" for first, second in pairwise(words)]


def prototype_features(text: Analysed) -> set[str]:
    """Character 4-grams of the space-padded folded text, concepts and concept pairs (`w:`)."""
    padded = f" {text.folded} "
    return {
        *map("".join, zip(*(padded[k:] for k in range(CHAR_SIZE)), strict=False)),
        *(f"w:{token}" for token in (*text.concepts, *_pairs(text.concepts))),
    }


def scope_features(text: Analysed) -> set[str]:
    """Words and word pairs as typed (`~`), and concepts and concept pairs."""
    words = text.folded.split()
    return {
        *(f"~{word}" for word in (*words, *_pairs(words))),
        *text.concepts,
        *_pairs(text.concepts),
    }


def _unit(vector: dict[K, float]) -> dict[K, float]:
    norm = math.sqrt(sum(value * value for value in vector.values()))
    return {key: value / norm for key, value in vector.items()} if norm else {}


@dataclass(frozen=True)
class Prototypes:
    """One unit TF-IDF vector per entry; `similarity` is the cosine with a question's vector.

    Stored compactly, because a knowledge base of 10,000 entries has millions of (entry,
    feature) pairs: every feature string is kept once (`numbers`), and each entry's vector is
    two flat arrays, feature numbers and weights, instead of a dictionary of boxed floats.
    """

    numbers: dict[str, int]
    """Feature -> its number (its position in `idf`)."""
    idf: array[float]
    features: tuple[array[int], ...]
    """Per entry: the numbers of the features its vector has."""
    weights: tuple[array[float], ...]
    """Per entry: the unit vector's value for each of those features."""

    def vector(self, text: Analysed) -> dict[int, float]:
        """A question's unit TF-IDF vector (binary features; features no entry has are out)."""
        numbers, idf = self.numbers, self.idf
        found = {numbers[f] for f in prototype_features(text) if f in numbers}
        return _unit({number: idf[number] for number in found})

    _hot: dict[int, dict[int, float]] = field(default_factory=dict, compare=False, repr=False)
    """The vectors of recently compared entries as dictionaries (at most `HOT_PROTOTYPES`)."""

    def similarity(self, question: dict[int, float], position: int) -> float:
        hot = self._hot
        vector = hot.pop(position, None)
        if vector is None:
            vector = dict(zip(self.features[position], self.weights[position], strict=True))
            if len(hot) >= HOT_PROTOTYPES:
                del hot[next(iter(hot))]  # the least recently compared
        hot[position] = vector
        found = map(vector.get, question.keys(), repeat(0.0))
        return float(sum(map(mul, question.values(), found)))


def build_prototypes(phrasings: Sequence[Sequence[Analysed]]) -> Prototypes:
    """Prototypes from each entry's analysed phrasings (an entry with none gets an empty one).

    An entry's vector weighs each feature by the number of its phrasings that have it, times
    the feature's IDF over entries. (Averaging unit vectors per phrasing instead, or character
    3-5-grams within words, scored lower in cross-validation on the knowledge base.)
    """
    builder = PrototypeBuilder()
    for texts in phrasings:
        builder.add(texts)
    return builder.build()


class PrototypeBuilder:
    """Builds `Prototypes` one entry at a time (see `build_prototypes`), holding only each
    entry's feature counts in flat arrays until every entry is in and the IDF is known."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._spread: list[int] = []
        self._counted: list[tuple[array[int], array[int]]] = []

    def add(self, texts: Iterable[Analysed]) -> None:
        """The next entry's analysed phrasings."""
        numbers, spread = self._numbers, self._spread
        counts: dict[int, int] = {}
        for feature, n in Counter(chain.from_iterable(map(prototype_features, texts))).items():
            number = numbers.get(feature)
            if number is None:
                number = numbers[feature] = len(spread)
                spread.append(0)
            spread[number] += 1
            counts[number] = n
        ordered = sorted(counts)
        self._counted.append((array("i", ordered), array("i", map(counts.__getitem__, ordered))))

    def build(self) -> Prototypes:
        entries = len(self._counted)
        idf = array("d", (math.log((1 + entries) / (1 + found)) + 1.0 for found in self._spread))
        features = []
        weights = []
        for numbers, counts in self._counted:
            pairs = zip(numbers, counts, strict=True)
            vector = _unit({number: n * idf[number] for number, n in pairs})
            features.append(array("i", vector.keys()))
            weights.append(array("d", vector.values()))
        return Prototypes(self._numbers, idf, tuple(features), tuple(weights))


@dataclass(frozen=True)
class ScopeModel:
    """Logistic regression: `logit` > 0 means the question reads as out of scope."""

    weights: dict[str, float]
    bias: float

    def logit(self, text: Analysed) -> float:
        features = scope_features(text)
        if not features:
            return self.bias
        value = 1.0 / math.sqrt(len(features))
        weights = self.weights
        return self.bias + value * sum(weights.get(feature, 0.0) for feature in features)


def spread(groups: Sequence[Sequence[T]], limit: int) -> list[T]:
    """Every item in group order if there are at most `limit`; else `limit` of them, taken
    round-robin (the first of each group, then the second of each...), so that every group is
    represented however many there are."""
    if sum(map(len, groups)) <= limit:
        return [item for group in groups for item in group]
    taken: list[T] = []
    depth = 0
    while len(taken) < limit and any(depth < len(group) for group in groups):
        for group in groups:
            if depth < len(group):
                taken.append(group[depth])
                if len(taken) == limit:
                    break
        depth += 1
    return taken


def train_scope_model(
    inside: Iterable[Analysed],
    outside: Iterable[Analysed],
    epochs: int = SCOPE_EPOCHS,
    rate: float = SCOPE_RATE,
    l2: float = SCOPE_L2,
) -> ScopeModel:
    """Fit P(out of scope) by L2-regularised SGD, both classes weighted equally overall.

    Deterministic: the visiting order comes from a fixed seed. Features are binary, scaled by
    1/sqrt(count) so that long and short texts weigh alike.
    """
    index: dict[str, int] = {}
    docs: list[tuple[tuple[int, ...], int, float]] = []
    for label, texts in ((0, inside), (1, outside)):
        for text in texts:
            ids = tuple(index.setdefault(f, len(index)) for f in scope_features(text))
            if ids:
                docs.append((ids, label, 1.0 / math.sqrt(len(ids))))
    counts = [sum(1 for doc in docs if doc[1] == side) for side in (0, 1)]
    if not all(counts):
        return ScopeModel(weights={}, bias=0.0)  # nothing to tell apart: no opinion
    balance = [len(docs) / (2 * count) for count in counts]
    weights = [0.0] * len(index)
    read = weights.__getitem__
    scale, bias, step = 1.0, 0.0, 0
    order = list(range(len(docs)))
    shuffle = random.Random(SCOPE_SEED).shuffle
    for _ in range(epochs):
        shuffle(order)
        for position in order:
            ids, label, value = docs[position]
            learn = rate / (1.0 + rate * l2 * step)
            step += 1
            scale *= 1.0 - learn * l2
            z = bias + scale * value * sum(map(read, ids))
            error = (sigmoid(z) - label) * balance[label]
            if -SCOPE_SETTLED < error < SCOPE_SETTLED:
                continue  # already fitted: the update would change nothing that matters
            change = learn * error * value / scale
            for i in ids:
                weights[i] -= change
            bias -= learn * error
    names = {i: feature for feature, i in index.items()}
    return ScopeModel(weights={names[i]: scale * w for i, w in enumerate(weights) if w}, bias=bias)


@dataclass(frozen=True)
class Neighbours:
    """The curated out-of-scope questions as sets of scope features, by feature."""

    postings: dict[str, tuple[int, ...]]
    sizes: tuple[int, ...]

    def closest(self, text: Analysed) -> float:
        """The highest cosine (binary features) between `text` and one curated question."""
        features = scope_features(text)
        if not features:
            return 0.0
        shared: Counter[int] = Counter()
        for feature in features:
            shared.update(self.postings.get(feature, ()))
        if not shared:
            return 0.0
        sizes = self.sizes
        return max(count / math.sqrt(sizes[i] * len(features)) for i, count in shared.items())


def build_neighbours(questions: Iterable[Analysed]) -> Neighbours:
    postings: dict[str, list[int]] = {}
    sizes = []
    for position, text in enumerate(questions):
        features = scope_features(text)
        sizes.append(len(features) or 1)
        for feature in features:
            postings.setdefault(feature, []).append(position)
    return Neighbours(
        postings={feature: tuple(where) for feature, where in postings.items()},
        sizes=tuple(sizes),
    )
