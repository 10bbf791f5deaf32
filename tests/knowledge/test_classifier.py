"""The learned models: entry prototypes and the out-of-scope logistic regression."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import classifier
from knowledge.classifier import (
    SCOPE_INSIDE,
    Analysed,
    analyse,
    build_neighbours,
    build_prototypes,
    prototype_features,
    spread,
    train_scope_model,
)

INSIDE = [
    "how many tokens does agent copilot use per user",
    "do unused tokens carry over to next month",
    "voice bot tokens per minute",
    "what does a virtual agent interaction cost in tokens",
    "are summaries billed when generated or when viewed",
]
OUTSIDE = [
    "how do I create a new queue",
    "how do I enable call recording on a queue",
    "where do I reset my password",
    "how do I configure wrap up codes",
    "what time is the team meeting",
]


class TestPrototypes:
    def test_a_typo_still_lands_nearest_its_entry(self) -> None:
        """Character 4-grams see through "copliot" and "tokns"."""
        prototypes = build_prototypes([[analyse(INSIDE[0])], [analyse(INSIDE[1])]])
        vector = prototypes.vector(analyse("copliot tokns per usr"))
        assert prototypes.similarity(vector, 0) > prototypes.similarity(vector, 1)

    def test_features_mix_character_grams_and_concepts(self) -> None:
        features = prototype_features(analyse("STA on CX3"))
        assert {"w:sta", "w:cx3", "w:sta_cx3", " sta"} <= features

    def test_an_entry_without_phrasings_is_never_similar(self) -> None:
        prototypes = build_prototypes([[analyse(INSIDE[0])], []])
        assert prototypes.similarity(prototypes.vector(analyse(INSIDE[0])), 1) == 0.0


class TestScopeModel:
    def test_learns_how_to_questions_from_billing_questions(self) -> None:
        model = train_scope_model(map(analyse, INSIDE), map(analyse, OUTSIDE))
        assert model.logit(analyse("how do I create a wrap up code for the queue")) > 0
        assert model.logit(analyse("how many tokens per minute for a voice bot")) < 0

    def test_is_deterministic(self) -> None:
        first = train_scope_model(map(analyse, INSIDE), map(analyse, OUTSIDE))
        second = train_scope_model(map(analyse, INSIDE), map(analyse, OUTSIDE))
        assert first == second

    def test_without_out_of_scope_examples_it_has_no_opinion(self) -> None:
        model = train_scope_model(map(analyse, INSIDE), [])
        assert model.logit(analyse("how do I create a queue")) == 0.0


class TestNeighbours:
    def test_the_same_words_are_the_closest_possible(self) -> None:
        neighbours = build_neighbours(map(analyse, OUTSIDE))
        assert neighbours.closest(analyse("How do I create a new queue?")) == 1.0
        assert neighbours.closest(analyse("copilot tokens per user")) < 0.5
        assert neighbours.closest(analyse("")) == 0.0


def _plain_cosine(phrasings: list[list[Analysed]], question: Analysed, position: int) -> float:
    """The prototype cosine computed the obvious way, with string-keyed dictionaries."""
    counted = [Counter(f for t in texts for f in prototype_features(t)) for texts in phrasings]
    spread_over: Counter[str] = Counter(f for counts in counted for f in counts)
    idf = {f: math.log((1 + len(phrasings)) / (1 + n)) + 1.0 for f, n in spread_over.items()}
    entry = {f: n * idf[f] for f, n in counted[position].items()}
    asked = {f: idf[f] for f in prototype_features(question) if f in idf}
    norm = math.sqrt(sum(v * v for v in entry.values())) * math.sqrt(
        sum(v * v for v in asked.values())
    )
    return sum(v * entry.get(f, 0.0) for f, v in asked.items()) / norm if norm else 0.0


TEXTS = st.lists(st.sampled_from(INSIDE + OUTSIDE), min_size=1, max_size=3)


class TestCompactPrototypes:
    """Stored as arrays for memory, compared as the plain TF-IDF cosine."""

    @settings(max_examples=60, deadline=None)
    @given(st.lists(TEXTS, min_size=1, max_size=4), st.text(max_size=60))
    def test_similarity_is_the_plain_cosine(self, groups: list[list[str]], question: str) -> None:
        phrasings = [[analyse(text) for text in group] for group in groups]
        prototypes = build_prototypes(phrasings)
        vector = prototypes.vector(analyse(question))
        for position in range(len(phrasings)):
            expected = _plain_cosine(phrasings, analyse(question), position)
            assert math.isclose(prototypes.similarity(vector, position), expected, abs_tol=1e-9)

    def test_the_cache_of_unpacked_vectors_stays_bounded(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(classifier, "HOT_PROTOTYPES", 2)
        prototypes = build_prototypes([[analyse(text)] for text in INSIDE])
        vector = prototypes.vector(analyse("copilot tokens per user per month"))
        first = [prototypes.similarity(vector, p) for p in range(len(INSIDE))]
        assert len(prototypes._hot) == 2
        assert [prototypes.similarity(vector, p) for p in range(len(INSIDE))] == first


class TestSpread:
    @given(st.lists(st.lists(st.integers(), max_size=6), max_size=6), st.integers(0, 20))
    def test_takes_at_most_the_limit_round_robin(self, groups: list[list[int]], limit: int) -> None:
        taken = spread(groups, limit)
        total = sum(map(len, groups))
        assert len(taken) == min(limit, total)
        if total <= limit:
            assert taken == [item for group in groups for item in group]
        elif limit >= sum(1 for group in groups if group):
            # every group that has items is represented
            remaining = list(taken)
            for group in groups:
                if group:
                    assert group[0] in remaining
                    remaining.remove(group[0])

    def test_a_large_knowledge_base_trains_the_scope_model_on_a_sample(self) -> None:
        groups = [[f"entry {e} phrasing {p}" for p in range(50)] for e in range(300)]
        assert len(spread(groups, SCOPE_INSIDE)) == SCOPE_INSIDE
