"""Mentions and DMs, Slack's retries, request signatures, url_verification, Web API retries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.deps import Deps
from bot.errors import StorageUnavailableError
from bot.settings import Settings
from bot.slack import replies
from bot.slack.app import build_app
from bot.slack.wsgi import TokenbotWsgi
from bot.store import SqliteStore
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.conftest import Driver, InlineExecutor, MakeDriver, all_text, call_wsgi
from tests.bot.slack.limits import assert_within_limits

QUESTION = "how many tokens does an STA user use per month?"
FIRST = "1700000000.000100"


class TestMentions:
    def test_answer_is_posted_in_a_thread_under_the_mention(self, slack: Driver) -> None:
        response = slack.event(rq.mention(QUESTION, ts="1700000000.000100"))
        assert response.status == 200
        [post] = slack.fake.calls_to("chat.postMessage")
        assert post.body["thread_ts"] == "1700000000.000100"
        assert post.body["channel"] == rq.CHANNEL
        assert "STA" in all_text(post.body)
        assert_within_limits(post.body)

    def test_mention_inside_a_thread_answers_in_that_thread(self, slack: Driver) -> None:
        slack.event(rq.mention(QUESTION, ts="1700000000.000900", thread_ts="1700000000.000001"))
        [post] = slack.fake.calls_to("chat.postMessage")
        assert post.body["thread_ts"] == "1700000000.000001"

    def test_estimate_line_in_a_mention_runs_the_calculator(self, slack: Driver) -> None:
        slack.event(rq.mention("estimate copilot=50 va=2000/day"))
        [post] = slack.fake.calls_to("chat.postMessage")
        assert "Token estimate E-" in post.body["text"]
        assert post.body["thread_ts"] == "1700000000.000100"

    def test_mention_from_another_bot_is_ignored(self, slack: Driver) -> None:
        assert slack.event(rq.mention(QUESTION, bot_id="B0OTHER")).status == 200
        assert slack.fake.calls_to("chat.postMessage") == []

    def test_edited_mention_is_ignored(self, slack: Driver) -> None:
        slack.event(rq.mention(QUESTION, edited={"user": rq.USER, "ts": "1"}))
        assert slack.fake.calls_to("chat.postMessage") == []


class TestDirectMessages:
    def test_answer_is_posted_in_a_thread_under_the_dm(self, slack: Driver) -> None:
        slack.event(rq.dm(QUESTION, ts="1700000000.000300"))
        [post] = slack.fake.calls_to("chat.postMessage")
        assert post.body["channel"] == rq.DM_CHANNEL
        assert post.body["thread_ts"] == "1700000000.000300"

    @pytest.mark.parametrize(
        "extra",
        [
            {"subtype": "message_changed"},
            {"subtype": "bot_message", "bot_id": "B0OTHER"},
            {"bot_id": "B0OTHER"},
        ],
    )
    def test_bot_posts_and_edits_are_ignored(self, slack: Driver, extra: dict[str, str]) -> None:
        assert slack.event(rq.dm(QUESTION, **extra)).status == 200
        assert slack.fake.calls_to("chat.postMessage") == []

    def test_the_apps_own_posts_are_ignored(self, slack: Driver) -> None:
        slack.event(rq.dm(QUESTION, user="UBOT0001", bot_id="BBOT0001"))
        assert slack.fake.calls_to("chat.postMessage") == []


class TestFollowUps:
    """A message in an answer thread is matched with the question the thread started with."""

    def test_a_follow_up_in_the_thread_is_answered_with_its_context(self, slack: Driver) -> None:
        slack.event(rq.mention("voice bot token rate", ts=FIRST), event_id="Ev1")
        follow_up = rq.mention("and for digital bots?", ts="1700000000.000200", thread_ts=FIRST)
        slack.event(follow_up, event_id="Ev2")
        _, reply = slack.fake.calls_to("chat.postMessage")
        assert reply.body["thread_ts"] == FIRST
        assert "How many tokens do digital bots consume?" in all_text(reply.body)

    def test_the_same_words_outside_the_thread_get_choices_only(self, slack: Driver) -> None:
        slack.event(rq.mention("voice bot token rate", ts="1700000000.000100"), event_id="Ev1")
        slack.event(rq.mention("and for digital bots?", ts="1700000000.000200"), event_id="Ev2")
        _, alone = slack.fake.calls_to("chat.postMessage")
        assert "not sure which of these you mean" in all_text(alone.body)

    def test_a_dm_thread_remembers_its_question(self, slack: Driver) -> None:
        slack.event(rq.dm("how many tokens does a voice bot use", ts=FIRST), event_id="Ev1")
        follow_up = rq.dm("and per minute or per second?", ts="1700000000.000400", thread_ts=FIRST)
        slack.event(follow_up, event_id="Ev2")
        _, reply = slack.fake.calls_to("chat.postMessage")
        assert "How many tokens do voice bots consume?" in all_text(reply.body)

    def test_another_process_on_the_same_database_knows_the_thread(
        self, make_driver: MakeDriver, knowledge: tuple[KnowledgeBase, Index], tmp_path: Path
    ) -> None:
        """The first question answered by one server, the follow-up by another (or a restart)."""
        kb, index = knowledge
        path = tmp_path / "shared.db"
        with SqliteStore(path) as one, SqliteStore(path) as other:
            first = make_driver(Deps(kb=kb, index=index, store=one))
            second = make_driver(Deps(kb=kb, index=index, store=other))
            first.event(rq.mention("voice bot token rate", ts=FIRST), event_id="Ev1")
            follow_up = rq.mention("and for digital bots?", ts="1700000000.000200", thread_ts=FIRST)
            second.event(follow_up, event_id="Ev2")
            _, reply = second.fake.calls_to("chat.postMessage")
        assert reply.body["thread_ts"] == FIRST
        assert "How many tokens do digital bots consume?" in all_text(reply.body)

    def test_without_the_database_a_follow_up_is_matched_alone(
        self, slack: Driver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The store away costs the context, never the answer."""
        slack.event(rq.mention("voice bot token rate", ts=FIRST), event_id="Ev1")

        def away(*_: object) -> None:
            raise StorageUnavailableError("the database is away", path="x.db")

        monkeypatch.setattr(slack.deps.store, "thread_question", away)
        follow_up = rq.mention("and for digital bots?", ts="1700000000.000200", thread_ts=FIRST)
        slack.event(follow_up, event_id="Ev2")
        _, reply = slack.fake.calls_to("chat.postMessage")
        assert reply.body["thread_ts"] == FIRST
        assert "not sure which of these you mean" in all_text(reply.body)


