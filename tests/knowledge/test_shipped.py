"""Checks on what ships: the knowledge base loads, is complete, and finds itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from knowledge import loader
from knowledge.checks import Severity, check_knowledge_base
from knowledge.matching import MIN_CONCEPTS, build_index, search
from knowledge.normalise import tokenize

KB = loader.load_knowledge_base()
INDEX = build_index(KB.entries, negatives=KB.negatives)
SHARED_TOPICS = Path(__file__).resolve().parents[3] / "shared" / "eval" / "topics.yml"
PHRASINGS = [(entry.id, phrasing) for entry in KB.entries for phrasing in entry.phrasings]


class TestShippedKnowledgeBase:
    def test_every_required_topic_has_an_entry(self) -> None:
        missing = set(loader.load_topics()) - {entry.id for entry in KB.entries}
        assert missing == set()

    @pytest.mark.skipif(not SHARED_TOPICS.exists(), reason="shared/eval/topics.yml not beside repo")
    def test_shipped_topics_match_the_shared_list(self) -> None:
        assert loader.load_topics() == loader.load_topics(SHARED_TOPICS)

    def test_kb_check_finds_no_errors(self) -> None:
        problems = check_knowledge_base(KB.entries, loader.load_topics(), dt.date(2026, 11, 23))
        assert [str(p) for p in problems if p.severity is Severity.ERROR] == []

    def test_every_answer_cites_an_official_source_first(self) -> None:
        assert [e.id for e in KB.entries if not e.sources[0].official] == []

    def test_rate_placeholders_are_all_filled(self) -> None:
        assert [e.id for e in KB.entries if "{{" in e.answer + e.summary] == []

    def test_answers_quote_the_rate_card(self) -> None:
        """The Copilot answer states the list card's rates, so the two cannot disagree."""
        copilot = KB.default_card.placeholders()
        entry = KB.get("agent-copilot-rate")
        assert entry is not None
        assert copilot["copilot.named"] in entry.answer
        assert copilot["copilot.concurrent"] in entry.answer

    @pytest.mark.parametrize(("entry_id", "phrasing"), PHRASINGS)
    def test_each_phrasing_finds_its_own_entry(self, entry_id: str, phrasing: str) -> None:
        """Answered by its entry; a phrasing of one concept ("get more tokns") is offered first."""
        match = search(INDEX, phrasing)
        if len(set(tokenize(phrasing))) < MIN_CONCEPTS:
            assert match.suggestions[0].entry_id == entry_id
        else:
            assert match.entry_id == entry_id

    def test_out_of_scope_sets_load_and_are_not_answered(self) -> None:
        """Every curated out-of-scope question is declined by the index that learned it."""
        assert len(KB.negatives) >= 250
        answered = [q for q in KB.negatives if search(INDEX, q).answered]
        assert answered == []


class TestRealQuestions:
    """Questions from the forum thread the product started from."""

    @pytest.mark.parametrize(
        ("question", "entry_id"),
        [
            (
                "How are these tokens counted? Are they linked to a permission or to calls?",
                "sta-billing-triggers",
            ),
            (
                "Does someone know which permissions increment the STA tokens?",
                "sta-billable-permissions",
            ),
            (
                "I thought STA was an out of the box Genesys feature that wasn't part of the "
                "tokenised cost model?",
                "sta-cx3-included",
            ),
            ("<@U0TOKENBOT> how is the supervisor copilot feature billed?", "ai-summary-rate"),
        ],
    )
    def test_forum_questions_are_answered(self, question: str, entry_id: str) -> None:
        match = search(INDEX, question)
        assert entry_id in {match.entry_id, *(s.entry_id for s in match.suggestions)}
