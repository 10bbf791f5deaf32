"""Estimates in Slack: what is missing first, the ticket's whole truth, compare, the help."""

from __future__ import annotations

import pytest

from bot.slack.buttons import ButtonValue
from bot.slack.render import escape
from calculators.grammar import ESTIMATE_EXAMPLES, SETTINGS_HELP
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.conftest import Driver, all_text, button
from tests.bot.slack.limits import assert_within_limits

MID_MARKET = "copilot=200 scoring=500/day messaging=5000 voicebot=1000x5min va=200/day users=200"


def texts(reply: dict[str, object]) -> list[str]:
    """The mrkdwn of each section, in order."""
    blocks = reply["blocks"]
    assert isinstance(blocks, list)
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


class TestEstimateReply:
    def test_an_incomplete_estimate_leads_with_what_is_missing(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate sta=36 concurrent=40")
        sections = texts(reply)
        assert sections[0].startswith(":warning: *INCOMPLETE: no rate for")
        assert "sta=36@RATE" in sections[0]
        assert reply["text"].startswith("Token estimate E-")
        assert "INCOMPLETE" in reply["text"]
        assert "0.00" not in all_text(reply)
        assert "*Total tokens*\\nunknown" in all_text(reply)

    def test_a_concurrent_line_is_billed_at_the_peak(self, slack: Driver) -> None:
        text = all_text(slack.command_reply("estimate copilot=120 concurrent=80"))
        assert "120 users, billed at the peak of 80 concurrent users x 60" in text
        assert "4,800 tokens" in text

    def test_overlaps_are_named_with_confidence_and_source(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate copilot=50 summaries=500 voicebot=100")
        [overlaps] = [t for t in texts(reply) if t.startswith("*Overlaps and metering*")]
        assert "AI summaries line may overstate" in overlaps
        assert "_(community:_ <https://community.genesys.com/" in overlaps
        assert_within_limits(reply)

    def test_every_reply_says_what_governs(self, slack: Driver) -> None:
        assert "List rates; the customer&#x27;s" not in all_text(
            slack.command_reply("estimate va=1")
        )
        assert "List rates; the customer's contract and invoice govern." in all_text(
            slack.command_reply("estimate va=1")
        )


class TestTicketForAnEstimate:
    def ticket(self, slack: Driver, terms: str) -> str:
        reply = slack.command_reply(f"estimate {terms}")
        slack.click("ticket", button(reply, "ticket")["value"], ephemeral=True)
        [hook] = slack.fake.hooks()
        return "\n".join(b["text"]["text"] for b in hook.body["blocks"] if b["type"] == "section")

    def test_carries_every_line_the_totals_every_assumption_and_the_caveat(
        self, slack: Driver
    ) -> None:
        text = self.ticket(slack, "copilot=50 va=2000/day users=60")
        for said in (
            "- Agent Copilot: 50 named users x 40 = 2,000 tokens",
            "- Virtual Agent: 2,000/day x 20 working days = 40,000 interactions = 20,000 tokens",
            "Totals: Total tokens 22,000; Free allocation 250; Billable tokens 21,750; "
            "Cost (list price) USD 21,750.00",
            "- rate card: Genesys Cloud AI Experience token list rates (list), rates as captured",
            "- named organization with 60 users (users=)",
            "- 20 working days per month",
            "- tier not given (no line of this estimate depends on it)",
            "- each line rounded half-up to whole tokens; total = sum of the lines",
            "List rates; the customer's contract and invoice govern.",
            "Slack: (no link: this reply was only visible to you",
        ):
            assert said in text
        assert text.startswith("Token estimate E-")
        assert "Reference: E-" in text

    def test_an_incomplete_estimate_says_so_first(self, slack: Driver) -> None:
        text = self.ticket(slack, "sta=36 concurrent=40")
        assert text.index("INCOMPLETE") < text.index("Lines:")
        assert "0.00" not in text

    def test_the_study_notes_are_labelled(self, slack: Driver) -> None:
        text = self.ticket(slack, "copilot=5 card=study-notes")
        assert "UNOFFICIAL figures, not Genesys list rates." in text
        assert "Study-notes figures, not list rates; the customer's contract" in text


class TestCompare:
    def test_shows_the_list_card_beside_the_study_notes(self, slack: Driver) -> None:
        reply = slack.command_reply(f"compare {MID_MARKET}")
        text = all_text(reply)
        for figure in ("10,807", "18,807", "10,557"):
            assert figure in text
        assert (
            "The study notes show 18,807 tokens and no overage; at list rates this org is "
            "billed 10,557 tokens, USD 10,557.00 a month."
        ) in text
        assert "UNOFFICIAL" in text
        assert reply["response_type"] == "ephemeral"
        assert ButtonValue.decode(button(reply, "share")["value"]).command == (
            f"compare {MID_MARKET}"
        )
        assert_within_limits(reply)

    def test_a_term_one_card_cannot_read_is_not_comparable(self, slack: Driver) -> None:
        text = all_text(slack.command_reply("compare copilot=10 translate=5h"))
        assert "*AI Translate*: List *not comparable* · Study notes *3*" in text
        assert "metered in translations" in text

    def test_two_scenarios(self, slack: Driver) -> None:
        text = all_text(slack.command_reply("compare copilot=50 vs copilot=80"))
        assert "B is billed 1,200 more tokens a month than A" in text

    @pytest.mark.parametrize(
        ("argument", "says"),
        [("", "compare what?"), ("copliot=5", "did you mean copilot?"), ("va=1 vs", "after")],
    )
    def test_bad_input_gets_a_clear_error(self, slack: Driver, argument: str, says: str) -> None:
        reply = slack.command_reply(f"compare {argument}")
        assert says in all_text(reply)
        assert "went wrong" not in all_text(reply)


class TestHelp:
    @pytest.fixture
    def text(self, slack: Driver) -> str:
        return all_text(slack.command_reply("help"))

    def test_lists_every_feature_key_with_its_aliases_and_unit(
        self, slack: Driver, text: str
    ) -> None:
        for key, feature in slack.deps.default_card.features.items():
            assert f"• `{key}` {escape(feature.display)}, in " in text
            for alias in feature.aliases:
                assert f"`{alias}`" in text

    def test_lists_every_setting_and_three_examples(self, text: str) -> None:
        for name, value, _ in SETTINGS_HELP:
            assert f"`{name}={escape(value)}`" in text
        for terms, _ in ESTIMATE_EXAMPLES:
            assert f"`/tokens estimate {escape(terms)}`" in text

    def test_names_the_form_and_compare(self, text: str) -> None:
        assert "`/tokens estimate`: the estimate form" in text
        assert "`/tokens compare copilot=200 va=200/day users=200`" in text

    def test_stays_within_slacks_limits(self, slack: Driver) -> None:
        assert_within_limits(slack.command_reply("help"))


class TestElsewhere:
    def test_a_compare_line_in_a_dm_is_answered_in_the_thread(self, slack: Driver) -> None:
        slack.event(rq.dm("compare copilot=10 vs copilot=20"))
        [post] = slack.fake.wait_for("chat.postMessage")
        assert post.body["thread_ts"] == "1700000000.000300"
        assert "B is billed 400 more tokens a month than A" in all_text(post.body)

    def test_app_home_never_shows_a_bare_zero_for_an_incomplete_estimate(
        self, slack: Driver
    ) -> None:
        slack.command_reply("estimate sta=36 concurrent=40")
        slack.event({"type": "app_home_opened", "user": rq.USER, "tab": "home"})
        [publish] = slack.fake.wait_for("views.publish")
        text = all_text(publish.body["view"])
        assert "*unknown* tokens, unknown billable" in text
