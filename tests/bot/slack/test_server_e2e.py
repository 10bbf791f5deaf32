"""`tokenbot serve --http` as real processes (gunicorn) on loopback, against the fake Web API.

Two server processes share one database file, as two workers or two hosts would. The tests
speak HTTP to them the way Slack does, including the ways an attacker or a bad day would.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.slack.background import THREADS
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.server_process import Server, running_servers, start_server, wait_healthy
from tests.bot.store.test_faults import another_apps_file

QUESTION = "how many tokens does an STA user use per month?"
ACK_DEADLINE = 3.0
"""Seconds Slack waits for an acknowledgement before it shows the user a failure."""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    started = FakeSlack().start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def servers(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    """Two server processes, one worker each, sharing one database file."""
    folder = tmp_path_factory.mktemp("e2e")
    with running_servers(fake, folder / "tokenbot.db", folder) as started:
        yield started


@pytest.fixture
def slack(fake: FakeSlack) -> Iterator[FakeSlack]:
    """The shared fake, clean before each test and never left holding calls after it."""
    fake.clear()
    yield fake
    fake.release()


def _reply(raw: bytes) -> dict[str, Any]:
    reply: dict[str, Any] = json.loads(raw)
    return reply


def _command(server: Server, text: str, fake: FakeSlack, **kwargs: Any) -> tuple[int, bytes]:
    body = rq.command(text, fake.hook_url(), **kwargs)
    return server.post(body, rq.sign(body, rq.FORM))


def _elsewhere(slack: FakeSlack) -> list[str]:
    """What reached Slack besides the bot's identity check."""
    return [call.path for call in slack.calls if call.method != "auth.test"]


