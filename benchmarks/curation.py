"""What the curation loop costs: in the Slack app, and on the command line.

Run: .venv/bin/python benchmarks/curation.py [--runs N] [--drafts N]

* slack: signed requests through the WSGI application `tokenbot serve --http` serves
  (signature, replay check, Bolt), in-process, over a real sqlite file and a local fake Web API,
  with the work after the ack run at once, so each time is the ack plus everything it caused
  (in production the ack returns first): a channel message tokenbot ignores (what subscribing
  to `message.channels` adds for every message of every channel it is in), an Ask the experts
  click (claim, permalink, post, record), and an expert's thread reply (keep, relay).
* cli: wall time of fresh `tokenbot kb drafts`, `kb drafts --export` and `kb due` processes
  over a database holding N forwarded questions with two replies each (start-up included).
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

from bot.deps import Deps, load_knowledge  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.app import build_app  # noqa: E402
from bot.slack.buttons import ButtonValue  # noqa: E402
from bot.slack.wsgi import TokenbotWsgi  # noqa: E402
from bot.store import SqliteStore  # noqa: E402
from tests.bot.slack import slack_requests as rq  # noqa: E402
from tests.bot.slack.conftest import InlineExecutor, Timers, call_wsgi  # noqa: E402
from tests.bot.slack.fake_slack import FakeSlack  # noqa: E402

EXPERTS = "C0EXPERTS"
TOKENBOT = ROOT / ".venv" / "bin" / "tokenbot"


def report(label: str, seconds: list[float]) -> None:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(
        f"  {label:<44} median {statistics.median(ordered) * 1e3:8.2f} ms   "
        f"p99 {p99 * 1e3:8.2f} ms   ({len(ordered)} runs)"
    )


def timed(runs: int, call: Callable[[int], object]) -> list[float]:
    out = []
    for number in range(runs):
        start = time.perf_counter()
        call(number)
        out.append(time.perf_counter() - start)
    return out


def slack(runs: int, directory: Path) -> None:
    fake = FakeSlack(distinct_ts=True).start()
    knowledge = load_knowledge()
    store = SqliteStore(directory / "slack.db")
    try:
        settings = Settings(
            bot_token=SecretStr("xoxb-bench"),
            signing_secret=SecretStr(rq.SECRET),
            slack_api_url=fake.api_url,
            db=str(directory / "slack.db"),
            experts_channel=EXPERTS,
        )
        kb, index = knowledge
        deps = Deps(kb=kb, index=index, store=store, experts_channel=EXPERTS)
        app = build_app(settings, deps, executor=InlineExecutor(), schedule=Timers())
        wsgi = TokenbotWsgi(app, deps, rq.SECRET)

        def send(body: str, content_type: str) -> None:
            raw = body.encode()
            response = call_wsgi(wsgi, raw, rq.sign(raw, content_type))
            assert response.status == 200, response.body

        def ignored(number: int) -> None:
            message = rq.channel_message(f"lunch? {number}", ts=f"1700000000.{number:06d}")
            send(rq.event(message, event_id=f"EvIgnored{number}"), rq.JSON)

        questions = [
            store.record_question(
                text=f"unknown question {n}",
                entry_id=None,
                score=0.1,
                user_id=rq.USER,
                channel_id=rq.CHANNEL,
                thread_ts=f"1700000000.{n:06d}",
            )
            for n in range(runs)
        ]

        def click(number: int) -> None:
            value = ButtonValue(question_id=questions[number]).encode()
            send(
                rq.click("ask_experts", value, fake.hook_url("actions/1"), ephemeral=True), rq.FORM
            )

        def reply(number: int) -> None:
            # All in the thread of the first post: the first reply is relayed at once, the
            # rest are kept and queued for the rest of the minute.
            message = rq.channel_message(
                f"answer {number}", ts=f"1700000100.{number:06d}", channel=EXPERTS
            )
            message["thread_ts"] = "1700000001.000001"
            send(rq.event(message, event_id=f"EvReply{number}"), rq.JSON)

        print("slack (in-process WSGI, sqlite file, fake Web API)")
        report("channel message, ignored", timed(runs, ignored))
        fake.clear()
        report("Ask the experts click (claim, post, record)", timed(runs, click))
        posts = len(fake.calls_to("chat.postMessage"))
        fake.clear()
        report("expert's thread reply (keep; relay or queue)", timed(runs, reply))
        relays = len(fake.calls_to("chat.postMessage"))
        print(f"  posts to the experts: {posts} for {runs} clicks on {runs} questions")
        print(f"  relays: {relays} for {runs} replies to one question within the minute")
    finally:
        store.close()
        fake.stop()


def fill(path: Path, count: int) -> None:
    with SqliteStore(path) as store:
        for n in range(count):
            question = store.record_question(
                text=f"how are tokens billed for case {n} of the partner demo org?",
                entry_id=None,
                score=0.1,
                user_id=f"U0ASK{n % 50:04d}",
                channel_id=rq.CHANNEL,
                thread_ts=f"1700000000.{n:06d}",
            )
            claim = store.claim_forward(question, forwarded_by="U0ASK", experts_channel=EXPERTS)
            assert claim is not None
            store.forward_posted(claim.forward.id, f"1700000050.{n:06d}")
            for r in range(2):
                store.record_expert_reply(
                    claim.forward.id,
                    expert_id=f"U0EXP{r}",
                    text=f"See <https://help.genesys.cloud/articles/{n}|the page>: *{r}*",
                    ts=f"1700000100.{n:06d}{r}",
                )


def cli(runs: int, count: int, directory: Path) -> None:
    database = directory / "drafts.db"
    fill(database, count)
    env = {**os.environ, "TOKENBOT_DB": str(database)}
    print(f"cli (fresh processes; {count} forwarded questions, 2 replies each)")
    for label, args in (
        ("tokenbot kb drafts", ["kb", "drafts"]),
        ("tokenbot kb drafts --json", ["kb", "drafts", "--json"]),
        ("tokenbot kb drafts --export DIR", ["kb", "drafts", "--export", "EXPORT"]),
        ("tokenbot kb due", ["kb", "due"]),
    ):

        def run(number: int, args: list[str] = args) -> None:
            argv = [a.replace("EXPORT", str(directory / f"export{number}")) for a in args]
            subprocess.run([str(TOKENBOT), *argv], env=env, check=True, stdout=subprocess.DEVNULL)

        report(label, timed(runs, run))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="requests per Slack measurement")
    parser.add_argument("--cli-runs", type=int, default=5, help="processes per command")
    parser.add_argument("--drafts", type=int, default=1000, help="forwarded questions stored")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        slack(args.runs, Path(directory))
        cli(args.cli_runs, args.drafts, Path(directory))


if __name__ == "__main__":
    main()
