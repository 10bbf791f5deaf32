"""`/tokens`: every sub-command, answered in the acknowledgement, ephemeral, shareable."""

from __future__ import annotations

import json

import pytest

from bot.deps import Deps
from bot.slack.buttons import ButtonValue
from bot.slack.render import escape
from knowledge.loader import KnowledgeBase
from knowledge.matching import build_index
from tests.bot.slack.conftest import Driver, MakeDriver, all_text, button
from tests.bot.slack.limits import assert_within_limits
from tests.conftest import make_entry


class TestSlashCommand:
    @pytest.mark.parametrize(
        "text",
        [
            "",
            "help",
            "estimate copilot=50 va=2000/day",
            "explain 1620 sta",
            "rates",
            "rates copilot",
            "ask why are my agents using 45 STA tokens?",
            "why are my agents using 45 STA tokens?",
        ],
    )
    def test_reply_is_ephemeral_with_share_button(self, slack: Driver, text: str) -> None:
        reply = slack.command_reply(text)
        assert reply["response_type"] == "ephemeral"
        assert button(reply, "share")
        assert_within_limits(reply)

    def test_reply_is_in_the_acknowledgement_not_a_later_post(self, slack: Driver) -> None:
        slack.command_reply("estimate copilot=50")
        assert slack.fake.hooks() == []
        assert slack.fake.calls_to("chat.postMessage") == []

    def test_help_lists_copy_paste_examples(self, slack: Driver) -> None:
        reply = slack.command_reply("help")
        assert "/tokens estimate copilot=50 va=2000/day" in all_text(reply)
        assert "/tokens explain 1620 sta" in all_text(reply)

    def test_help_names_the_admin_commands(self, slack: Driver) -> None:
        text = all_text(slack.command_reply("help"))
        assert "/tokens report gaps|feedback|usage" in text
        assert "/tokens audit sta|copilot" in text

    def test_estimate_shows_breakdown_totals_and_reference(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate copilot=50 va=2000/day")
        text = all_text(reply)
        assert reply["blocks"][0]["type"] == "header"
        assert "Agent Copilot" in text
        assert "2,000" in text
        for label in ("Total tokens", "Free allocation", "Billable tokens", "Cost", "Assumptions"):
            assert label in text
        reference = reply["blocks"][0]["text"]["text"].split()[-1]
        assert slack.deps.store.get_estimate(reference) is not None

    def test_estimate_on_the_study_notes_card_is_marked_unofficial(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate copilot=50 card=study-notes")
        assert "UNOFFICIAL" in all_text(reply)
        assert "UNOFFICIAL" in reply["text"]

    def test_estimate_with_a_typo_says_did_you_mean(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate copliot=50")
        assert "did you mean copilot?" in all_text(reply)
        assert slack.deps.store.recent_estimates("U0USER01") == []

    def test_explain_reads_tokens_back_as_users(self, slack: Driver) -> None:
        reply = slack.command_reply("explain 1620 sta")
        assert "36 named users" in all_text(reply)

    def test_explain_without_a_feature_shows_usage(self, slack: Driver) -> None:
        reply = slack.command_reply("explain 1620")
        assert "explain N FEATURE" in all_text(reply)

    def test_rates_lists_every_feature_of_the_card(self, slack: Driver) -> None:
        text = all_text(slack.command_reply("rates"))
        for feature in slack.deps.default_card.features.values():
            assert escape(feature.name) in text

    def test_rates_for_one_feature_links_its_source(self, slack: Driver) -> None:
        spec = slack.deps.default_card.feature("copilot")
        text = all_text(slack.command_reply("rates copilot"))
        assert spec.source.url in text

    def test_show_brings_back_a_stored_estimate(self, slack: Driver) -> None:
        first = slack.command_reply("estimate sta=20")
        reference = first["blocks"][0]["text"]["text"].split()[-1]
        again = slack.command_reply(f"show {reference.lower()}")
        assert again["blocks"][0] == first["blocks"][0]
        assert again["text"] == first["text"]

    def test_show_an_unknown_reference_says_what_references_look_like(self, slack: Driver) -> None:
        assert "E-7K2Q" in all_text(slack.command_reply("show E-ZZZZ"))

    def test_ask_answers_from_the_knowledge_base_with_sources(self, slack: Driver) -> None:
        reply = slack.command_reply("ask how many tokens does an STA user use per month?")
        entry = slack.deps.kb.get("sta-per-user-rate")
        assert entry is not None
        text = all_text(reply)
        assert entry.question in text
        assert f"<{entry.sources[0].url}|" in text
        assert entry.last_reviewed.isoformat() in text

    def test_questions_asked_are_logged(self, slack: Driver) -> None:
        slack.command_reply("is the pizza tasty?")
        [question] = slack.deps.store.questions()
        assert question.text == "is the pizza tasty?"
        assert not question.answered

    def test_unknown_question_is_answered_honestly(self, slack: Driver) -> None:
        text = all_text(slack.command_reply("is the pizza tasty?"))
        assert "I don't know" in text
        assert "/tokens help" in text

    def test_oauth_token_question_is_not_answered_from_the_faq(self, slack: Driver) -> None:
        text = all_text(slack.command_reply("how do I refresh my slack bot token?"))
        assert "authentication or platform token" in text


class TestEscaping:
    def test_channel_mention_typed_by_a_user_is_escaped(self, slack: Driver) -> None:
        reply = slack.command_reply("<!channel> <@U999> what is this?")
        text = all_text(reply)
        assert "<!channel>" not in text
        assert "<@U999>" not in text
        assert "&lt;!channel&gt;" in text

    def test_escaped_in_an_estimate_error_too(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate <!here>=5")
        assert "<!here>" not in all_text(reply)


class TestLongMessages:
    def test_an_answer_too_long_for_one_section_is_split_within_limits(
        self, slack: Driver, knowledge: tuple[KnowledgeBase, object], make_driver: MakeDriver
    ) -> None:
        paragraphs = "\n\n".join(f"Paragraph {n}: " + "tokens & <things> " * 40 for n in range(30))
        long_entry = make_entry("long-answer", "What is a very long answer?", answer=paragraphs)
        kb = KnowledgeBase(entries=(long_entry,), cards=knowledge[0].cards)
        deps = Deps(kb=kb, index=build_index(kb.entries), store=slack.deps.store)
        driver = make_driver(deps)

        reply = driver.command_reply("show long-answer")
        more = button(reply, "full_answer")
        driver.click(more["action_id"], more["value"], ephemeral=True)
        [full] = driver.fake.hooks()

        assert_within_limits(reply)
        assert_within_limits(full.body)
        sections = [b["text"]["text"] for b in full.body["blocks"] if b["type"] == "section"]
        assert len(sections) > 3
        assert "Paragraph 29" in "".join(sections)
        assert button(full.body, "feedback_helpful")


class TestShareButton:
    def test_share_value_replays_the_stored_estimate(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate copilot=5")
        value = ButtonValue.decode(button(reply, "share")["value"])
        assert value.command is not None
        assert value.command.startswith("show E-")

    def test_share_value_is_valid_json(self, slack: Driver) -> None:
        reply = slack.command_reply("rates")
        assert json.loads(button(reply, "share")["value"]) == {"c": "rates"}
