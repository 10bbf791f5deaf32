"""Ask the experts: the button, the post in the experts' channel, relays to the asker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.deps import Deps
from bot.slack.buttons import ButtonValue
from bot.store import RELAY_INTERVAL, SqliteStore, Store
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index
from tests.bot.conftest import Clock
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.conftest import Driver, MakeDriver, all_text, button
from tests.bot.slack.fake_slack import OPENED_DM, POSTED_TS
from tests.bot.slack.limits import assert_within_limits

EXPERTS = "C0EXPERTS"
EXPERT = "U0EXPERT1"
UNKNOWN = "who do I call about a disputed invoice line"
"""tokenbot does not know, and has nothing close."""
UNSURE = "are workforce forecasting runs metered in tokens"
"""tokenbot offers "did you mean" choices."""
KNOWN = "how many tokens does an STA user use per month?"
ASKED_AT = "1700000000.000100"
START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def timed_store(clock: Clock) -> Iterator[Store]:
    with SqliteStore(":memory:", clock=clock) as opened:
        yield opened


@pytest.fixture
def experts(
    make_driver: MakeDriver, knowledge: tuple[KnowledgeBase, Index], timed_store: Store
) -> Driver:
    """The app with an experts' channel, over a store whose clock the test moves."""
    kb, index = knowledge
    return make_driver(Deps(kb=kb, index=index, store=timed_store, experts_channel=EXPERTS))


def actions_of(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message.get("blocks", [])
        for element in block.get("elements", [])
        if element.get("type") == "button"
    ]


def mention_reply(slack: Driver, question: str, **extra: Any) -> dict[str, Any]:
    slack.event(rq.mention(question, ts=ASKED_AT, **extra), event_id="EvAsk")
    post: dict[str, Any] = slack.fake.calls_to("chat.postMessage")[-1].body
    slack.fake.clear()
    return post


def ask_the_experts(slack: Driver, question: str = UNKNOWN) -> dict[str, Any]:
    """Mention tokenbot with `question`, click Ask the experts; returns the experts' post."""
    reply = mention_reply(slack, question)
    ask = button(reply, "ask_experts")
    slack.click(ask["action_id"], ask["value"], thread_ts=ASKED_AT)
    [post] = slack.fake.calls_to("chat.postMessage")
    slack.fake.clear()
    return post.body


def web_calls(slack: Driver) -> list[str]:
    """The Web API methods called (beyond Bolt's own `auth.test`) and the hooks posted to."""
    return [call.method for call in slack.fake.calls if call.method != "auth.test"]


def thread_reply(
    text: str, *, ts: str = "1700000100.000100", user: str = EXPERT, **extra: Any
) -> dict[str, Any]:
    return rq.channel_message(text, ts=ts, user=user, channel=EXPERTS, thread_ts=POSTED_TS, **extra)


class TestWithoutAnExpertsChannel:
    """Nothing changes: no button anywhere, no channel message read."""

    def test_i_dont_know_has_no_button(self, slack: Driver) -> None:
        reply = slack.command_reply(UNKNOWN)
        assert "I don't know" in all_text(reply)
        assert "ask_experts" not in actions_of(reply)
        assert "ask_experts" not in actions_of(mention_reply(slack, UNKNOWN))

    def test_did_you_mean_has_no_button(self, slack: Driver) -> None:
        reply = slack.command_reply(UNSURE)
        assert any(a.startswith("did_you_mean") for a in actions_of(reply))
        assert "ask_experts" not in actions_of(reply)

    def test_not_helpful_is_only_thanked(self, slack: Driver) -> None:
        reply = slack.command_reply(KNOWN)
        not_helpful = button(reply, "feedback_not_helpful")
        slack.click(not_helpful["action_id"], not_helpful["value"], ephemeral=True)
        [thanks] = slack.fake.hooks()
        assert "ask_experts" not in actions_of(thanks.body)

    def test_channel_messages_are_not_read(self, slack: Driver) -> None:
        response = slack.event(thread_reply("0.5 per interaction"), event_id="EvReply")
        assert response.status == 200
        assert web_calls(slack) == []

    def test_an_old_button_says_it_is_not_set_up(self, slack: Driver) -> None:
        slack.click("ask_experts", ButtonValue(question_id=1).encode(), ephemeral=True)
        [reply] = slack.fake.hooks()
        assert "not set up" in reply.body["text"]
        assert slack.fake.calls_to("chat.postMessage") == []


