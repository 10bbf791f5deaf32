"""A real `tokenbot serve --http` (gunicorn) on loopback, started and driven by the tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.bot.slack import slack_requests as rq
from tests.bot.slack.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def post(
        self, body: str | bytes, headers: dict[str, str], timeout: float = 10
    ) -> tuple[int, bytes]:
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(
            f"{self.url}/slack/events", data=data, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def timed_post(self, body: str | bytes, headers: dict[str, str]) -> tuple[int, bytes, float]:
        """The answer and the seconds it took (the acknowledgement, as Slack would time it)."""
        started = time.monotonic()
        status, answer = self.post(body, headers)
        return status, answer, time.monotonic() - started

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def workers(self) -> list[int]:
        """The gunicorn worker processes (children of the master)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid:
                found.append(int(entry.name))
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start_server(
    fake: FakeSlack,
    db: Path | str,
    log: Path,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
) -> Server:
    """Start the server with the test secrets as variables unless `env` gives them otherwise."""
    port = free_port()
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": rq.SECRET,
        "TOKENBOT_SLACK_API_URL": fake.api_url,
        "TOKENBOT_DB": str(db),
        **(env or {}),
    }
    environment = {name: value for name, value in environment.items() if value}
    command = [sys.executable, "-m", "bot.cli", "serve", "--http", "--port", str(port)]
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=output,
        )
    return Server(process=process, url=f"http://127.0.0.1:{port}", log=log)


def wait_healthy(server: Server, timeout: float = 20.0, workers: int = 1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(
                f"server exited with {server.process.returncode}: {server.log.read_text()}"
            )
        try:
            if server.get("/healthz")[0] == 200 and len(server.workers()) >= workers:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not become healthy")


@contextmanager
def running_servers(
    fake: FakeSlack, db: Path | str, folder: Path, count: int = 2
) -> Iterator[list[Server]]:
    """`count` servers of one worker each, started together on `db`, healthy, then stopped."""
    started = [start_server(fake, db, folder / f"server{n}.log") for n in range(count)]
    try:
        for server in started:
            wait_healthy(server)
        yield started
    finally:
        for server in started:
            server.stop()
