"""The learned models: entry prototypes and the out-of-scope logistic regression."""

from __future__ import annotations

from knowledge.classifier import (
    analyse,
    build_neighbours,
    build_prototypes,
    prototype_features,
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