class TestTheButton:
    def test_i_dont_know_offers_the_experts(self, experts: Driver) -> None:
        reply = experts.command_reply(UNKNOWN)
        assert "I don't know" in all_text(reply)
        question_id = ButtonValue.decode(button(reply, "ask_experts")["value"]).question_id
        stored = experts.deps.store.get_question(question_id or 0)
        assert stored is not None
        assert stored.text == UNKNOWN
        assert_within_limits(reply)

    def test_did_you_mean_offers_the_experts(self, experts: Driver) -> None:
        reply = mention_reply(experts, UNSURE)
        assert any(a.startswith("did_you_mean") for a in actions_of(reply))
        assert "ask_experts" in actions_of(reply)

    def test_an_answer_does_not_offer_them(self, experts: Driver) -> None:
        assert "ask_experts" not in actions_of(experts.command_reply(KNOWN))

    def test_an_authentication_token_question_does_not_offer_them(self, experts: Driver) -> None:
        reply = experts.command_reply("how do I refresh an OAuth access token?")
        assert "authentication" in all_text(reply)
        assert "ask_experts" not in actions_of(reply)

    def test_not_helpful_offers_them_and_helpful_does_not(self, experts: Driver) -> None:
        reply = experts.command_reply(KNOWN)
        for action in ("feedback_helpful", "feedback_not_helpful"):
            vote = button(reply, action)
            experts.click(vote["action_id"], vote["value"], ephemeral=True)
        helpful, not_helpful = (call.body for call in experts.fake.hooks())
        assert "ask_experts" not in actions_of(helpful)
        assert "ask_experts" in actions_of(not_helpful)


class TestForwarding:
    def test_the_experts_see_who_asked_where_what_was_matched_and_a_link(
        self, experts: Driver
    ) -> None:
        post = ask_the_experts(experts)
        text = all_text(post)
        assert post["channel"] == EXPERTS
        assert UNKNOWN in text
        assert f"<@{rq.USER}>" in text
        assert f"<#{rq.CHANNEL}>" in text
        assert "https://example.slack.com/archives/C1/p1700000000000100" in text
        assert "did not know (score 0.0" in text
        assert_within_limits(post)

    def test_the_link_is_to_the_thread_the_question_was_asked_in(self, experts: Driver) -> None:
        reply = mention_reply(experts, UNKNOWN)
        ask = button(reply, "ask_experts")
        experts.click(ask["action_id"], ask["value"], thread_ts=ASKED_AT)
        [permalink] = experts.fake.calls_to("chat.getPermalink")
        assert (permalink.body["channel"], permalink.body["message_ts"]) == (rq.CHANNEL, ASKED_AT)

    def test_a_did_you_mean_question_shows_the_closest_entries(self, experts: Driver) -> None:
        text = all_text(ask_the_experts(experts, UNSURE))
        assert "not sure" in text
        assert "`utilization-ranges`" in text

    def test_the_asker_is_told_it_was_forwarded(self, experts: Driver) -> None:
        reply = mention_reply(experts, UNKNOWN)
        ask = button(reply, "ask_experts")
        experts.click(ask["action_id"], ask["value"], thread_ts=ASKED_AT)
        [told] = experts.fake.calls_to("chat.postEphemeral")
        assert told.body["user"] == rq.USER
        assert told.body["thread_ts"] == ASKED_AT
        assert f"Forwarded to the experts in <#{EXPERTS}>" in told.body["text"]
        assert "in the thread" in told.body["text"]

    def test_asking_twice_posts_once(self, experts: Driver) -> None:
        reply = mention_reply(experts, UNKNOWN)
        ask = button(reply, "ask_experts")
        experts.click(ask["action_id"], ask["value"], thread_ts=ASKED_AT)
        experts.click(ask["action_id"], ask["value"], thread_ts=ASKED_AT, user="U0COLLEAGUE")
        assert len(experts.fake.calls_to("chat.postMessage")) == 1
        second = experts.fake.calls_to("chat.postEphemeral")[-1]
        assert "Already forwarded" in second.body["text"]

    def test_another_process_does_not_post_it_again(
        self, make_driver: MakeDriver, knowledge: tuple[KnowledgeBase, Index], tmp_path: Path
    ) -> None:
        kb, index = knowledge
        with (
            SqliteStore(tmp_path / "shared.db") as one,
            SqliteStore(tmp_path / "shared.db") as other,
        ):
            first = make_driver(Deps(kb=kb, index=index, store=one, experts_channel=EXPERTS))
            second = make_driver(Deps(kb=kb, index=index, store=other, experts_channel=EXPERTS))
            ask = button(first.command_reply(UNKNOWN), "ask_experts")
            first.click(ask["action_id"], ask["value"], ephemeral=True)
            second.click(ask["action_id"], ask["value"], ephemeral=True)
        assert len(first.fake.calls_to("chat.postMessage")) == 1
        assert "Already forwarded" in first.fake.hooks()[-1].body["text"]

    def test_a_slash_command_question_is_answered_by_direct_message(self, experts: Driver) -> None:
        ask = button(experts.command_reply(UNKNOWN), "ask_experts")
        experts.click(ask["action_id"], ask["value"], ephemeral=True)
        [post] = experts.fake.calls_to("chat.postMessage")
        assert "privately with `/tokens`" in all_text(post.body)
        assert experts.fake.calls_to("chat.getPermalink") == []
        [told] = experts.fake.hooks()
        assert "by direct message" in told.body["text"]

    def test_tokenbot_not_in_the_channel_is_said_and_a_later_click_posts(
        self, experts: Driver
    ) -> None:
        ask = button(experts.command_reply(UNKNOWN), "ask_experts")
        experts.fake.fail_with_error("not_in_channel")
        experts.click(ask["action_id"], ask["value"], ephemeral=True)
        [told] = experts.fake.hooks()
        assert "not in the experts' channel" in told.body["text"]
        assert "/invite @tokenbot" in told.body["text"]

        experts.click(ask["action_id"], ask["value"], ephemeral=True)
        assert len(experts.fake.calls_to("chat.postMessage")) == 1
        assert "Forwarded to the experts" in experts.fake.hooks()[-1].body["text"]


