"""What a user notices of the matcher on the shipped knowledge base.

The questions here are written for these tests (none is an entry's phrasing, a curated
out-of-scope question or an evaluation file's question), so they check that the matcher
generalises rather than that it remembers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import loader
from knowledge.matching import ANSWER_CUTOFF, build_index, search

KB = loader.load_knowledge_base()
INDEX = build_index(KB.entries, negatives=KB.negatives)
DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev-questions.yml"
DEV_TRAPS = (
    [q.text for q in loader.load_labelled_questions(DEV) if q.expect is None]
    if DEV.exists()
    else []
)


class TestParaphrases:
    """New wordings of known questions are answered with the right entry."""

    @pytest.mark.parametrize(
        ("question", "entry_id"),
        [
            ("what does agent copilot cost per named seat every month", "agent-copilot-rate"),
            ("do leftover AI tokens move to the next billing month", "no-carryover"),
            ("our voicebot ran 34000 minutes last month, how many tokens?", "voice-bot-rate"),
            ("is a whatsapp conversation billed per message in tokens", "messaging-rate"),
            (
                "<@U0TOKENBOT> does granting the AI summary view permission cost anything",
                "permission-assignment-free",
            ),
        ],
    )
    def test_a_paraphrase_is_answered(self, question: str, entry_id: str) -> None:
        match = search(INDEX, question)
        assert match.entry_id == entry_id
        assert match.score >= ANSWER_CUTOFF


class TestOutOfScope:
    """Questions from the same world that are not about AI Experience token bills."""

    def test_an_oauth_question_is_declined_as_another_kind_of_token(self) -> None:
        match = search(INDEX, "how do I refresh an expired oauth access token in the python sdk")
        assert match.out_of_scope
        assert match.entry_id is None

    @pytest.mark.parametrize(
        "question",
        [
            "how do I set up a callback option in the in-queue flow",
            "how do I add a new wrap up code for the sales queue",
            "how big is the context window of claude 3",
            "what does a CX 2 licence cost per user per month",
        ],
    )
    def test_a_genesys_how_to_or_a_seat_price_is_not_answered(self, question: str) -> None:
        assert search(INDEX, question).entry_id is None

    @pytest.mark.skipif(not DEV_TRAPS, reason="shared/eval/dev-questions.yml not beside repo")
    @settings(max_examples=60, deadline=None)
    @given(
        st.sampled_from(DEV_TRAPS or [""]),
        st.sampled_from(["", "hi all, ", "<@U0TOKENBOT> ", "quick one: ", "Hello team. "]),
        st.sampled_from(["", "?", " thanks!", " :)", " pls"]),
        st.booleans(),
    )
    def test_the_dev_sets_traps_stay_silent_however_they_are_dressed(
        self, trap: str, before: str, after: str, shout: bool
    ) -> None:
        question = f"{before}{trap.upper() if shout else trap}{after}"
        assert not search(INDEX, question).answered


class TestLongPosts:
    def test_a_post_with_greetings_and_context_is_answered_on_its_question(self) -> None:
        post = (
            "Hi team! Hope you're all well. We have a customer on CX2, about 60 named agents, "
            "and they're asking about the STA line on their invoice. None of their roles have "
            "any speech analytics permission. Why would their agents still show STA tokens? "
            "Thanks in advance,\nMaria"
        )
        assert search(INDEX, post).entry_id == "sta-agents-no-permission"

    def test_a_post_asking_one_known_thing_among_chatter_is_answered(self) -> None:
        post = (
            "Morning all. I'm preparing the QBR for a retail customer and pulling numbers "
            "together, the deck is nearly done. One open point from their finance team: do "
            "unused AI tokens carry over into next month or do they expire? Cheers"
        )
        match = search(INDEX, post)
        assert match.entry_id == "no-carryover"
        assert "carry over" in match.matched


BETWEEN_TWO = {"and per minute or per second?"}


class TestFollowUps:
    """A message in an answer thread is matched with the thread's first question."""

    @pytest.mark.parametrize(
        ("earlier", "follow_up", "entry_id"),
        [
            ("voice bot token rate", "and for digital bots?", "digital-bot-rate"),
            (
                "how many tokens does a voice bot use",
                "and per minute or per second?",
                "voice-bot-rate",
            ),
        ],
    )
    def test_an_ambiguous_follow_up_is_answered_with_its_context(
        self, earlier: str, follow_up: str, entry_id: str
    ) -> None:
        assert not search(INDEX, follow_up).answered
        match = search(INDEX, follow_up, context=earlier)
        if follow_up in BETWEEN_TWO:
            # "per minute or per second" is also the metering entry's question: offering the
            # rate first, with metering beside it, is the honest reply.
            offered = (
                [match.entry_id] if match.answered else [s.entry_id for s in match.suggestions]
            )
            assert offered[:1] == [entry_id]
        else:
            assert match.entry_id == entry_id

    def test_a_follow_up_that_stands_alone_is_not_pulled_back_to_the_context(self) -> None:
        match = search(
            INDEX,
            "is an interaction charged again if agent copilot already summarized it?",
            context="voice bot token rate",
        )
        assert match.entry_id == "summary-no-double-charge"

    def test_an_out_of_scope_follow_up_stays_declined(self) -> None:
        match = search(INDEX, "where do I reset my password?", context="copilot tokens per agent")
        assert match.entry_id is None


class TestAnyText:
    @settings(max_examples=150, deadline=None)
    @given(st.text(max_size=600), st.none() | st.text(max_size=200))
    def test_any_message_and_context_give_a_verdict_without_raising(
        self, message: str, context: str | None
    ) -> None:
        match = search(INDEX, message, context=context)
        assert 0.0 <= match.score <= 1.0
        assert match.entry_id is None or match.entry_id in INDEX.entry_ids
        assert len(match.suggestions) <= 3
