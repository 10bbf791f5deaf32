"""Acknowledgement latency of `tokenbot serve --http` next to a bare Bolt app that only acks.

Run: .venv/bin/python benchmarks/slack_http.py [--requests N] [--workers W]

Both servers run as separate processes under the same gunicorn settings (gthread workers) on
127.0.0.1; this process is the client. It sends signed `/tokens estimate ...` and
`/tokens ask ...` slash commands (alternating) with 1, 8 and 32 concurrent clients, each on a
keep-alive connection, and reports throughput and p50/p99 time to the acknowledgement (the
full HTTP response, which for tokenbot carries the computed reply). A local fake Slack answers
the one `auth.test` each worker makes. Request counts are bounded; everything stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.bot.slack import slack_requests as rq  # noqa: E402
from tests.bot.slack.fake_slack import FakeSlack  # noqa: E402

CONCURRENCY = (1, 8, 32)
BODIES = (
    "estimate copilot=50 va=2000/day sta=20 tier=cx2",
    "ask why are my agents using 45 STA tokens?",
)


@dataclass(frozen=True)
class Result:
    target: str
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


# -- the bare server (run in a child process) -----------------------------------------------


def serve_bare(port: int, workers: int, api_url: str) -> None:
    """A Bolt app with one listener that only acks, under the same gunicorn settings."""
    from pydantic import SecretStr
    from slack_bolt import Ack, App
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from bot.settings import Settings
    from bot.slack.app import build_client
    from bot.slack.server import GunicornServer

    settings = Settings(
        bot_token=SecretStr("xoxb-bench"),
        signing_secret=SecretStr(rq.SECRET),
        slack_api_url=api_url,
    )

    def load() -> SlackRequestHandler:
        app = App(
            client=build_client(settings),
            signing_secret=rq.SECRET,
            token_verification_enabled=False,
        )

        @app.command("/tokens")
        def only_ack(ack: Ack) -> None:
            ack()

        return SlackRequestHandler(app)

    GunicornServer(load, host="127.0.0.1", port=port, workers=workers).run()  # type: ignore[arg-type]


# -- the client -----------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("POST", "/slack/events", body=b"", headers={})
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


def run_level(target: str, port: int, clients: int, total: int, hook: str) -> Result:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per_client = max(1, total // clients)

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        failed = 0
        for n in range(per_client):
            body = rq.command(BODIES[(number + n) % len(BODIES)], hook)
            headers = rq.sign(body, rq.FORM)
            started = time.perf_counter()
            try:
                connection.request("POST", "/slack/events", body=body.encode(), headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - started)
            failed += not ok
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return Result(target, clients, len(latencies), errors[0], seconds, latencies)


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=600, help="requests per level (bounded)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        serve_bare(args.bare_server, args.workers, args.api_url)
        return 0
    requests = min(max(args.requests, 32), 20_000)

    fake = FakeSlack().start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": rq.SECRET,
            "TOKENBOT_SLACK_API_URL": fake.api_url,
            "TOKENBOT_DB": str(Path(tmp) / "bench.db"),
        }
        ports = {"tokenbot": free_port(), "bare Bolt (ack only)": free_port()}
        processes = {
            "tokenbot": start(
                [
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "serve",
                    "--http",
                    "--port",
                    str(ports["tokenbot"]),
                    "--workers",
                    str(args.workers),
                ],
                env,
            ),
            "bare Bolt (ack only)": start(
                [
                    sys.executable,
                    __file__,
                    "--bare-server",
                    str(ports["bare Bolt (ack only)"]),
                    "--workers",
                    str(args.workers),
                    "--api-url",
                    fake.api_url,
                ],
                env,
            ),
        }
        results: list[Result] = []
        try:
            for name, process in processes.items():
                wait_ready(ports[name], process)
            for name in processes:  # warm up: auth.test, imports, first matcher calls
                run_level(name, ports[name], 4, 40, fake.hook_url())
            for clients in CONCURRENCY:
                for name in processes:
                    results.append(run_level(name, ports[name], clients, requests, fake.hook_url()))
        finally:
            for process in processes.values():
                stop(process)
            fake.stop()

    print(
        f"{os.cpu_count()} CPUs, {args.workers} gunicorn gthread workers per server, "
        f"{requests} requests per row, alternating /tokens estimate and /tokens ask"
    )
    print(f"{'server':<22} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for r in results:
        print(
            f"{r.target:<22} {r.clients:>7} {r.throughput:>8.0f} {r.percentile(0.5):>8.2f} "
            f"{r.percentile(0.99):>8.2f} {r.errors:>6}"
        )
    mean = statistics.mean(r.percentile(0.5) for r in results if r.target == "tokenbot")
    print(f"mean tokenbot p50 across levels: {mean:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
