"""`tokenbot serve --http` as a real process (gunicorn) on loopback, driven over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.bot.slack import slack_requests as rq
from tests.bot.slack.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[3]
QUESTION = "how many tokens does an STA user use per month?"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str

    def post(self, body: str, headers: dict[str, str]) -> tuple[int, bytes]:
        request = urllib.request.Request(
            f"{self.url}/slack/events", data=body.encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start_server(fake: FakeSlack, db: Path) -> Server:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": rq.SECRET,
        "TOKENBOT_SLACK_API_URL": fake.api_url,
        "TOKENBOT_DB": str(db),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return Server(process=process, url=f"http://127.0.0.1:{port}")


def wait_healthy(server: Server, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"server exited with {server.process.returncode}")
        try:
            if server.get("/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not become healthy")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    started = FakeSlack().start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def servers(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    """Two server processes sharing one database file."""
    db = tmp_path_factory.mktemp("e2e") / "tokenbot.db"
    started = [start_server(fake, db), start_server(fake, db)]
    try:
        for server in started:
            wait_healthy(server)
        yield started
    finally:
        for server in started:
            server.stop()


class TestServeHttp:
    def test_healthz_reports_the_knowledge_base_and_cards(self, servers: list[Server]) -> None:
        status, body = servers[0].get("/healthz")
        health = json.loads(body)
        assert status == 200
        assert health["ok"] is True
        assert health["entries"] > 0
        assert "list" in health["cards"]

    def test_signed_slash_command_is_answered_in_the_acknowledgement(
        self, servers: list[Server], fake: FakeSlack
    ) -> None:
        body = rq.command("estimate copilot=50 va=2000/day", fake.hook_url())
        status, raw = servers[0].post(body, rq.sign(body, rq.FORM))
        reply = json.loads(raw)
        assert status == 200
        assert reply["response_type"] == "ephemeral"
        assert reply["text"].startswith("Token estimate E-")

    @pytest.mark.parametrize(
        "headers",
        [
            pytest.param(lambda b: rq.sign(b, rq.FORM, secret="forged"), id="forged"),
            pytest.param(lambda b: rq.sign(b, rq.FORM, age=600), id="stale"),
            pytest.param(lambda b: {"content-type": rq.FORM}, id="missing"),
        ],
    )
    def test_bad_signature_gets_401(
        self, servers: list[Server], fake: FakeSlack, headers: object
    ) -> None:
        body = rq.command("estimate copilot=1", fake.hook_url())
        status, _ = servers[0].post(body, headers(body))  # type: ignore[operator]
        assert status == 401

    def test_a_retried_event_is_answered_once_across_two_processes(
        self, servers: list[Server], fake: FakeSlack
    ) -> None:
        fake.clear()
        body = rq.event(rq.mention(QUESTION), event_id="EvE2E0001")
        for server in servers:
            status, _ = server.post(body, rq.sign(body, rq.JSON))
            assert status == 200
        fake.wait_for("chat.postMessage", 1)
        time.sleep(0.5)  # give a duplicate time to arrive, if there were one
        assert len(fake.calls_to("chat.postMessage")) == 1

    def test_other_paths_are_not_found(self, servers: list[Server]) -> None:
        assert servers[0].get("/slack/events")[0] == 404