class TestServeHttp:
    def test_healthz_reports_the_knowledge_base_and_cards(self, servers: list[Server]) -> None:
        status, body = servers[0].get("/healthz")
        health = json.loads(body)
        assert status == 200
        assert health["ok"] is True
        assert health["entries"] > 0
        assert "list" in health["cards"]

    def test_signed_slash_command_is_answered_in_the_acknowledgement(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        status, raw = _command(servers[0], "estimate copilot=50 va=2000/day", slack)
        reply = _reply(raw)
        assert status == 200
        assert reply["response_type"] == "ephemeral"
        assert reply["text"].startswith("Token estimate E-")

    def test_a_retried_event_is_answered_once_across_two_processes(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        body = rq.event(rq.mention(QUESTION), event_id="EvE2E0001")
        for server in servers:
            status, _ = server.post(body, rq.sign(body, rq.JSON))
            assert status == 200
        slack.wait_for("chat.postMessage", 1)
        time.sleep(0.5)  # give a duplicate time to arrive, if there were one
        assert len(slack.calls_to("chat.postMessage")) == 1

    def test_other_paths_are_not_found(self, servers: list[Server]) -> None:
        assert servers[0].get("/slack/events")[0] == 404


class TestVerifyFirst:
    """Point 1: no code of ours runs for a request that is not verified."""

    @pytest.mark.parametrize(
        "headers",
        [
            pytest.param(lambda b: rq.sign(b, rq.FORM, secret="forged"), id="forged"),
            pytest.param(lambda b: rq.sign(b, rq.FORM, age=600), id="stale"),
            pytest.param(lambda b: {"content-type": rq.FORM}, id="missing"),
            pytest.param(
                lambda b: {**rq.sign(b, rq.FORM), "x-slack-request-timestamp": "abc"},
                id="timestamp-not-a-number",
            ),
            pytest.param(
                lambda b: {**rq.sign(b, rq.FORM), "x-slack-request-timestamp": ""},
                id="timestamp-empty",
            ),
            pytest.param(
                lambda b: {**rq.sign(b, rq.FORM), "x-slack-signature": "v1=" + "0" * 64},
                id="bad-prefix",
            ),
            pytest.param(
                lambda b: {**rq.sign(b, rq.FORM), "x-slack-signature": "v0=" + "g" * 64},
                id="not-hex",
            ),
        ],
    )
    def test_bad_signature_gets_401_and_nothing_is_sent_anywhere(
        self, servers: list[Server], slack: FakeSlack, headers: Any
    ) -> None:
        body = rq.command("estimate copilot=1", slack.hook_url())
        status, _ = servers[0].post(body, headers(body))
        assert status == 401
        time.sleep(0.3)  # anything sent after the answer would have arrived by now
        assert _elsewhere(slack) == []

    def test_a_refusal_is_one_line_in_the_log_without_the_body(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        """Point 14: Bolt logged the whole rejected body (with its response_url) at INFO."""
        before = servers[1].log.read_text()
        body = rq.command("estimate copilot=7 ZEBRA-CANARY", slack.hook_url("commands/CANARY"))
        assert servers[1].post(body, rq.sign(body, rq.FORM, secret="forged"))[0] == 401
        time.sleep(0.2)
        logged = servers[1].log.read_text()[len(before) :]
        assert "ZEBRA" not in logged
        assert "CANARY" not in logged
        assert "hooks" not in logged
        [line] = [line for line in logged.splitlines() if "refused" in line]
        assert "does not match" in line


class TestMalformedBodies:
    """Point 2: never a 5xx, signed or not."""

    BODIES = (
        (urlencode({"payload": "{not json"}).encode(), rq.FORM),
        (urlencode({"payload": "null"}).encode(), rq.FORM),
        (urlencode({"payload": "[1]"}).encode(), rq.FORM),
        (
            urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}).encode(),
            rq.FORM,
        ),
        (b"text=\xff\xfe&command=%2Ftokens", rq.FORM),
        (b"\xff\xfe{}", rq.JSON),
    )

    @pytest.mark.parametrize(("body", "content_type"), BODIES)
    def test_signed_or_not_never_a_5xx(
        self, servers: list[Server], body: bytes, content_type: str
    ) -> None:
        signed, _ = servers[0].post(body, rq.sign(body, content_type))
        unsigned, _ = servers[0].post(body, {"content-type": content_type})
        assert signed < 500
        assert unsigned == 401


class TestPayloadIsText:
    """Point 3: slack-bolt 1.30 answered these 404 "unhandled request"."""

    def test_a_question_about_the_payload_is_answered(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        status, raw = _command(servers[0], "ask what is the payload of an STA token", slack)
        assert status == 200
        assert "payload" in json.dumps(_reply(raw))

    def test_a_command_from_the_payload_team_channel_is_answered(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        status, raw = _command(servers[0], "estimate copilot=5", slack, channel_name="payload-team")
        assert status == 200
        assert _reply(raw)["text"].startswith("Token estimate E-")


class TestReplays:
    """Point 4: the same signed request again, to either process, is refused."""

    def test_a_replayed_command_is_refused_by_the_other_process(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        body = rq.command("estimate copilot=9", slack.hook_url())
        headers = rq.sign(body, rq.FORM)
        assert servers[0].post(body, headers)[0] == 200
        assert servers[1].post(body, headers)[0] == 401
        assert servers[0].post(body, headers)[0] == 401

    def test_a_replayed_click_is_refused(self, servers: list[Server], slack: FakeSlack) -> None:
        body = rq.click("feedback_helpful", "{}", slack.hook_url("actions/T1/9/z"), ephemeral=True)
        headers = rq.sign(body, rq.FORM)
        assert servers[0].post(body, headers)[0] == 200
        assert servers[1].post(body, headers)[0] == 401


class TestSlowSlack:
    """Point 5: acknowledgements stay fast however many Slack calls hang or wait."""

    def test_acks_stay_fast_while_more_slack_calls_hang_than_there_are_threads(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        server = servers[0]
        slack.hold("chat.postMessage", "chat.postEphemeral", "/hooks/")
        hung = THREADS + 4
        for n in range(hung):
            body = rq.event(rq.mention(QUESTION, ts=f"1700000100.{n:06d}"), event_id=f"EvHANG{n}")
            status, _, seconds = server.timed_post(body, rq.sign(body, rq.JSON))
            assert (status, seconds < ACK_DEADLINE) == (200, True)
        for n in range(5):
            click = rq.click(
                "feedback_helpful", "{}", slack.hook_url(f"actions/T1/h/{n}"), ephemeral=True
            )
            assert server.post(click, rq.sign(click, rq.FORM))[0] == 200

        command = rq.command("estimate copilot=50 va=2000/day", slack.hook_url())
        status, raw, seconds = server.timed_post(command, rq.sign(command, rq.FORM))
        assert status == 200
        assert seconds < ACK_DEADLINE
        assert _reply(raw)["text"].startswith("Token estimate E-")
        click = rq.click(
            "feedback_helpful", "{}", slack.hook_url("actions/T1/h/last"), ephemeral=True
        )
        status, _, seconds = server.timed_post(click, rq.sign(click, rq.FORM))
        assert (status, seconds < ACK_DEADLINE) == (200, True)

        slack.release()
        slack.wait_for("chat.postMessage", hung, timeout=30)

    def test_a_long_retry_after_is_not_waited_out_and_the_retry_is_answered(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        server = servers[0]
        limited = 8
        slack.fail_next(limited, status=429, retry_after=35, method="chat.postMessage")
        bodies = [
            rq.event(rq.mention(QUESTION, ts=f"1700000200.{n:06d}"), event_id=f"EvRATE{n}")
            for n in range(limited)
        ]
        for body in bodies:
            assert server.post(body, rq.sign(body, rq.JSON))[0] == 200
        command = rq.command("estimate copilot=5", slack.hook_url())
        status, _, seconds = server.timed_post(command, rq.sign(command, rq.FORM))
        assert (status, seconds < ACK_DEADLINE) == (200, True)

        deadline = time.monotonic() + 10
        while len([c for c in slack.all_calls if c.status == 429]) < limited:
            assert time.monotonic() < deadline, "the rate-limited posts were never tried"
            time.sleep(0.05)
        time.sleep(0.5)  # each gave up at once: none is retried after its 35 s
        assert slack.calls_to("chat.postMessage") == []

        retry = {**rq.sign(bodies[0], rq.JSON), "x-slack-retry-num": "1"}
        assert servers[1].post(bodies[0], retry)[0] == 200
        slack.wait_for("chat.postMessage", 1)


class TestAtLeastOnce:
    """Point 6: a delivery that failed is answered on Slack's retry, and only once."""

    def test_the_retry_of_a_failed_delivery_is_answered_once(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        body = rq.event(rq.mention(QUESTION, ts="1700000300.000001"), event_id="EvAGAIN1")
        slack.fail_next(3, status=500, method="chat.postMessage")
        assert servers[0].post(body, rq.sign(body, rq.JSON))[0] == 200
        slack.wait_for("chat.postEphemeral", 1)  # all attempts failed: the apology
        assert slack.calls_to("chat.postMessage") == []

        retried = {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
        assert servers[1].post(body, {**rq.sign(body, rq.JSON), **retried})[0] == 200
        slack.wait_for("chat.postMessage", 1)
        retried["x-slack-retry-num"] = "2"
        assert servers[0].post(body, {**rq.sign(body, rq.JSON), **retried})[0] == 200
        time.sleep(0.5)
        assert len(slack.calls_to("chat.postMessage")) == 1


class TestEchoedMarkup:
    def test_mrkdwn_typed_by_the_user_formats_nothing(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        """Point 7."""
        status, raw = _command(servers[0], "ask *bold* ~gone~ `code` pizza", slack)
        echoed = _reply(raw)["blocks"][0]["text"]["text"]
        assert status == 200
        assert not set("*~`") & set(echoed)


class TestButtonFailure:
    def test_an_exception_in_a_button_handler_still_acks_in_time(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        """Point 8: this was a 404 after 3 s, which Slack shows as a failed click."""
        click = rq.click("feedback_helpful", "{}", slack.hook_url("actions/T1/8/x"))
        payload = json.loads(dict(parse_qsl(click))["payload"])
        payload["user"] = {"name": "no id"}  # the handler reads user.id
        body = urlencode({"payload": json.dumps(payload)})
        status, _, seconds = servers[0].timed_post(body, rq.sign(body, rq.FORM))
        assert status == 200
        assert seconds < ACK_DEADLINE
        [apology] = slack.wait_for("/hooks/actions/T1/8/x", 1)
        assert "Sorry, something went wrong" in apology.body["text"]


class TestLockedDatabase:
    def test_a_locked_database_costs_a_line_not_the_answer(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        """Point 11: another process holds the write lock for as long as it likes."""
        db = servers[0].log.parent / "tokenbot.db"
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            status, raw, seconds = servers[0].timed_post(
                *_signed_command("estimate copilot=50", slack)
            )
            question_status, question_raw, _ = servers[0].timed_post(
                *_signed_command(f"ask {QUESTION}", slack)
            )
        finally:
            other.close()
        reply = _reply(raw)
        assert (status, question_status) == (200, 200)
        assert seconds < ACK_DEADLINE
        assert reply["text"].startswith("Token estimate (not saved)")
        assert "Not saved (the database stayed locked" in json.dumps(reply["blocks"])
        assert "STA" in json.dumps(_reply(question_raw))


def _signed_command(text: str, fake: FakeSlack) -> tuple[str, dict[str, str]]:
    body = rq.command(text, fake.hook_url())
    return body, rq.sign(body, rq.FORM)


class TestNotOurDatabase:
    def test_another_applications_file_stops_start_up_untouched(
        self, fake: FakeSlack, tmp_path: Path
    ) -> None:
        """Point 12."""
        db = tmp_path / "theirs.db"
        another_apps_file(db)
        before = db.read_bytes()
        server = start_server(fake, db, tmp_path / "server.log")
        try:
            assert server.process.wait(30) == 1
        finally:
            server.stop()
        [line] = (tmp_path / "server.log").read_text().splitlines()
        assert line.startswith("tokenbot serve: the database")
        assert "not a tokenbot database" in line
        assert db.read_bytes() == before


BOT_TOKEN = "xoxb-e2e-secret-bot-token"
SIGNING_SECRET = "e2e-secret-signing-value"


class TestSecretsInTheEnvironment:
    """Point 13: what /proc/PID/environ of the master and every worker holds."""

    @staticmethod
    def _environments(server: Server) -> list[bytes]:
        pids = [server.process.pid, *server.workers()]
        assert len(pids) == 3  # the master and two workers
        return [Path(f"/proc/{pid}/environ").read_bytes() for pid in pids]

    def test_secrets_given_as_files_are_in_no_process_environment(
        self, fake: FakeSlack, tmp_path: Path
    ) -> None:
        token, secret = tmp_path / "bot_token", tmp_path / "signing_secret"
        token.write_text(BOT_TOKEN + "\n")
        secret.write_text(rq.SECRET + "\n")
        env = {
            "SLACK_BOT_TOKEN": "",
            "SLACK_SIGNING_SECRET": "",
            "SLACK_BOT_TOKEN_FILE": str(token),
            "SLACK_SIGNING_SECRET_FILE": str(secret),
        }
        server = start_server(fake, tmp_path / "t.db", tmp_path / "s.log", workers=2, env=env)
        try:
            wait_healthy(server, workers=2)
            environments = self._environments(server)
            status, _ = _command(server, "estimate copilot=5", fake)  # the secrets work
        finally:
            server.stop()
        assert status == 200
        for environ in environments:
            assert BOT_TOKEN.encode() not in environ
            assert rq.SECRET.encode() not in environ
            assert b"SLACK_BOT_TOKEN_FILE=" in environ  # only where to find it

    def test_secrets_given_as_variables_stay_in_the_initial_environment(
        self, fake: FakeSlack, tmp_path: Path
    ) -> None:
        """What the README says: removing them from os.environ does not reach /proc."""
        env = {"SLACK_BOT_TOKEN": BOT_TOKEN}
        server = start_server(fake, tmp_path / "t.db", tmp_path / "s.log", workers=2, env=env)
        try:
            wait_healthy(server, workers=2)
            environments = self._environments(server)
        finally:
            server.stop()
        for environ in environments:
            assert BOT_TOKEN.encode() in environ
