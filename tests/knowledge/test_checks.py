"""`kb check`'s rules on one entry: short summaries, rates through placeholders, honest sources
and an entry's confidence equal to its weakest fact's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from calculators.ratecard import RateCard
from knowledge import loader
from knowledge.checks import Problem, check_knowledge_base, summary_sentences, typed_rates
from knowledge.entries import Entry, Template
from tests.conftest import make_entry

CARD = loader.load_cards()["list"]
VALUES = CARD.placeholders()
TODAY = dt.date(2026, 12, 2)

OFFICIAL = {
    "url": "https://help.mypurecloud.com/articles/x",
    "title": "Official",
    "kind": "official",
}
COPY = {
    "url": "https://rcworkbench.genesys.cloud/413418",
    "title": "Staging",
    "kind": "official-copy",
}
FORUM = {"url": "https://community.genesys.com/discussion/x", "title": "Forum", "kind": "community"}


def written(summary: str, answer: str, **fields: Any) -> tuple[Entry, Template]:
    """An entry as the loader makes it from this text, and the text as written."""
    entry = make_entry(
        "e",
        "Q?",
        summary=loader.render_placeholders(loader.FAQ_DIR, summary, VALUES),
        answer=loader.render_placeholders(loader.FAQ_DIR, answer, VALUES),
        **fields,
    )
    return entry, Template(summary=summary, answer=answer)


def problems(entry: Entry, template: Template | None = None, card: RateCard = CARD) -> list[str]:
    templates = {entry.id: template} if template is not None else None
    found = check_knowledge_base([entry], {}, TODAY, templates=templates, card=card)
    return [p.message for p in found if isinstance(p, Problem)]


class TestSummary:
    def test_a_summary_over_sixty_words_is_an_error(self) -> None:
        entry = make_entry("e", "Q?", summary=" ".join(["word"] * 61) + ".")
        assert any(m.startswith("summary: 61 words; at most 60") for m in problems(entry))

    def test_sixty_words_pass(self) -> None:
        entry = make_entry("e", "Q?", summary=" ".join(["word"] * 60) + ".")
        assert problems(entry) == []

    def test_more_than_two_sentences_is_an_error(self) -> None:
        entry = make_entry("e", "Q?", summary="One fact. A caveat. And more.")
        assert "summary: 3 sentences; at most 2" in " ".join(problems(entry))

    @pytest.mark.parametrize(
        "summary",
        [
            "A flat rate, e.g. 40 per user. The contract governs.",
            "CX 1/CX 2 only; CX 3 vs. CX 4 differ. Ask the CSM. List rates; the customer's "
            "contract governs.",
        ],
    )
    def test_abbreviations_and_the_automatic_caveat_are_not_sentences(self, summary: str) -> None:
        assert summary_sentences(summary) == 2


class TestSources:
    def test_an_answer_without_any_genesys_text_is_an_error(self) -> None:
        entry = make_entry("e", "Q?", sources=[FORUM], confidence="community")
        assert "sources: no Genesys text is cited" in " ".join(problems(entry))

    def test_official_confidence_needs_an_official_page_read_as_such(self) -> None:
        entry = make_entry("e", "Q?", sources=[COPY])
        assert "confidence: official, but no source is an official page" in " ".join(
            problems(entry)
        )

    def test_the_strongest_source_comes_first(self) -> None:
        entry = make_entry("e", "Q?", sources=[COPY, OFFICIAL])
        assert "sources: list the strongest first" in " ".join(problems(entry))


class TestTypedRates:
    @pytest.mark.parametrize(
        ("text", "placeholder"),
        [
            ("2,000 interactions x0.5 = 1,000 tokens", "va.tokens"),
            ("tokens = bot minutes ÷ 17", "voicebot.per"),
            ("30,000 messages /400 = 75 tokens", "messaging.per"),
            ("1 token per 2 translations", "translate.per"),
            ("45 tokens per named user", "sta.named"),
            ("60 per concurrent user", "copilot.concurrent"),
        ],
    )
    def test_finds_a_rate_typed_as_a_number(self, text: str, placeholder: str) -> None:
        assert placeholder in [key for _, key in typed_rates(text, CARD)]

    @pytest.mark.parametrize(
        "text",
        [
            'the notes say "2 tokens per session"',
            "`/tokens estimate va=2000@0.5`",
            "the normal evaluation limit (50 per day)",
            "CX 1/CX 2 orgs",
            "1/111 of the named amount per hour",
            "7 \u00d7 {{copilot.named}}",
        ],
    )
    def test_quotations_code_and_other_numbers_pass(self, text: str) -> None:
        assert typed_rates(text, CARD) == []

    def test_a_typed_rate_is_an_error_naming_the_placeholder(self) -> None:
        entry, template = written("A summary.", "Virtual agents cost 0.5 tokens per interaction.")
        assert "answer: rate typed as a number ('0.5 tokens per'): use {{va.tokens}}" in problems(
            entry, template
        )


class TestUnpublishedRates:
    def test_the_named_sta_rate_alone_is_an_error(self) -> None:
        entry, template = written("{{sta.named}} tokens per named user.", "The STA add-on.")
        assert any(
            "quotes {{sta.named}} but not that the concurrent rate" in m
            for m in problems(entry, template)
        )

    @pytest.mark.parametrize(
        "summary",
        ["{{sta.named}} per named user; concurrent: {{sta.concurrent}}.", "STA is {{sta.rate}}."],
    )
    def test_saying_the_concurrent_rate_is_unpublished_passes(self, summary: str) -> None:
        entry, template = written(summary, "The STA add-on.", confidence="staff")
        assert problems(entry, template) == []


class TestWeakestFact:
    def test_an_official_entry_with_a_marked_staff_fact_is_an_error(self) -> None:
        entry, template = written("A fact.", "A fact (likely: Genesys staff on the forum).")
        assert any(
            m.startswith("confidence: official, but its weakest fact is staff")
            for m in problems(entry, template)
        )

    def test_a_quoted_card_rate_counts_as_a_fact(self) -> None:
        """Agent Copilot's rate is `staff` on the card, so an entry quoting it is at most staff."""
        entry, template = written("Copilot is {{copilot.rate}}.", "It is flat per user.")
        assert "{{copilot.rate}} (staff on the card)" in " ".join(problems(entry, template))

    def test_a_weaker_label_than_the_facts_is_an_error_too(self) -> None:
        entry, template = written("A fact.", "Another fact.", confidence="community")
        assert any(
            "confidence: community, but its weakest fact is official" in m
            for m in problems(entry, template)
        )

    def test_the_weakest_mark_sets_the_confidence(self) -> None:
        entry, template = written(
            "A fact (likely: a copy).",
            "A rumour (unconfirmed: a third-party tool).",
            confidence="community",
            sources=[OFFICIAL, FORUM],
        )
        assert problems(entry, template) == []

    def test_the_caveat_is_not_to_be_typed_as_well(self) -> None:
        entry, template = written(
            "Voice bots are {{voicebot.rate}}; the contract governs.", "Voice bots."
        )
        entry = make_entry(
            "e", "Q?", summary=entry.summary + " List rates; the customer's contract governs."
        )
        assert "summary: says the contract caveat twice" in " ".join(problems(entry, template))
