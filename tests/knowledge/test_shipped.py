"""Checks on what ships: the knowledge base loads, is complete, and finds itself."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from calculators.ratecard import Tier
from knowledge import loader
from knowledge.checks import Severity, check_knowledge_base
from knowledge.entries import RATE_CAVEAT, SUMMARY_WORDS, SourceKind, is_rate_key, placeholder_keys
from knowledge.matching import MIN_CONCEPTS, build_index, search
from knowledge.normalise import tokenize

KB = loader.load_knowledge_base()
INDEX = build_index(KB.entries, negatives=KB.negatives)
SCAN = loader.scan_entries(loader.FAQ_DIR, KB.default_card.placeholders())
TOKENS_MODEL = "https://help.genesys.cloud/articles/genesys-cloud-tokens-model/"
ANNOUNCEMENT = (
    "https://help.genesys.cloud/announcements/permission-based-usage-driven-billing-for-speech-"
    "and-text-analytics-sta-and-voice-transcription/"
)
SHARED_EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"
SHARED_TOPICS = [SHARED_EVAL / "topics.yml", SHARED_EVAL / "topics-wave2.yml"]
PHRASINGS = [(entry.id, phrasing) for entry in KB.entries for phrasing in entry.phrasings]


class TestShippedKnowledgeBase:
    def test_every_required_topic_has_an_entry(self) -> None:
        missing = set(loader.load_topics()) - {entry.id for entry in KB.entries}
        assert missing == set()

    @pytest.mark.skipif(
        not all(path.exists() for path in SHARED_TOPICS), reason="shared/eval/ not beside repo"
    )
    def test_shipped_topics_are_the_shared_lists_folded_together(self) -> None:
        shared: dict[str, str] = {}
        for path in SHARED_TOPICS:
            shared.update(loader.load_topics(path))
        assert loader.load_topics() == shared

    def test_kb_check_finds_no_errors(self) -> None:
        problems = check_knowledge_base(
            SCAN.entries,
            loader.load_topics(),
            dt.date(2026, 12, 2),
            SCAN.problems,
            templates=SCAN.templates,
            card=KB.default_card,
        )
        assert [str(p) for p in problems if p.severity is Severity.ERROR] == []

    def test_every_summary_is_short_enough_to_read_out(self) -> None:
        assert [e.id for e in KB.entries if len(e.summary.split()) > SUMMARY_WORDS] == []

    def test_every_answer_cites_genesys_text_strongest_source_first(self) -> None:
        assert [e.id for e in KB.entries if not e.sources[0].kind.genesys_text] == []
        assert [e.id for e in KB.entries if e.sources != e.sources_by_strength] == []

    @pytest.mark.parametrize("part", ["summary", "answer"])
    def test_the_contract_caveat_follows_every_quoted_rate(self, part: str) -> None:
        quoting = [
            entry_id
            for entry_id, template in SCAN.templates.items()
            if any(is_rate_key(key) for key in placeholder_keys(getattr(template, part)))
        ]
        assert quoting, "some entries quote rates"
        missing = [i for i in quoting if not getattr(KB.get(i), part, "").endswith(RATE_CAVEAT)]
        assert missing == []

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


class TestSourceMarks:
    """A source is marked by what was read of it, not by its host (facts sheet legend)."""

    def test_the_tokens_model_article_read_through_copies_is_never_official(self) -> None:
        kinds = {s.kind for e in KB.entries for s in e.sources if str(s.url) == TOKENS_MODEL}
        assert kinds == {SourceKind.OFFICIAL_COPY}

    def test_the_2026_announcement_is_marked_as_not_read(self) -> None:
        kinds = {s.kind for e in KB.entries for s in e.sources if str(s.url) == ANNOUNCEMENT}
        assert kinds == {SourceKind.UNREAD}

    @pytest.mark.parametrize(
        "host",
        ["rcworkbench.", "dev-genesys.cloud", "kinsta.app", "git.helu.ca", "sipoch.com"],
    )
    def test_mirrors_and_copies_are_never_official(self, host: str) -> None:
        marked = {(e.id, s.kind) for e in KB.entries for s in e.sources if host in str(s.url)}
        assert marked
        assert SourceKind.OFFICIAL not in {kind for _, kind in marked}

    def test_forum_posts_on_a_genesys_host_are_not_official(self) -> None:
        forum = [s for e in KB.entries for s in e.sources if "/forum/" in str(s.url)]
        assert forum
        assert all(not s.official for s in forum)

    def test_the_45_per_sta_user_cites_the_forum_quote_it_rests_on(self) -> None:
        entry = KB.get("sta-per-user-rate")
        assert entry is not None
        assert TOKENS_MODEL not in [str(s.url) for s in entry.sources]
        assert any("community.genesys.com" in str(s.url) for s in entry.sources)
        assert "rests on a customer quoting" in entry.summary


class TestCorrections:
    """Claims the fact-check of wave 2 found unsupported stay out; the fixes stay in."""

    @pytest.mark.parametrize(
        "claim",
        [
            "at most about a token per line",  # token-rounding: unsupported
            "saves nothing",  # digital-bot-rate: a session is reportedly up to 8 turns
            "most AI-active orgs",  # overage-price, utilization-ranges
            "most orgs using AI features pay",  # default-allocation
            "pays for almost everything",  # budgeting
            "expire at month end",  # no-carryover: the cycle follows the activation date
            "users left on CX 1/CX 2",  # sta-cx3-included: speculation
            "walks through the reconciliation",  # invoice-rate-differs: not retrieved
            "so every Master Admin counts",  # wildcards reportedly removed in 2026
            "(none exists)",  # absence stated as fact
            "no such meter.",
            "not per minute; and",  # optimize-costs rebutted a claim the notes never made
        ],
    )
    def test_an_unsupported_claim_is_gone(self, claim: str) -> None:
        assert [e.id for e in KB.entries if claim in e.summary + e.answer] == []

    def test_the_cx1_cx2_transcription_allowance_says_the_sta_column_is_unknown(self) -> None:
        with_wem = [
            e
            for e in KB.entries
            if re.search(r"CX 1(?:/| and )CX 2[^.\n]*with the WEM add-on", e.answer)
        ]
        assert {e.id for e in with_wem} >= {"fair-use-policy", "sta-double-charge"}
        column = re.compile(r"Speech and Text Analytics Add-on\" column|STA add-on column")
        assert [e.id for e in with_wem if not column.search(e.answer)] == []

    @pytest.mark.parametrize(
        "entry_id",
        ["ai-summary-rate", "summary-scope", "summary-no-double-charge", "transcription-fair-use"],
    )
    def test_the_program_scope_quotes_the_ai_summary_faq(self, entry_id: str) -> None:
        entry = KB.get(entry_id)
        assert entry is not None
        assert "tied to queues, or flows mapped to the specific program" in entry.answer
        assert any("faqs/category/ai-summary" in str(s.url) for s in entry.sources)

    @pytest.mark.parametrize(
        "entry_id",
        ["sta-billable-permissions", "sta-agents-no-permission", "permission-assignment-free"],
    )
    def test_master_admin_is_checked_per_org_not_assumed(self, entry_id: str) -> None:
        entry = KB.get(entry_id)
        assert entry is not None
        assert "2026-06-01" in entry.answer
        assert "tokenbot audit" in entry.answer

    @pytest.mark.parametrize("entry_id", ["features-that-consume", "budgeting"])
    def test_bots_and_virtual_agents_are_one_charge_per_interaction(self, entry_id: str) -> None:
        entry = KB.get(entry_id)
        assert entry is not None
        assert "once, at the highest" in entry.answer

    def test_the_trustee_endpoint_names_its_own_permission(self) -> None:
        entry = KB.get("token-usage-api")
        assert entry is not None
        assert "affiliateOrganization:clientBilling:view" in entry.answer
        assert "all need `billing:subscription:view`" not in entry.answer


class TestShippedRateCard:
    def test_sta_is_included_in_cx3_only_and_cx4_is_noted_as_unconfirmed(self) -> None:
        sta = KB.default_card.features["sta"]
        assert sta.included_tiers == (Tier.CX3,)
        assert "unconfirmed" in sta.tier_notes[Tier.CX4]

    def test_the_no_double_charge_note_is_hedged(self) -> None:
        note = KB.default_card.features["summaries"].note or ""
        assert "should not be billed again" in note


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
