"""N stateless servers on one PostgreSQL: real `tokenbot serve --http` processes, a real server.

Two server processes share one PostgreSQL database, as two hosts behind a load balancer would.
The database is stopped and started under them (`pg_server`), and a server is killed with
SIGKILL in the middle of a burst of estimate writes.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.store import open_store
from tests.bot.postgres import Server as PostgresServer
from tests.bot.postgres import fresh_database
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.server_process import (
    ROOT,
    Server,
    running_servers,
    start_server,
    wait_healthy,
)

QUESTION = "how many tokens does an STA user use per month?"
REFERENCE = re.compile(r"Token estimate (E-[0-9A-Z]+)")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    started = FakeSlack().start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def database(pg_url: str) -> Iterator[str]:
    with fresh_database(pg_url) as url:
        yield url


@pytest.fixture(scope="module")
def servers(
    fake: FakeSlack, database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Server]]:
    """Two server processes, one worker each, started together on one fresh database."""
    folder = tmp_path_factory.mktemp("pg-e2e")
    with running_servers(fake, database, folder) as started:
        yield started


@pytest.fixture
def slack(fake: FakeSlack) -> Iterator[FakeSlack]:
    fake.clear()
    yield fake
    fake.release()


def _command(server: Server, text: str, fake: FakeSlack) -> tuple[int, dict[str, Any]]:
    body = rq.command(text, fake.hook_url())
    status, raw = server.post(body, rq.sign(body, rq.FORM))
    return status, json.loads(raw) if status == 200 else {}


def _reference(reply: dict[str, Any]) -> str | None:
    match = REFERENCE.match(reply.get("text", ""))
    return match.group(1) if match else None


def _tokenbot(database: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "TOKENBOT_DB": database}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestSharedDatabase:
    def test_health_and_readiness_name_postgresql(self, servers: list[Server]) -> None:
        for path in ("/healthz", "/readyz"):
            status, body = servers[0].get(path)
            answer = json.loads(body)
            assert status == 200
            assert (answer["store"], answer["store_reachable"]) == ("postgresql", True)

    def test_a_retried_event_is_answered_once_across_two_servers(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        body = rq.event(rq.mention(QUESTION), event_id="EvPG0001")
        for server in servers:
            assert server.post(body, rq.sign(body, rq.JSON))[0] == 200
        slack.wait_for("chat.postMessage", 1)
        time.sleep(0.5)  # give a duplicate time to arrive, if there were one
        assert len(slack.calls_to("chat.postMessage")) == 1

    def test_an_estimate_stored_through_one_is_shown_by_the_other_and_the_cli(
        self, servers: list[Server], slack: FakeSlack, database: str
    ) -> None:
        status, reply = _command(servers[0], "estimate copilot=50 va=2000/day", slack)
        reference = _reference(reply)
        assert (status, reference is not None) == (200, True)
        assert reference is not None
        status, shown = _command(servers[1], f"show {reference}", slack)
        assert status == 200
        assert reference in json.dumps(shown)
        assert "22,000" in json.dumps(shown)
        cli = _tokenbot(database, "show", reference)
        assert cli.returncode == 0, cli.stderr
        assert f"Estimate {reference}" in cli.stdout
        assert "22,000" in cli.stdout

    def test_a_replayed_command_is_refused_by_the_other_server(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        body = rq.command("estimate copilot=9", slack.hook_url())
        headers = rq.sign(body, rq.FORM)
        assert servers[0].post(body, headers)[0] == 200
        assert servers[1].post(body, headers)[0] == 401

    def test_a_thread_started_on_one_server_gives_context_on_the_other(
        self, servers: list[Server], slack: FakeSlack
    ) -> None:
        ts = "1700000500.000100"
        first = rq.event(
            rq.mention("what does a voice bot minute cost in tokens?", ts=ts), event_id="EvPGT1"
        )
        assert servers[0].post(first, rq.sign(first, rq.JSON))[0] == 200
        slack.wait_for("chat.postMessage", 1)
        follow = rq.event(
            rq.mention("and per second?", ts="1700000500.000200", thread_ts=ts), event_id="EvPGT2"
        )
        assert servers[1].post(follow, rq.sign(follow, rq.JSON))[0] == 200
        [_, second] = slack.wait_for("chat.postMessage", 2)
        answer = json.dumps(second.body)
        assert "voice bot" in answer.lower()
        assert "not sure which" not in answer  # alone, "and per second?" gets "did you mean"


class TestDatabaseRestart:
    """PostgreSQL stopped and started mid-run: answers keep coming, writes resume."""

    def test_answers_keep_coming_and_writes_resume(
        self, servers: list[Server], slack: FakeSlack, pg_server: PostgresServer, database: str
    ) -> None:
        with pg_server.down():
            for server in servers:
                status, reply = _command(server, "estimate copilot=5", slack)
                assert status == 200
                assert reply["text"].startswith("Token estimate (not saved)")
                assert "cannot be reached" in json.dumps(reply["blocks"])
                status, answer = _command(server, f"ask {QUESTION}", slack)
                assert status == 200
                assert "STA" in json.dumps(answer)
                assert server.get("/healthz")[0] == 200  # alive: not restarted for a blink
                status, ready = server.get("/readyz")
                assert status == 503
                assert json.loads(ready)["store_reachable"] is False
        deadline = time.monotonic() + 15
        references: list[str] = []
        for server in servers:
            while True:
                status, reply = _command(server, "estimate copilot=6", slack)
                reference = _reference(reply)
                if reference is not None:
                    references.append(reference)
                    break
                assert time.monotonic() < deadline, "writes did not resume"
                time.sleep(0.5)
            assert server.get("/readyz")[0] == 200
        with open_store(database) as store:
            assert all(store.get_estimate(reference) for reference in references)


class TestKilledMidBurst:
    @pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
    def test_every_acknowledged_reference_survives_a_kill_9(
        self,
        backend: str,
        fake: FakeSlack,
        tmp_path: Path,
        request: pytest.FixtureRequest,
    ) -> None:
        target = (
            str(tmp_path / "tokenbot.db")
            if backend == "sqlite"
            else request.getfixturevalue("pg_database")
        )
        server = start_server(fake, target, tmp_path / "server.log", workers=2)
        try:
            wait_healthy(server, workers=2)
            acknowledged: list[str] = []
            stop = threading.Event()

            def burst() -> None:
                while not stop.is_set():
                    body = rq.command("estimate copilot=50 va=2000/day", fake.hook_url())
                    try:
                        status, raw = server.post(body, rq.sign(body, rq.FORM), timeout=5)
                        reply = json.loads(raw) if status == 200 else {}
                    except (OSError, http.client.HTTPException, ValueError):
                        return  # the server is gone, or went in the middle of an answer
                    if reference := _reference(reply):
                        acknowledged.append(reference)

            clients = [threading.Thread(target=burst) for _ in range(8)]
            for client in clients:
                client.start()
            deadline = time.monotonic() + 20
            while len(acknowledged) < 100 and time.monotonic() < deadline:
                time.sleep(0.05)
            for pid in [server.process.pid, *server.workers()]:
                os.kill(pid, signal.SIGKILL)
            stop.set()
            for client in clients:
                client.join(10)
            server.process.wait(10)
        finally:
            server.stop()
        assert len(acknowledged) >= 100
        with open_store(target) as store:
            missing = [ref for ref in acknowledged if store.get_estimate(ref) is None]
        assert missing == []


class TestStartUp:
    def test_a_database_that_cannot_be_reached_stops_start_up_in_one_line(
        self, fake: FakeSlack, tmp_path: Path
    ) -> None:
        """Start-up checks and migrates the schema, so it needs the database; it says so."""
        url = "postgresql://tokenbot:start-up-secret@127.0.0.1:1/tokenbot"
        server = start_server(fake, url, tmp_path / "server.log")
        try:
            assert server.process.wait(30) == 1
        finally:
            server.stop()
        [line] = (tmp_path / "server.log").read_text().splitlines()
        assert line.startswith("tokenbot serve: cannot use the database postgresql://tokenbot@")
        assert "cannot be reached" in line
        assert "start-up-secret" not in line
