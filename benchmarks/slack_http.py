"""Load on `tokenbot serve --http`: acknowledgement latency, errors and memory under concurrency.

Run: .venv/bin/python benchmarks/slack_http.py [--seconds 20] [--clients 8,32] [--workers 2]
     [--bare]

Starts `tokenbot serve --http` (gunicorn gthread workers) on 127.0.0.1 against a local fake
Slack, with a fresh database file. This process is the client: for each level, that many
threads each keep one connection alive and send signed `/tokens estimate ...` and
`/tokens ask ...` slash commands back to back (alternating, each with its own trigger id, as
Slack sends them) for the given number of seconds. It prints requests, throughput, p50/p99/max
time to the acknowledgement (the full HTTP response, which carries the computed reply), the
errors (anything but a 200, or no answer) and the replies that said "Not saved"; then the
resident memory (VmRSS) of the gunicorn master and each worker after warm-up and at the end.
`--bare` runs the same load against a bare Bolt app that only acks, for comparison. Nothing
runs longer than the levels asked for; everything stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
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
from tests.bot.slack.server_process import free_port  # noqa: E402

BODIES = (
    "estimate copilot=50 va=2000/day sta=20 tier=cx2",
    "ask why are my agents using 45 STA tokens?",
)
WARM_UP_REQUESTS = 40
MAX_SECONDS = 300


@dataclass(frozen=True)
class Level:
    target: str
    clients: int
    seconds: float
    latencies: list[float]
    errors: int
    not_saved: int

    @property
    def requests(self) -> int:
        return len(self.latencies)

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
    from bot.slack.server import GunicornServer
    from bot.slack.webapi import build_client

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


# -- processes ------------------------------------------------------------------------------


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


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory(process: subprocess.Popen[bytes]) -> dict[str, float]:
    """VmRSS in MiB of the master and of each worker."""
    found = {"master": rss_mib(process.pid)}
    for n, pid in enumerate(children(process.pid)):
        found[f"worker {n + 1}"] = rss_mib(pid)
    return found


def wait_ready(port: int, process: subprocess.Popen[bytes], workers: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            status = connection.getresponse().status
            connection.close()
            if status in (200, 404) and len(children(process.pid)) >= workers:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


# -- the client -----------------------------------------------------------------------------


def run_level(
    target: str,
    port: int,
    clients: int,
    seconds: float,
    hook: str,
    bodies: tuple[str, ...] = BODIES,
) -> Level:
    latencies: list[float] = []
    counts = {"errors": 0, "not_saved": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        errors = not_saved = 0
        n = 0
        while time.monotonic() < stop_at:
            body = rq.command(bodies[(number + n) % len(bodies)], hook).encode()
            headers = rq.sign(body, rq.FORM)
            n += 1
            started = time.perf_counter()
            try:
                connection.request("POST", "/slack/events", body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                ok = response.status == 200
                not_saved += b"Not saved" in answer
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - started)
            errors += not ok
        connection.close()
        with lock:
            latencies.extend(mine)
            counts["errors"] += errors
            counts["not_saved"] += not_saved

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return Level(target, clients, elapsed, latencies, counts["errors"], counts["not_saved"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="seconds per level")
    parser.add_argument("--clients", default="8,32", help="concurrent clients per level")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--bare", action="store_true", help="also load a bare Bolt app")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        serve_bare(args.bare_server, args.workers, args.api_url)
        return 0
    seconds = min(max(args.seconds, 1.0), MAX_SECONDS)
    levels = [int(part) for part in args.clients.split(",") if part.strip()]

    fake = FakeSlack().start()
    results: list[Level] = []
    memories: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": rq.SECRET,
            "TOKENBOT_SLACK_API_URL": fake.api_url,
            "TOKENBOT_DB": str(Path(tmp) / "bench.db"),
        }
        serve = [sys.executable, "-m", "bot.cli", "serve", "--http"]
        targets = {"tokenbot": [*serve, "--workers", str(args.workers)]}
        if args.bare:
            targets["bare Bolt (ack only)"] = [
                sys.executable,
                __file__,
                "--workers",
                str(args.workers),
                "--api-url",
                fake.api_url,
                "--bare-server",
            ]
        try:
            for name, command in targets.items():
                port = free_port()
                if name == "tokenbot":
                    command = [*command, "--port", str(port)]
                else:
                    command = [*command, str(port)]
                process = start(command, env)
                try:
                    wait_ready(port, process, args.workers)
                    run_level(name, port, 4, 1.0, fake.hook_url())  # warm up every worker
                    at_start = memory(process)
                    for clients in levels:
                        results.append(run_level(name, port, clients, seconds, fake.hook_url()))
                    memories[name] = (at_start, memory(process))
                finally:
                    stop(process)
        finally:
            fake.stop()

    print(
        f"{os.cpu_count()} CPUs, {args.workers} gunicorn gthread workers, {seconds:g} s per "
        "level, alternating signed /tokens estimate and /tokens ask"
    )
    print(
        f"{'server':<22} {'clients':>7} {'requests':>8} {'req/s':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'errors':>6} {'not saved':>9}"
    )
    for r in results:
        print(
            f"{r.target:<22} {r.clients:>7} {r.requests:>8} {r.requests / r.seconds:>7.0f} "
            f"{r.percentile(0.5):>7.1f} {r.percentile(0.99):>7.1f} {max(r.latencies) * 1000:>7.1f} "
            f"{r.errors:>6} {r.not_saved:>9}"
        )
    print("resident memory (VmRSS, MiB) after warm-up -> at the end")
    for name, (before, after) in memories.items():
        cells = ", ".join(
            f"{who} {before[who]:.1f} -> {after.get(who, float('nan')):.1f}" for who in before
        )
        print(f"  {name}: {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