class TestRetriedEvents:
    def test_a_retried_event_is_answered_once(self, slack: Driver) -> None:
        body = rq.event(rq.mention(QUESTION), event_id="EvRETRY1")
        first = slack.send(body, rq.JSON)
        retried = {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
        retry = slack.send(body, rq.JSON, extra_headers=retried)
        assert first.status == retry.status == 200
        assert len(slack.fake.calls_to("chat.postMessage")) == 1

    def test_dedupe_survives_a_restart_sharing_the_database(
        self, slack: Driver, settings: Settings
    ) -> None:
        slack.event(rq.mention(QUESTION), event_id="EvRESTART")
        restarted = build_app(settings, slack.deps, executor=InlineExecutor())
        body = rq.event(rq.mention(QUESTION), event_id="EvRESTART").encode()
        call_wsgi(TokenbotWsgi(restarted, slack.deps, rq.SECRET), body, rq.sign(body, rq.JSON))
        assert len(slack.fake.calls_to("chat.postMessage")) == 1

    def test_different_events_are_each_answered(self, slack: Driver) -> None:
        slack.event(rq.mention(QUESTION), event_id="EvA")
        slack.event(rq.mention(QUESTION), event_id="EvB")
        assert len(slack.fake.calls_to("chat.postMessage")) == 2


class TestSignatures:
    def test_forged_signature_is_rejected_with_401(self, slack: Driver) -> None:
        response = slack.send(rq.command("help", slack.fake.hook_url()), rq.FORM, secret="forged")
        assert response.status == 401

    def test_stale_signature_is_rejected_with_401(self, slack: Driver) -> None:
        body = rq.event(rq.mention(QUESTION))
        assert slack.send(body, rq.JSON, age=301).status == 401
        assert slack.fake.calls_to("chat.postMessage") == []

    def test_missing_signature_is_rejected_with_401(self, slack: Driver) -> None:
        body = rq.command("help", slack.fake.hook_url())
        response = slack.send_unsigned(body, {"content-type": rq.FORM})
        assert response.status == 401

    def test_rejected_event_does_not_use_up_its_event_id(self, slack: Driver) -> None:
        slack.send(rq.event(rq.mention(QUESTION), event_id="EvLATER"), rq.JSON, secret="forged")
        slack.event(rq.mention(QUESTION), event_id="EvLATER")
        assert len(slack.fake.calls_to("chat.postMessage")) == 1


class TestUrlVerification:
    def test_challenge_is_echoed(self, slack: Driver) -> None:
        body = json.dumps({"token": "legacy", "challenge": "abc123", "type": "url_verification"})
        response = slack.send(body, rq.JSON)
        assert response.status == 200
        assert json.loads(response.body) == {"challenge": "abc123"}


class TestWebApiRetries:
    def test_a_429_is_retried_and_the_answer_still_arrives(self, slack: Driver) -> None:
        slack.app.client.auth_test()  # warm up: the failures below are for the post
        slack.fake.fail_next(1, status=429, retry_after=0)
        slack.event(rq.mention(QUESTION))
        posts = [c for c in slack.fake.all_calls if c.method == "chat.postMessage"]
        assert [c.status for c in posts] == [429, 200]

    def test_a_500_is_retried_a_bounded_number_of_times(self, slack: Driver) -> None:
        slack.app.client.auth_test()
        slack.fake.fail_next(3, status=500)
        slack.event(rq.mention(QUESTION))
        posts = [c for c in slack.fake.all_calls if c.method == "chat.postMessage"]
        assert [c.status for c in posts] == [500, 500, 500]
        [apology] = slack.fake.calls_to("chat.postEphemeral")
        assert "Sorry" in apology.body["text"]


class TestUnexpectedErrors:
    def test_user_gets_a_short_apology_and_the_log_gets_the_traceback(
        self, slack: Driver, caplog: pytest.LogCaptureFixture
    ) -> None:
        slack.deps.store.close()  # every database call now fails: an unexpected error
        slack.event(rq.mention(QUESTION))
        [apology] = slack.fake.calls_to("chat.postEphemeral")
        assert "Sorry, something went wrong" in apology.body["text"]
        assert "Traceback" not in all_text(apology.body)
        assert apology.body["thread_ts"] == "1700000000.000100"
        assert any(record.exc_info for record in caplog.records)

    def test_slash_command_failure_is_apologised_for_in_the_acknowledgement(
        self, slack: Driver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The ack itself carries the apology: no outbound call stands between it and Slack."""

        def broken(*args: object) -> None:
            raise ZeroDivisionError("a bug in the calculator")

        monkeypatch.setattr(replies, "estimate", broken)
        apology = slack.command_reply("estimate copilot=5")
        assert "Sorry, something went wrong" in apology["text"]
        assert apology["response_type"] == "ephemeral"
        assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []
