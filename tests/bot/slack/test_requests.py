"""Hostile and bad requests, through the same WSGI application `tokenbot serve --http` serves.

Verification comes before anything else; malformed bodies never get a 5xx; the word "payload"
is ordinary text; exact replays are refused; echoed mrkdwn formats nothing; a failing button
still acknowledges; a failed delivery is answered on Slack's retry.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.deps import Deps
from bot.slack import render
from bot.store import REFERENCE, SqliteStore
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.conftest import Driver, MakeDriver, all_text, button

QUESTION = "how many tokens does an STA user use per month?"
VALID_SIGNATURE = "v0=" + "a" * 64


def _nothing_was_done(slack: Driver) -> None:
    """No listener, middleware or error handler ran: nothing sent, nothing stored."""
    assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []
    assert slack.deps.store.questions() == []
    assert slack.deps.store.recent_estimates(rq.USER) == []


class TestVerificationComesFirst:
    @pytest.mark.parametrize(
        ("timestamp", "signature"),
        [
            pytest.param(None, VALID_SIGNATURE, id="no-timestamp"),
            pytest.param("", VALID_SIGNATURE, id="empty-timestamp"),
            pytest.param("abc", VALID_SIGNATURE, id="words"),
            pytest.param("1.7e9", VALID_SIGNATURE, id="float"),
            pytest.param(" 1700000000", VALID_SIGNATURE, id="space"),
            pytest.param("+1700000000", VALID_SIGNATURE, id="plus"),
            pytest.param("\u0661\u0667\u0660\u0660", VALID_SIGNATURE, id="arabic-digits"),
            pytest.param("9" * 40, VALID_SIGNATURE, id="huge"),
            pytest.param("now", None, id="no-signature"),
            pytest.param("now", "", id="empty-signature"),
            pytest.param("now", "v1=" + "a" * 64, id="bad-prefix"),
            pytest.param("now", "v0=" + "z" * 64, id="not-hex"),
            pytest.param("now", "v0=" + "A" * 64, id="upper-hex"),
            pytest.param("now", "v0=abc", id="short"),
            pytest.param("now", VALID_SIGNATURE, id="wrong"),
        ],
    )
    def test_a_malformed_or_wrong_signature_is_refused_before_any_code_runs(
        self, slack: Driver, timestamp: str | None, signature: str | None
    ) -> None:
        """The attack that started issue 10: an error handler acting on an unverified body."""
        body = rq.command(f"ask {QUESTION}", slack.fake.hook_url())
        headers = {"content-type": rq.FORM}
        if timestamp is not None:
            headers["x-slack-request-timestamp"] = (
                str(int(time.time())) if timestamp == "now" else timestamp
            )
        if signature is not None:
            headers["x-slack-signature"] = signature
        response = slack.send_unsigned(body, headers)
        assert response.status == 401
        _nothing_was_done(slack)

    @pytest.mark.parametrize("age", [301, -301, 10**9])
    def test_a_timestamp_outside_five_minutes_is_refused(self, slack: Driver, age: int) -> None:
        body = rq.command("estimate copilot=5", slack.fake.hook_url())
        assert slack.send(body, rq.FORM, age=age).status == 401
        _nothing_was_done(slack)

    def test_a_body_changed_after_signing_is_refused(self, slack: Driver) -> None:
        body = rq.command("estimate copilot=5", slack.fake.hook_url())
        headers = rq.sign(body, rq.FORM)
        tampered = body.replace("copilot%3D5", "copilot%3D6")
        assert slack.send_unsigned(tampered, headers).status == 401
        _nothing_was_done(slack)

    def test_slacks_certificate_check_is_answered_without_a_signature(self, slack: Driver) -> None:
        response = slack.send_unsigned("ssl_check=1&token=legacy", {"content-type": rq.FORM})
        assert (response.status, response.body) == (200, "")
        _nothing_was_done(slack)

    def test_a_certificate_check_carrying_a_command_is_not_one(self, slack: Driver) -> None:
        body = "ssl_check=1&" + rq.command("estimate copilot=5", slack.fake.hook_url())
        assert slack.send_unsigned(body, {"content-type": rq.FORM}).status == 401
        _nothing_was_done(slack)

    def test_an_unsigned_event_is_refused(self, slack: Driver) -> None:
        body = rq.event(rq.mention(QUESTION))
        assert slack.send_unsigned(body, {"content-type": rq.JSON}).status == 401
        _nothing_was_done(slack)

    def test_a_refusal_is_logged_as_one_line_without_the_body(
        self, slack: Driver, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level("DEBUG")
        body = rq.command("ask my secret question", slack.fake.hook_url())
        slack.send(body, rq.FORM, secret="forged")
        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert "does not match" in logged
        assert "secret question" not in logged
        assert "hooks" not in logged  # the response_url
        assert len(caplog.records) == 1


def _form(payload: str) -> str:
    return urlencode({"payload": payload})


def _click_payload(**changes: Any) -> dict[str, Any]:
    """A valid `block_actions` payload with some fields changed."""
    form = dict(parse_qsl(rq.click("feedback_helpful", "{}", "http://127.0.0.1:9/hooks/x")))
    payload: dict[str, Any] = json.loads(form["payload"])
    payload.update(changes)
    return payload


class TestMalformedBodies:
    """Signed and malformed: a 4xx or a quiet 200. Unsigned: 401. Never a 5xx."""

    CASES: tuple[tuple[str, bytes, str], ...] = (
        ("payload-not-json", _form("{not json").encode(), rq.FORM),
        ("payload-null", _form("null").encode(), rq.FORM),
        ("payload-array", _form("[1, 2]").encode(), rq.FORM),
        ("payload-string", _form('"block_actions"').encode(), rq.FORM),
        ("empty-actions", _form(json.dumps(_click_payload(actions=[]))).encode(), rq.FORM),
        ("actions-of-strings", _form(json.dumps(_click_payload(actions=["x"]))).encode(), rq.FORM),
        ("type-a-number", _form(json.dumps(_click_payload(type=7))).encode(), rq.FORM),
        ("not-utf8-form", b"command=%2Ftokens&text=\xff\xfe", rq.FORM),
        ("not-utf8-json", b'{"type": "event_callback", "x": "\xff"}', rq.JSON),
        ("json-array", b"[]", rq.JSON),
        ("json-null", b"null", rq.JSON),
        ("json-garbage", b"{{{", rq.JSON),
        ("deep-json", b"[" * 100_000 + b"]" * 100_000, rq.JSON),
        ("event-a-string", json.dumps({"type": "event_callback", "event": "x"}).encode(), rq.JSON),
        (
            "event-without-type",
            json.dumps({"type": "event_callback", "event": {"text": "hi"}}).encode(),
            rq.JSON,
        ),
        (
            "authorizations-a-string",
            json.dumps(
                {"type": "event_callback", "event": {"type": "app_mention"}, "authorizations": "x"}
            ).encode(),
            rq.JSON,
        ),
        ("empty-form", b"", rq.FORM),
        ("other-content-type", b"hello", "text/plain"),
        ("no-content-type", b"hello", ""),
    )

    @pytest.mark.parametrize(
        ("body", "content_type"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
    )
    def test_signed_and_malformed_is_a_4xx_or_a_quiet_200(
        self, slack: Driver, body: bytes, content_type: str
    ) -> None:
        response = slack.send(body, content_type)
        assert response.status < 500
        assert response.status == 200 or 400 <= response.status < 500
        assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []

    @pytest.mark.parametrize(
        ("body", "content_type"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
    )
    def test_unsigned_and_malformed_is_401(
        self, slack: Driver, body: bytes, content_type: str
    ) -> None:
        assert slack.send_unsigned(body, {"content-type": content_type}).status == 401

    def test_a_body_larger_than_a_megabyte_is_refused_unread(self, slack: Driver) -> None:
        body = b"x" * (1024 * 1024 + 1)
        assert slack.send(body, rq.FORM).status == 413

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        body=st.one_of(
            st.binary(max_size=300),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                lambda children: (
                    st.lists(children, max_size=4)
                    | st.dictionaries(
                        st.sampled_from(
                            [
                                "type",
                                "event",
                                "actions",
                                "user",
                                "team",
                                "channel",
                                "container",
                                "authorizations",
                                "message",
                                "view",
                                "command",
                                "text",
                                "response_url",
                                "event_id",
                                "action_id",
                                "value",
                            ]
                        ),
                        children,
                        max_size=6,
                    )
                ),
                max_leaves=20,
            ).map(lambda value: json.dumps(value).encode()),
        ),
        as_form=st.booleans(),
    )
    def test_no_signed_body_gets_a_5xx(self, slack: Driver, body: bytes, as_form: bool) -> None:
        if as_form:
            response = slack.send(urlencode({"payload": body}).encode(), rq.FORM)
        else:
            response = slack.send(body, rq.JSON)
        assert response.status < 500


class TestPayloadIsOrdinaryText:
    """slack-bolt 1.30 takes any form containing "payload" for an interaction; we do not."""

    def test_a_question_about_payloads_is_answered(self, slack: Driver) -> None:
        reply = slack.command_reply("ask what is the payload of an STA token")
        assert reply["response_type"] == "ephemeral"
        assert "payload" in all_text(reply)

    def test_a_command_from_a_channel_named_payload_team_is_answered(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate copilot=5", channel_name="payload-team")
        assert reply["text"].startswith("Token estimate E-")


class TestReplays:
    def test_an_exact_replay_of_a_command_is_refused(self, slack: Driver) -> None:
        body = rq.command("estimate copilot=5", slack.fake.hook_url())
        headers = rq.sign(body, rq.FORM)
        first = slack.send_unsigned(body, headers)
        replay = slack.send_unsigned(body, headers)
        assert (first.status, replay.status) == (200, 401)
        assert len(slack.deps.store.recent_estimates(rq.USER)) == 1

    def test_an_exact_replay_of_a_click_is_refused(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate copilot=5")
        value = button(reply, "ticket")["value"]
        body = rq.click("ticket", value, slack.fake.hook_url("actions/T1/2/x"), ephemeral=True)
        headers = rq.sign(body, rq.FORM)
        assert slack.send_unsigned(body, headers).status == 200
        assert slack.send_unsigned(body, headers).status == 401
        assert len(slack.fake.hooks()) == 1

    def test_the_same_command_signed_again_is_not_a_replay(self, slack: Driver) -> None:
        """Slack signs every delivery afresh; only the identical pair is refused."""
        body = rq.command("estimate copilot=5", slack.fake.hook_url())
        assert slack.send(body, rq.FORM).status == 200
        assert slack.send(body, rq.FORM, age=1).status == 200

    def test_events_are_deduplicated_by_event_id_not_refused(self, slack: Driver) -> None:
        body = rq.event(rq.mention(QUESTION), event_id="EvREPLAY")
        headers = rq.sign(body, rq.JSON)
        assert slack.send_unsigned(body, headers).status == 200
        assert slack.send_unsigned(body, headers).status == 200
        assert len(slack.fake.calls_to("chat.postMessage")) == 1


class TestEchoedMarkup:
    """What a user typed is shown as typed: their `*`, `_`, `~` and backticks format nothing."""

    MARKED = "*bold* _italic_ ~strike~ `code` pizza"

    def test_an_unknown_question_is_echoed_inert(self, slack: Driver) -> None:
        reply = slack.command_reply(f"ask {self.MARKED}")
        echoed = reply["blocks"][0]["text"]["text"]
        assert echoed == "_" + render.echo(self.MARKED) + "_"
        assert not set("*`~") & set(echoed)
        assert echoed.count("_") == 2  # only the italics the bot itself adds

    def test_an_unsure_question_is_echoed_inert(self, slack: Driver) -> None:
        reply = slack.command_reply("*copilot*")
        asked = reply["blocks"][0]["text"]["text"]
        assert asked.startswith("I'm not sure which of these you mean by _")
        assert render.echo("*copilot*") in asked
        assert "*copilot*" not in asked

    def test_a_term_quoted_in_an_error_is_echoed_inert(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate *boom*=5")
        shown = reply["blocks"][0]["text"]["text"]
        assert "\u2217boom\u2217" in shown
        assert "*boom*" not in shown

    def test_a_code_span_cannot_be_closed_early(self) -> None:
        assert render.code("a`b") == "`a\u02cbb`"


class TestButtonFailures:
    def test_an_exception_in_a_button_handler_still_acknowledges(
        self, slack: Driver, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A click without a user id breaks the handler: acked 200, apologised, logged."""
        payload = _click_payload(user={"name": "no id"})
        payload["response_url"] = slack.fake.hook_url("actions/T1/2/broken")
        response = slack.send(_form(json.dumps(payload)), rq.FORM)
        assert response.status == 200
        [apology] = slack.fake.hooks()
        assert "Sorry, something went wrong" in apology.body["text"]
        assert any(record.exc_info for record in caplog.records)


class TestDeliveryFailures:
    """An event whose answer could not be posted is answered on Slack's retry, once."""

    def test_a_failed_delivery_is_answered_on_the_retry(self, slack: Driver) -> None:
        slack.app.client.auth_test()
        body = rq.event(rq.mention(QUESTION), event_id="EvFAIL1")
        slack.fake.fail_next(3, status=500, method="chat.postMessage")
        assert slack.send(body, rq.JSON).status == 200
        assert slack.fake.calls_to("chat.postMessage") == []

        retried = {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
        assert slack.send(body, rq.JSON, extra_headers=retried).status == 200
        assert len(slack.fake.calls_to("chat.postMessage")) == 1

        assert slack.send(body, rq.JSON, extra_headers=retried).status == 200
        assert len(slack.fake.calls_to("chat.postMessage")) == 1  # no double answer

    def test_an_event_being_answered_elsewhere_is_not_answered_twice(self, slack: Driver) -> None:
        assert slack.deps.store.claim_event("EvBUSY") is True  # another process delivering
        slack.event(rq.mention(QUESTION), event_id="EvBUSY")
        assert slack.fake.calls_to("chat.postMessage") == []


class TestReferences:
    def test_a_new_estimate_has_an_eight_character_reference(self, slack: Driver) -> None:
        reply = slack.command_reply("estimate copilot=5")
        reference = reply["text"].split()[2].rstrip(":")
        assert REFERENCE.match(reference)
        assert len(reference) == len("E-") + 8

    def test_an_old_four_character_reference_is_still_shown(
        self, make_driver: MakeDriver, deps: Deps
    ) -> None:
        with SqliteStore(":memory:", new_reference=lambda: "E-7K2Q") as old:
            slack = make_driver(Deps(kb=deps.kb, index=deps.index, store=old))
            slack.command_reply("estimate copilot=5")
            shown = slack.command_reply("show e-7k2q")
        assert shown["text"].startswith("Token estimate E-7K2Q:")


class TestForgetThroughSlack:
    def test_a_vote_on_someone_elses_answer_loses_their_text_when_they_are_forgotten(
        self, slack: Driver
    ) -> None:
        slack.event(rq.mention(QUESTION, user="U0BOB0001"), event_id="EvBOB")
        answer = slack.fake.calls_to("chat.postMessage")[-1].body
        slack.click(
            "feedback_helpful", button(answer, "feedback_helpful")["value"], user="U0ALICE1"
        )
        [vote] = slack.deps.store.votes()
        assert vote.question == QUESTION

        slack.deps.store.forget("U0BOB0001")

        [vote] = slack.deps.store.votes()
        assert (vote.user_id, vote.question, vote.helpful) == ("U0ALICE1", None, True)