class TestRelays:
    def test_a_reply_is_relayed_to_the_original_thread_naming_the_expert(
        self, experts: Driver
    ) -> None:
        ask_the_experts(experts)
        experts.event(thread_reply("Ask your account manager, not support."), event_id="EvR1")
        [relay] = experts.fake.calls_to("chat.postMessage")
        assert (relay.body["channel"], relay.body["thread_ts"]) == (rq.CHANNEL, ASKED_AT)
        text = all_text(relay.body)
        assert f"<@{EXPERT}>" in text
        assert "Ask your account manager, not support." in text
        assert "An expert answered your question" in text
        assert_within_limits(relay.body)

    def test_a_slash_command_asker_gets_a_direct_message(self, experts: Driver) -> None:
        ask = button(experts.command_reply(UNKNOWN), "ask_experts")
        experts.click(ask["action_id"], ask["value"], ephemeral=True)
        experts.fake.clear()
        experts.event(thread_reply("Ask your account manager."), event_id="EvR1")
        [opened] = experts.fake.calls_to("conversations.open")
        assert opened.body["users"] == rq.USER
        [relay] = experts.fake.calls_to("chat.postMessage")
        assert relay.body["channel"] == OPENED_DM
        assert UNKNOWN in all_text(relay.body)

    def test_replies_within_a_minute_are_queued_then_sent_together(
        self, experts: Driver, clock: Clock
    ) -> None:
        ask_the_experts(experts)
        experts.event(thread_reply("First.", ts="1700000100.000100"), event_id="EvR1")
        clock.advance(seconds=20)
        experts.event(thread_reply("Second.", ts="1700000120.000100"), event_id="EvR2")
        experts.event(
            thread_reply("Third.", ts="1700000130.000100", user="U0EXPERT2"), event_id="EvR3"
        )
        assert len(experts.fake.calls_to("chat.postMessage")) == 1
        minute_up = [at for at, _ in experts.timers.pending if at == START + RELAY_INTERVAL]
        assert len(minute_up) == 1, "one timer per question, however many replies wait"

        clock.now = START + RELAY_INTERVAL
        assert START + RELAY_INTERVAL in experts.timers.run()

        _first, batch = experts.fake.calls_to("chat.postMessage")
        text = all_text(batch.body)
        assert "More from the experts" in text
        assert "Second." in text
        assert "Third." in text
        assert "First." not in text
        assert "<@U0EXPERT2>" in text
        experts.timers.run()
        assert len(experts.fake.calls_to("chat.postMessage")) == 2

    def test_a_retried_event_is_relayed_once(self, experts: Driver) -> None:
        ask_the_experts(experts)
        experts.event(thread_reply("Once."), event_id="EvR1")
        experts.event(thread_reply("Once."), event_id="EvR1")
        experts.event(thread_reply("Once."), event_id="EvR1bis")  # same message, new event id
        assert len(experts.fake.calls_to("chat.postMessage")) == 1

    @pytest.mark.parametrize(
        "extra",
        [
            {"bot_id": "B0OTHER"},
            {"subtype": "message_changed"},
            {"edited": {"user": EXPERT, "ts": "1"}},
            {"user": "UBOT0001", "bot_id": "BBOT0001"},
        ],
    )
    def test_bots_and_edits_are_ignored(self, experts: Driver, extra: dict[str, Any]) -> None:
        ask_the_experts(experts)
        experts.event(thread_reply("Ignored.", **extra), event_id="EvR1")
        assert web_calls(experts) == []

    def test_messages_outside_the_forwarded_threads_are_ignored(self, experts: Driver) -> None:
        ask_the_experts(experts)
        top_level = rq.channel_message("chat", channel=EXPERTS)
        elsewhere = rq.channel_message("hi", thread_ts=POSTED_TS)
        other_thread = rq.channel_message("hi", channel=EXPERTS, thread_ts="1699999999.000001")
        for number, event in enumerate((top_level, elsewhere, other_thread)):
            assert experts.event(event, event_id=f"EvX{number}").status == 200
        assert web_calls(experts) == []

    def test_a_mention_in_another_channel_is_answered_once(self, experts: Driver) -> None:
        """Slack sends a mention twice with `message.channels`: as `app_mention` and `message`."""
        mention = rq.mention(KNOWN, ts="1700000300.000100")
        experts.event(mention, event_id="EvMention")
        experts.event({**mention, "type": "message", "channel_type": "channel"}, event_id="EvMsg")
        assert len(experts.fake.calls_to("chat.postMessage")) == 1

    def test_a_broadcast_reply_is_relayed(self, experts: Driver) -> None:
        ask_the_experts(experts)
        experts.event(thread_reply("Also to channel.", subtype="thread_broadcast"), event_id="Ev1")
        assert len(experts.fake.calls_to("chat.postMessage")) == 1

    def test_an_experts_channel_wide_ping_is_not_relayed_as_a_ping(self, experts: Driver) -> None:
        ask_the_experts(experts)
        experts.event(thread_reply("<!channel> it is 0.5 <!here>"), event_id="EvR1")
        [relay] = experts.fake.calls_to("chat.postMessage")
        assert "<!channel>" not in all_text(relay.body)
        assert "<!here>" not in all_text(relay.body)
        assert "&lt;!channel&gt;" in all_text(relay.body)

    def test_mentioning_tokenbot_in_a_forwarded_thread_is_not_answered(
        self, experts: Driver
    ) -> None:
        ask_the_experts(experts)
        mention = rq.mention("it is 0.5 per interaction", ts="1700000200.000100")
        mention.update(channel=EXPERTS, thread_ts=POSTED_TS)
        experts.event(mention, event_id="EvMention")
        assert experts.fake.calls_to("chat.postMessage") == []

    def test_a_relay_slack_refuses_is_kept_and_the_expert_told(self, experts: Driver) -> None:
        ask_the_experts(experts)
        experts.fake.fail_with_error("is_archived")
        experts.event(thread_reply("Kept."), event_id="EvR1")
        [told] = experts.fake.calls_to("chat.postEphemeral")
        assert told.body["user"] == EXPERT
        assert "is_archived" in told.body["text"]
        assert experts.deps.store.queued_relays() != []

    def test_what_a_stopped_process_left_queued_is_sent_at_start_up(
        self, experts: Driver, make_driver: MakeDriver
    ) -> None:
        ask_the_experts(experts)
        experts.fake.fail_with_error("ratelimited")
        experts.event(thread_reply("Left behind."), event_id="EvR1")
        experts.fake.clear()
        restarted = make_driver(experts.deps)
        restarted.timers.run()
        [relay] = restarted.fake.calls_to("chat.postMessage")
        assert "Left behind." in all_text(relay.body)
