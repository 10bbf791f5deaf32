"""`/tokens estimate` on sqlite and on PostgreSQL, side by side: throughput and p99 ack.

Run: .venv/bin/python benchmarks/stores.py [--seconds 20] [--clients 8,32] [--workers 2]
     [--pg-url postgresql://...]

For each backend, starts `tokenbot serve --http` (gunicorn gthread workers) on 127.0.0.1
against a local fake Slack and a fresh database: a temporary sqlite file, then a new database
on the PostgreSQL server given by `--pg-url` (or `TOKENBOT_TEST_PG_URL`); without either, a
throwaway server is started with `scripts/pg` (fsync on, as in production) and stopped at the
end. For each level, that many client threads send signed `/tokens estimate` commands back to
back (each stores an estimate: two writes per request, the replay check and the estimate) for
the given seconds. It prints requests, throughput, p50/p99/max acknowledgement time, errors
and "Not saved" replies per backend and level, then the rows each database holds. Everything
stops by itself; the client shares the machine's CPUs with the servers and the database.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.slack_http import (  # noqa: E402
    MAX_SECONDS,
    Level,
    free_port,
    run_level,
    start,
    stop,
    wait_ready,
)
from bot.store import open_store  # noqa: E402
from tests.bot.slack import slack_requests as rq  # noqa: E402
from tests.bot.slack.fake_slack import FakeSlack  # noqa: E402

ESTIMATE = ("estimate copilot=50 va=2000/day sta=20 tier=cx2",)


def throwaway_server(folder: Path) -> str:
    """A PostgreSQL server of our own (durable settings), via scripts/pg."""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "pg"), "start", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"could not start PostgreSQL: {done.stderr.strip()}")
    return done.stdout.strip()


def new_database(admin_url: str) -> str:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    name = f"tokenbot_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    params = conninfo_to_dict(admin_url)
    return (
        f"postgresql://{params['user']}:{params.get('password', '')}@{params['host']}:"
        f"{params['port']}/{name}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="seconds per level")
    parser.add_argument("--clients", default="8,32", help="concurrent clients per level")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--pg-url", help="a PostgreSQL server to create the database on")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 1.0), MAX_SECONDS)
    levels = [int(part) for part in args.clients.split(",") if part.strip()]

    fake = FakeSlack().start()
    results: list[Level] = []
    rows: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # Its own folder under /tmp: as root, the server runs as `postgres`, who must reach it.
        pg_folder = Path(tempfile.mkdtemp(prefix="tokenbot-bench-pg-"))
        admin = args.pg_url or os.environ.get("TOKENBOT_TEST_PG_URL")
        own = admin is None
        try:
            if admin is None:
                admin = throwaway_server(pg_folder)
            targets = {"sqlite": str(Path(tmp) / "bench.db"), "postgresql": new_database(admin)}
            for name, target in targets.items():
                env = {
                    "PATH": os.environ.get("PATH", ""),
                    "SLACK_BOT_TOKEN": "xoxb-bench",
                    "SLACK_SIGNING_SECRET": rq.SECRET,
                    "TOKENBOT_SLACK_API_URL": fake.api_url,
                    "TOKENBOT_DB": target,
                }
                port = free_port()
                command = [sys.executable, "-m", "bot.cli", "serve", "--http"]
                process = start(
                    [*command, "--workers", str(args.workers), "--port", str(port)], env
                )
                try:
                    wait_ready(port, process, args.workers)
                    run_level(name, port, 4, 1.0, fake.hook_url(), ESTIMATE)  # warm up
                    for clients in levels:
                        level = run_level(name, port, clients, seconds, fake.hook_url(), ESTIMATE)
                        results.append(level)
                finally:
                    stop(process)
                with open_store(target) as store:
                    rows[name] = sum(1 for _ in store.rows("estimates"))
        finally:
            fake.stop()
            if own:
                subprocess.run(["bash", str(ROOT / "scripts" / "pg"), "stop", str(pg_folder)])
            shutil.rmtree(pg_folder, ignore_errors=True)

    print(
        f"{os.cpu_count()} CPUs, {args.workers} gunicorn gthread workers per server, "
        f"{seconds:g} s per level, signed /tokens estimate (each stored)"
    )
    print(
        f"{'store':<11} {'clients':>7} {'requests':>8} {'req/s':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'errors':>6} {'not saved':>9}"
    )
    for clients in levels:
        for r in (r for r in results if r.clients == clients):
            print(
                f"{r.target:<11} {r.clients:>7} {r.requests:>8} {r.requests / r.seconds:>7.0f} "
                f"{r.percentile(0.5):>7.1f} {r.percentile(0.99):>7.1f} "
                f"{max(r.latencies) * 1000:>7.1f} {r.errors:>6} {r.not_saved:>9}"
            )
    print("estimates stored: " + ", ".join(f"{name} {count}" for name, count in rows.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
