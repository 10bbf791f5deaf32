"""The matcher: answer, suggest or admit not knowing; never raise; always the same result."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.matching import ANSWER_CUTOFF, SUGGEST_CUTOFF, build_index, is_trap, search
from knowledge.normalise import sentences, tokenize, views
from tests.conftest import make_entry

ENTRIES = [
    make_entry(
        "carryover",
        "Do unused tokens carry over to the next month?",
        "do unused tokens roll over",
        "what happens to leftover tokens at month end",
    ),
    make_entry(
        "copilot-rate",
        "How many tokens does Agent Copilot consume per user?",
        "copilot tokens per agent per month",
        "agent copilot cost per user",
    ),
    make_entry(
        "copilot-trigger",
        "What makes a user billable for Agent Copilot?",
        "which role makes an agent count for copilot billing",
        "does copilot usage intensity change the tokens charged",
    ),
    make_entry(
        "voicebot-rate",
        "How many tokens do voice bots consume?",
        "voice bot minutes per token",
        "IVR bot token rate",
    ),
]
INDEX = build_index(ENTRIES)


class TestCutoffs:
    """Three outcomes, decided by the named cut-offs."""

    @pytest.mark.parametrize(
        ("question", "expected"),
        [
            ("do unused tokens roll over to next month", "carryover"),
            ("leftover tokens at end of month, are they lost?", "carryover"),
            ("how many minutes of voicebot per token", "voicebot-rate"),
            ("ivr bot minutes to tokens", "voicebot-rate"),
            ("copilot tokens per agent", "copilot-rate"),
        ],
    )
    def test_answers_a_clear_question(self, question: str, expected: str) -> None:
        match = search(INDEX, question)
        assert match.entry_id == expected
        assert match.score >= ANSWER_CUTOFF

    def test_a_bare_product_name_gets_choices_not_an_answer(self) -> None:
        """ "agent copilot" says what it is about, not what it asks: offer both Copilot entries."""
        match = search(INDEX, "agent copilot")
        assert match.entry_id is None
        assert {s.entry_id for s in match.suggestions} == {"copilot-rate", "copilot-trigger"}
        assert match.score >= SUGGEST_CUTOFF

    @pytest.mark.parametrize(
        "question",
        ["can you recommend a good pizza place", "good morning team", "", "???", "ok thanks"],
    )
    def test_admits_not_knowing_unrelated_questions(self, question: str) -> None:
        match = search(INDEX, question)
        assert match.entry_id is None
        assert match.suggestions == ()

    def test_suggestions_never_exceed_three(self) -> None:
        many = [make_entry(f"e{i}", f"copilot tokens variant {i}") for i in range(6)]
        match = search(build_index(many), "copilot tokens")
        assert len(match.suggestions) <= 3


class TestTraps:
    """Other kinds of "token" are recognised and never answered from the FAQ."""

    @pytest.mark.parametrize(
        "question",
        [
            "how do I generate an API token for the platform API",
            "my slack token got revoked, what now",
            "JWT token expiry in our SSO setup",
            "refresh token keeps failing in the CRM integration",
            "what is the access token lifetime for client credentials",
            "CSRF token error on the login page",
            "where is the OAuth client secret",
        ],
    )
    def test_authentication_tokens_are_out_of_scope(self, question: str) -> None:
        match = search(INDEX, question)
        assert match.out_of_scope
        assert match.entry_id is None

    @pytest.mark.parametrize(
        "question",
        ["voice bot tokens per minute", "how many AI experience tokens does copilot use"],
    )
    def test_ai_token_questions_are_not_traps(self, question: str) -> None:
        assert not is_trap(question)


class TestNormalisation:
    def test_strips_slack_mentions_and_keeps_link_labels(self) -> None:
        tokens = tokenize("<@U123ABC> <!channel> see <https://x.example/a|the rate card> rollover")
        assert tokens == ["see", "rate", "card", "carryover"]

    @pytest.mark.parametrize(
        ("text", "concept"),
        [
            ("Speech and Text Analytics", "sta"),
            ("speech analytics", "sta"),
            ("GCX2", "cx2"),
            ("CX 3", "cx3"),
            ("virtual agent", "va"),
            ("agentic virtual agent", "ava"),
            ("roll over", "carryover"),
        ],
    )
    def test_folds_synonyms_into_one_concept(self, text: str, concept: str) -> None:
        assert tokenize(text) == [concept]

    def test_corrects_typos_to_known_words(self) -> None:
        assert search(INDEX, "do unusd tokens rol over").entry_id == "carryover"


class TestProperties:
    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=300), st.none() | st.text(max_size=120))
    def test_never_raises_on_any_text(self, question: str, context: str | None) -> None:
        match = search(INDEX, question, context=context)
        assert 0.0 <= match.score <= 1.0
        assert match.entry_id is None or match.entry_id in INDEX.entry_ids
        assert len(match.suggestions) <= 3

    @settings(max_examples=100, deadline=None)
    @given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz <>@!#&|:", max_size=120))
    def test_same_question_same_result(self, question: str) -> None:
        assert search(build_index(ENTRIES), question) == search(build_index(ENTRIES), question)


class TestViews:
    """Long posts are matched on their question sentences too; short ones as typed."""

    def test_a_short_question_is_its_only_view(self) -> None:
        assert views("do unused tokens roll over?") == ["do unused tokens roll over?"]

    def test_greetings_thanks_and_hashtags_are_dropped(self) -> None:
        post = (
            "Hi all.\nWe moved a customer from CX2 to CX3 last week and the finance team is "
            "asking questions. Will their STA token line go away? Thanks a lot\n#Tokens"
        )
        found = views(post)
        assert found[0].startswith("We moved a customer")
        assert "Will their STA token line go away?" in found
        assert not any("Thanks" in view or "#Tokens" in view for view in found)

    def test_a_question_keeps_the_sentence_before_it(self) -> None:
        post = (
            "Our billing report lists 45 STA tokens for agents with only the standard agent "
            "role and none of the speech analytics permissions. How can I find it?"
        )
        assert any(view.startswith("Our billing report") and view.endswith("find it?")
                   for view in views(post))  # fmt: skip

    def test_a_decimal_does_not_end_a_sentence(self) -> None:
        assert sentences("We read 0.5 tokens. Is it per VA interaction? Thanks!") == [
            ("We read 0.5 tokens.", False),
            ("Is it per VA interaction?", True),
        ]
