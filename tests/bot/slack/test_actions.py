"""Buttons: Helpful / Not helpful, Did you mean, For a ticket, Share in channel."""

from __future__ import annotations

from typing import Any

from bot.slack.buttons import ButtonValue
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.conftest import Driver, all_text, button
from tests.bot.slack.limits import assert_within_limits

QUESTION = "how many tokens does an STA user use per month?"
UNSURE = "copilot"  # close to several entries: the matcher offers choices


def _answer(slack: Driver, question: str = QUESTION) -> dict[str, Any]:
    slack.event(rq.mention(question))
    post = slack.fake.calls_to("chat.postMessage")[-1].body
    slack.fake.clear()
    return post


class TestFeedback:
    def test_helpful_is_stored_with_the_entry_and_the_question(self, slack: Driver) -> None:
        post = _answer(slack)
        helpful = button(post, "feedback_helpful")
        slack.click("feedback_helpful", helpful["value"])
        entry_id = ButtonValue.decode(helpful["value"]).entry
        assert entry_id == "sta-per-user-rate"
        assert slack.deps.store.feedback(entry_id) == [(rq.USER, True)]

    def test_second_click_by_the_same_user_replaces_the_first(self, slack: Driver) -> None:
        post = _answer(slack)
        slack.click("feedback_helpful", button(post, "feedback_helpful")["value"])
        slack.click("feedback_not_helpful", button(post, "feedback_not_helpful")["value"])
        assert slack.deps.store.feedback("sta-per-user-rate") == [(rq.USER, False)]

    def test_user_is_thanked_privately_in_the_thread(self, slack: Driver) -> None:
        post = _answer(slack)
        slack.click(
            "feedback_not_helpful",
            button(post, "feedback_not_helpful")["value"],
            thread_ts="1700000000.000100",
        )
        [thanks] = slack.fake.calls_to("chat.postEphemeral")
        assert thanks.body["user"] == rq.USER
        assert thanks.body["thread_ts"] == "1700000000.000100"
        assert "not helpful" in thanks.body["text"]

    def test_a_tampered_value_gets_an_error_not_a_crash(self, slack: Driver) -> None:
        assert slack.click("feedback_helpful", "not json").status == 200
        [reply] = slack.fake.calls_to("chat.postEphemeral")
        assert "out of date" in reply.body["text"]


class TestDidYouMean:
    def test_unsure_match_offers_at_most_three_choices(self, slack: Driver) -> None:
        reply = slack.command_reply(UNSURE)
        choices = [
            e
            for b in reply["blocks"]
            for e in b.get("elements", [])
            if e.get("action_id", "").startswith("did_you_mean")
        ]
        assert 1 <= len(choices) <= 3

    def test_choosing_swaps_in_that_entrys_answer(self, slack: Driver) -> None:
        reply = slack.command_reply(UNSURE)
        choice = button(reply, "did_you_mean")
        chosen = slack.deps.kb.get(ButtonValue.decode(choice["value"]).entry or "")
        assert chosen is not None

        slack.click(choice["action_id"], choice["value"], ephemeral=True)

        [swap] = slack.fake.hooks()
        assert swap.body["replace_original"] is True
        assert chosen.id in all_text(swap.body)
        assert button(swap.body, "feedback_helpful")
        assert_within_limits(swap.body)


class TestFullAnswer:
    def test_swaps_the_whole_answer_into_the_threaded_reply(self, slack: Driver) -> None:
        post = _answer(slack)
        entry = slack.deps.kb.get("sta-per-user-rate")
        assert entry is not None
        assert entry.answer[:40] not in all_text(post)
        more = button(post, "full_answer")

        slack.click(more["action_id"], more["value"], thread_ts="1700000000.000100")

        [swap] = slack.fake.hooks()
        assert swap.body["replace_original"] is True
        assert entry.answer[:40].replace("**", "*") in all_text(swap.body)
        assert "full_answer" not in all_text(swap.body)
        question_id = ButtonValue.decode(button(post, "feedback_helpful")["value"]).question_id
        kept = ButtonValue.decode(button(swap.body, "feedback_helpful")["value"])
        assert kept.question_id == question_id is not None
        assert_within_limits(swap.body)

    def test_keeps_the_share_button_of_an_ephemeral_reply(self, slack: Driver) -> None:
        reply = slack.command_reply(QUESTION)
        more = button(reply, "full_answer")
        slack.click(more["action_id"], more["value"], ephemeral=True)
        [swap] = slack.fake.hooks()
        assert ButtonValue.decode(button(swap.body, "share")["value"]).command == (
            "show sta-per-user-rate"
        )

    def test_a_stale_button_leaves_the_answer_and_tells_the_clicker(self, slack: Driver) -> None:
        slack.click("full_answer", ButtonValue(entry="no-such-entry").encode(), ephemeral=True)
        [reply] = slack.fake.hooks()
        assert reply.body["replace_original"] is False
        assert reply.body["response_type"] == "ephemeral"
        assert "no longer in the knowledge base" in reply.body["text"]


class TestForATicket:
    def test_ticket_block_is_plain_text_with_sources_reference_and_permalink(
        self, slack: Driver
    ) -> None:
        post = _answer(slack)
        slack.click("ticket", button(post, "ticket")["value"])
        [ticket] = slack.fake.calls_to("chat.postEphemeral")
        entry = slack.deps.kb.get("sta-per-user-rate")
        assert entry is not None
        sections = [b["text"] for b in ticket.body["blocks"] if b["type"] == "section"]
        assert {section["type"] for section in sections} == {"plain_text"}
        text = "\n".join(section["text"] for section in sections)
        assert entry.reference in text
        for source in entry.sources:
            assert f"{source.title} ({source.kind.label})" in text
            assert str(source.url) in text
        assert entry.answer.splitlines()[0].replace("**", "") in text
        assert "https://example.slack.com/archives/C1/p1700000000000100" in text
        [permalink] = slack.fake.calls_to("chat.getPermalink")
        assert permalink.body["message_ts"] == "1700000001.000200"

    def test_ticket_for_an_ephemeral_estimate_explains_there_is_no_link(
        self, slack: Driver
    ) -> None:
        reply = slack.command_reply("estimate copilot=50")
        slack.click("ticket", button(reply, "ticket")["value"], ephemeral=True)
        [ticket] = slack.fake.hooks()
        text = ticket.body["blocks"][0]["text"]["text"]
        assert "Token estimate E-" in text
        assert "copilot=50" in text
        assert "share it to get one" in text
        assert slack.fake.calls_to("chat.getPermalink") == []


class TestShareInChannel:
    def test_share_posts_the_same_estimate_visibly(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate copilot=50 va=2000/day")
        slack.click("share", button(reply, "share")["value"], ephemeral=True)
        [shared] = slack.fake.hooks()
        assert shared.body["response_type"] == "in_channel"
        assert shared.body["blocks"][0] == reply["blocks"][0]
        assert shared.body["text"] == reply["text"]
        assert "share" not in [
            e.get("action_id") for b in shared.body["blocks"] for e in b.get("elements", [])
        ]
        assert len(slack.deps.store.recent_estimates(rq.USER)) == 1

    def test_share_posts_the_same_answer_visibly(self, slack: Driver) -> None:
        reply = slack.command_reply(QUESTION)
        slack.click("share", button(reply, "share")["value"], ephemeral=True)
        [shared] = slack.fake.hooks()
        assert shared.body["response_type"] == "in_channel"
        assert shared.body["blocks"][:3] == reply["blocks"][:3]
        assert f"<@{rq.USER}>" in all_text(shared.body)
