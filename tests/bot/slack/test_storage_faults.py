"""A database that is away costs a line in the reply, never the answer.

The store is a real sqlite file; each fault is one sqlite itself produces: a size cap
(`PRAGMA max_page_count`: "database or disk is full"), a read-only connection, another
connection holding the write lock, and the file deleted under the running app.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.deps import Deps
from bot.errors import StorageUnavailableError
from bot.store import SqliteStore, Store, open_store
from tests.bot.slack import slack_requests as rq
from tests.bot.slack.conftest import Driver, MakeDriver, all_text, button

QUESTION = "how many tokens does an STA user use per month?"


def disk_full(store: Store, db: Path) -> None:
    """No page may be added to the file, and every table's pages are filled to the brim."""
    conn = store._conn  # the cap is per connection: set it on the app's own
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    count = itertools.count()
    fillers: list[Callable[[int], object]] = [
        lambda n: store.record_question(
            text="x" * n, entry_id=None, score=0.0, user_id="UFILL", channel_id="C"
        ),
        lambda n: store.save_estimate(
            user_id="UFILL",
            channel_id="C",
            input_text="x" * n,
            card="list",
            result_for=lambda ref: {"reference": ref},
        ),
        lambda n: store.record_feedback(
            entry_id=f"e{next(count)}", question="x" * n, helpful=True, user_id="UFILL"
        ),
        lambda n: store.claim_event(f"Ev{next(count)}" + "x" * n),
        lambda n: store.claim_signature(next(count), "v0=" + "x" * n),
    ]
    for fill in fillers:
        for size in (4000, 1000, 200, 20, 1):
            with contextlib.suppress(StorageUnavailableError):
                for _ in range(2000):
                    fill(size)


def read_only(store: Store, db: Path) -> None:
    store._conn.execute("PRAGMA query_only = ON")  # what a read-only mount answers


def vanished(store: Store, db: Path) -> None:
    for path in db.parent.glob(db.name + "*"):
        path.unlink()


FAULTS: dict[str, Callable[[Store, Path], None]] = {
    "disk-full": disk_full,
    "read-only": read_only,
    "vanished": vanished,
}
SAID = {
    "disk-full": "the disk holding the database is full",
    "read-only": "the database is read-only",
    "vanished": "the database file was removed or replaced",
    "locked": "the database stayed locked by another process for too long",
}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "tokenbot.db"


@pytest.fixture
def file_store(db: Path) -> Iterator[Store]:
    with SqliteStore(db, busy_timeout_ms=100) as store:
        yield store


@pytest.fixture
def on_file(make_driver: MakeDriver, deps: Deps, file_store: Store) -> Driver:
    return make_driver(Deps(kb=deps.kb, index=deps.index, store=file_store))


@pytest.fixture(params=[*FAULTS, "locked"])
def fault(request: pytest.FixtureRequest, file_store: Store, db: Path) -> Iterator[str]:
    """Break the database one way; the name says how."""
    name: str = request.param
    if name == "locked":
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        yield name
        other.close()
    else:
        FAULTS[name](file_store, db)
        yield name


class TestAnswersWithoutTheDatabase:
    def test_an_estimate_is_still_shown_without_a_reference(
        self, on_file: Driver, fault: str
    ) -> None:
        reply = on_file.command_reply("estimate copilot=50 va=2000/day")
        assert reply["text"].startswith("Token estimate (not saved): ")
        text = all_text(reply)
        assert "2,000" in text or "2000" in text
        last = reply["blocks"][-1]["elements"][0]["text"]
        assert last.startswith(f":warning: Not saved ({SAID[fault]}")
        assert "no reference" in last
        assert "For a ticket" not in text  # a ticket needs a stored reference

    def test_a_question_is_still_answered(self, on_file: Driver, fault: str) -> None:
        reply = on_file.command_reply(f"ask {QUESTION}")
        assert "STA" in all_text(reply)
        last = reply["blocks"][-1]["elements"][0]["text"]
        assert last.startswith(f":warning: Not saved ({SAID[fault]}")
        assert last.endswith("this question was not logged.")

    def test_a_mention_is_still_answered_in_its_thread(self, on_file: Driver, fault: str) -> None:
        on_file.event(rq.mention(QUESTION), event_id=f"EvFAULT{fault}")
        [post] = on_file.fake.calls_to("chat.postMessage")
        assert post.body["thread_ts"] == "1700000000.000100"
        assert "STA" in all_text(post.body)
        assert "was not logged" in all_text(post.body)

    def test_a_vote_says_it_was_not_saved(
        self, on_file: Driver, file_store: Store, db: Path
    ) -> None:
        on_file.event(rq.mention(QUESTION))
        post = on_file.fake.calls_to("chat.postMessage")[-1].body
        read_only(file_store, db)
        on_file.click("feedback_helpful", button(post, "feedback_helpful")["value"])
        [reply] = on_file.fake.calls_to("chat.postEphemeral")
        assert "was not saved (the database is read-only)" in reply.body["text"]

    def test_the_home_tab_is_still_published(
        self, on_file: Driver, file_store: Store, db: Path
    ) -> None:
        vanished(file_store, db)
        event = {"type": "app_home_opened", "user": rq.USER, "tab": "home"}
        on_file.event(event, event_id="EvHOME")
        [published] = on_file.fake.calls_to("views.publish")
        assert "cannot be read now" in all_text(published.body["view"])

    def test_show_says_what_is_wrong(self, on_file: Driver, file_store: Store, db: Path) -> None:
        vanished(file_store, db)
        reply = on_file.command_reply("show E-7K2QM9TX")
        assert "removed or replaced" in reply["text"]
        assert str(db) not in all_text(reply)  # shown in Slack: no file names

    def test_the_fault_is_logged_once_for_many_requests(
        self, on_file: Driver, file_store: Store, db: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.WARNING)
        read_only(file_store, db)
        for n in range(3):
            on_file.command_reply("estimate copilot=5")
            on_file.command_reply(f"ask {QUESTION}")
            on_file.event(rq.mention(QUESTION), event_id=f"EvLOG{n}")
        logged = [r for r in caplog.records if "cannot be used" in r.getMessage()]
        assert len(logged) == 1
        assert not any(record.exc_info for record in caplog.records)


class TestPostgresqlAway:
    """The same rule on PostgreSQL: a server that is away (nothing listens) costs a line."""

    @pytest.fixture
    def away(self, make_driver: MakeDriver, deps: Deps) -> Iterator[Driver]:
        store = open_store("postgresql://tokenbot:pw@127.0.0.1:1/tokenbot", lazy=True)
        yield make_driver(Deps(kb=deps.kb, index=deps.index, store=store))
        store.close()

    def test_an_estimate_is_still_shown(self, away: Driver) -> None:
        reply = away.command_reply("estimate copilot=50 va=2000/day")
        assert reply["text"].startswith("Token estimate (not saved): ")
        last = reply["blocks"][-1]["elements"][0]["text"]
        assert last.startswith(":warning: Not saved (the database server cannot be reached")

    def test_a_question_and_a_mention_are_still_answered(self, away: Driver) -> None:
        reply = away.command_reply(f"ask {QUESTION}")
        assert "STA" in all_text(reply)
        last = reply["blocks"][-1]["elements"][0]["text"]
        assert last == (
            ":warning: Not saved (the database server cannot be reached): "
            "this question was not logged."
        )
        away.event(rq.mention(QUESTION), event_id="EvPGAWAY")
        [post] = away.fake.calls_to("chat.postMessage")
        assert "STA" in all_text(post.body)
