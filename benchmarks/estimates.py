"""How long an estimate takes on each surface: the pure core, the Slack form, the command line.

Run: .venv/bin/python benchmarks/estimates.py [--runs N]

* core: `estimate()` and `compare()` on the study notes' mid-market line, in-process.
* slack: the estimate form through the real Bolt app (signed requests dispatched in-process,
  a local fake Web API, a real sqlite file): `/tokens estimate` (which calls `views.open`),
  a `view_submission` (estimate, store, post the reply to the response URL), and the Edit click.
* cli: wall time of a fresh `tokenbot estimate` process, stored and with `--no-save`, and of
  `tokenbot compare` (start-up included: what a user waits for).
Nothing here asserts a number; it prints them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402
from slack_bolt import BoltRequest  # noqa: E402

from bot.deps import build_deps  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.app import build_app  # noqa: E402
from bot.slack.modals import quantity_block  # noqa: E402
from calculators.compare import compare  # noqa: E402
from calculators.estimate import estimate  # noqa: E402
from knowledge.loader import load_cards  # noqa: E402
from tests.bot.slack import slack_requests as rq  # noqa: E402
from tests.bot.slack.fake_slack import FakeSlack  # noqa: E402
from tests.bot.slack.test_forms import submission  # noqa: E402

MID_MARKET = "copilot=200 scoring=500/day messaging=5000 voicebot=1000x5min va=200/day users=200"
TOKENBOT = ROOT / ".venv" / "bin" / "tokenbot"


def timed(runs: int, call: Callable[[], object]) -> list[float]:
    """Seconds per call, `runs` times."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def report(label: str, seconds: list[float], unit: str = "ms") -> None:
    scale = 1e6 if unit == "us" else 1e3
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(
        f"  {label:<50} median {statistics.median(seconds) * scale:8.1f} {unit}   "
        f"p99 {p99 * scale:8.1f} {unit}   (n={len(seconds)})"
    )


def core(runs: int) -> None:
    cards = load_cards()
    print("core (in-process):")
    report("estimate() mid-market line", timed(runs, lambda: estimate(MID_MARKET, cards)), "us")
    report(
        "compare() list beside study notes", timed(runs, lambda: compare(MID_MARKET, cards)), "us"
    )


def slack(runs: int, folder: Path) -> None:
    fake = FakeSlack().start()
    try:
        settings = Settings(
            bot_token=SecretStr("xoxb-bench"),
            signing_secret=SecretStr(rq.SECRET),
            slack_api_url=fake.api_url,
            db=str(folder / "bench.db"),
        )
        deps = build_deps(settings)
        app = build_app(settings, deps, process_before_response=True)

        def send(body: str) -> None:
            response = app.dispatch(BoltRequest(body=body, headers=rq.sign(body, rq.FORM)))
            assert response.status == 200, response.body

        opening = rq.command("estimate", fake.hook_url())
        send(opening)
        view = fake.calls_to("views.open")[-1].body["view"]
        filled = submission(view, {quantity_block("copilot"): 50, quantity_block("va"): 2000})
        edit = rq.click(
            "edit_estimate",
            '{"c":"estimate copilot=50 va=2000/day"}',
            fake.hook_url("actions/T0001/2/xyz"),
            ephemeral=True,
        )
        print("slack (Bolt app in-process, fake Web API on 127.0.0.1, sqlite file):")
        report("/tokens estimate -> views.open", timed(runs, lambda: send(opening)))
        report(
            "view_submission -> estimate stored, reply posted", timed(runs, lambda: send(filled))
        )
        report("Edit click -> views.open pre-filled", timed(runs, lambda: send(edit)))
        deps.store.close()
    finally:
        fake.stop()


def cli(runs: int, folder: Path) -> None:
    env = {**os.environ, "TOKENBOT_DB": str(folder / "cli.db"), "COLUMNS": "80"}
    terms = MID_MARKET.split()

    def run(*argv: str) -> None:
        subprocess.run([str(TOKENBOT), *argv], env=env, check=True, capture_output=True)

    print("cli (a fresh process each time, start-up included):")
    report("tokenbot estimate (stored)", timed(runs, lambda: run("estimate", *terms)))
    report("tokenbot estimate --no-save", timed(runs, lambda: run("estimate", "--no-save", *terms)))
    report("tokenbot compare", timed(runs, lambda: run("compare", *terms)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per measurement (default 20)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        core(args.runs * 10)
        slack(args.runs * 5, Path(tmp))
        cli(args.runs, Path(tmp))


if __name__ == "__main__":
    main()
