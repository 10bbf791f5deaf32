"""`tokenbot show`, `forget` and `report`: the database on a terminal, no Slack token needed."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.store import SqliteStore
from bot.store.snapshots import EstimateSnapshot
from calculators.estimate import estimate
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index
from tests.bot.store.test_faults import another_apps_file, damage_past_the_first_page

MADE = dt.datetime(2026, 11, 20, 15, 45, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "TOKENBOT_DB", "TOKENBOT_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "tokenbot.db"
    monkeypatch.setenv("TOKENBOT_DB", str(path))
    with SqliteStore(path):
        pass
    return path


def save(path: Path, knowledge: tuple[KnowledgeBase, Index], terms: str, user: str = "U1") -> str:
    result = estimate(terms, knowledge[0].cards)
    with SqliteStore(path, clock=lambda: MADE) as store:
        return store.save_estimate(
            user_id=user,
            channel_id="C1",
            input_text=terms,
            card=result.card.name,
            result_for=lambda ref: EstimateSnapshot.from_estimate(
                result, reference=ref, input_text=terms
            ).to_json(),
        )


class TestShow:
    def test_prints_the_stored_estimate_with_its_card_and_date(
        self, db: Path, knowledge: tuple[KnowledgeBase, Index], capsys: pytest.CaptureFixture[str]
    ) -> None:
        reference = save(db, knowledge, "copilot=50 va=2000/day")
        assert main(["show", reference.lower()]) == 0
        out = capsys.readouterr().out
        card = knowledge[0].default_card
        assert f"Estimate {reference}, made 2026-11-20 15:45 UTC" in out
        assert f"({card.name}), {card.dated()}" in out
        assert "rates as captured 2026-06-07" in out
        assert "Input: copilot=50 va=2000/day" in out
        assert "Billable tokens" in out

    def test_json_is_the_stored_snapshot(
        self, db: Path, knowledge: tuple[KnowledgeBase, Index], capsys: pytest.CaptureFixture[str]
    ) -> None:
        reference = save(db, knowledge, "copilot=50")
        assert main(["show", "--json", reference]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["reference"] == reference
        assert data["estimate"]["total_tokens"] == 2000

    def test_an_estimate_stored_by_the_first_schema_version_is_shown(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "old.db"
        shutil.copyfile(Path(__file__).parents[1] / "store" / "data" / "tokenbot-v1.db", path)
        monkeypatch.setenv("TOKENBOT_DB", str(path))
        assert main(["show", "E-7K2Q"]) == 0
        out = capsys.readouterr().out
        assert "Estimate E-7K2Q, made 2026-10-05 09:30 UTC" in out
        assert re.search(r"^Billable tokens +1,750$", out, re.MULTILINE)

    def test_an_unknown_reference_says_no_estimate(
        self, db: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["show", "E-ZZZZ"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("tokenbot: no estimate E-ZZZZ")
        assert err.count("\n") == 1

    def test_a_missing_database_is_not_created(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "nowhere.db"
        monkeypatch.setenv("TOKENBOT_DB", str(path))
        assert main(["show", "E-7K2Q"]) == 1
        assert str(path) in capsys.readouterr().err
        assert not path.exists()


class TestShowTicket:
    def test_the_ticket_carries_the_whole_truth(
        self, db: Path, knowledge: tuple[KnowledgeBase, Index], capsys: pytest.CaptureFixture[str]
    ) -> None:
        reference = save(db, knowledge, "copilot=50 va=2000/day summaries=100 tier=cx2")
        assert main(["show", "--ticket", reference]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"Token estimate {reference}\n")
        for said in (
            "Rate card: Genesys Cloud AI Experience token list rates (list), rates as captured",
            "Input: copilot=50 va=2000/day summaries=100 tier=cx2",
            "- Agent Copilot: 50 named users x 40 = 2,000 tokens (rate: 40 per named user per "
            "month, staff)",
            "- Virtual Agent: 2,000/day x 20 working days = 40,000 interactions = 20,000 tokens",
            "Totals: Total tokens 22,002; Free allocation 250; Billable tokens 21,752; "
            "Cost (list price) USD 21,752.00",
            "the AI summaries line may overstate",
            "- named organization (no concurrent=)",
            "- 20 working days per month",
            "- tier CX 2 (tier=)",
            "- each line rounded half-up to whole tokens; total = sum of the lines",
            "List rates; the customer's contract and invoice govern.",
            f"Reference: {reference}",
        ):
            assert said in out
        assert "Slack:" not in out

    def test_an_incomplete_estimate_says_so_before_the_lines(
        self, db: Path, knowledge: tuple[KnowledgeBase, Index], capsys: pytest.CaptureFixture[str]
    ) -> None:
        reference = save(db, knowledge, "sta=36 concurrent=40")
        assert main(["show", "--ticket", reference]) == 0
        out = capsys.readouterr().out
        assert out.index("INCOMPLETE: no rate for") < out.index("Lines:")
        assert "Total tokens unknown" in out
        assert "0.00" not in out

    def test_an_estimate_stored_by_the_first_schema_version_has_a_ticket(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "old.db"
        shutil.copyfile(Path(__file__).parents[1] / "store" / "data" / "tokenbot-v1.db", path)
        monkeypatch.setenv("TOKENBOT_DB", str(path))
        assert main(["show", "--ticket", "E-7K2Q"]) == 0
        out = capsys.readouterr().out
        assert "Billable tokens 1,750" in out
        assert "List rates; the customer's contract and invoice govern." in out


class TestForget:
    def test_removes_the_users_rows_and_says_how_many(
        self, db: Path, knowledge: tuple[KnowledgeBase, Index], capsys: pytest.CaptureFixture[str]
    ) -> None:
        save(db, knowledge, "copilot=5", user="U0GONE01")
        kept = save(db, knowledge, "copilot=6", user="U0STAY01")
        with SqliteStore(db) as store:
            store.record_question(
                text="q", entry_id=None, score=0.1, user_id="U0GONE01", channel_id="C1"
            )
            store.record_feedback(entry_id="e", question="q", helpful=False, user_id="U0GONE01")
            asked = store.record_question(
                text="forwarded", entry_id=None, score=0.1, user_id="U0GONE01", channel_id="C1"
            )
            claim = store.claim_forward(asked, forwarded_by="U0GONE01", experts_channel="C0EXP")
            assert claim is not None
            store.forward_posted(claim.forward.id, "1.0")
            other = store.record_question(
                text="theirs", entry_id=None, score=0.1, user_id="U0STAY01", channel_id="C1"
            )
            theirs = store.claim_forward(other, forwarded_by="U0STAY01", experts_channel="C0EXP")
            assert theirs is not None
            store.forward_posted(theirs.forward.id, "2.0")
            store.record_expert_reply(
                theirs.forward.id, expert_id="U0GONE01", text="my answer", ts="2.1"
            )

        assert main(["forget", "U0GONE01"]) == 0

        out = capsys.readouterr().out
        assert out == (
            "Removed for U0GONE01: 1 estimates, 2 questions, 1 feedback votes, 1 questions "
            "forwarded to the experts and 1 replies written as an expert; their question text "
            "from 0 votes by other users.\n"
        )
        with SqliteStore(db) as store:
            assert store.recent_estimates("U0GONE01") == []
            assert [q.text for q in store.questions()] == ["theirs"]
            assert store.get_estimate(kept) is not None
            [draft] = store.drafts()
            assert (draft.question, draft.replies) == ("theirs", ())


class TestReport:
    @pytest.fixture
    def filled(self, db: Path) -> Path:
        with SqliteStore(db, clock=lambda: MADE) as store:
            for user in ("U1", "U2"):
                store.record_question(
                    text="can I pay tokens with pizza?",
                    entry_id=None,
                    score=0.1,
                    user_id=user,
                    channel_id="C1",
                )
                store.record_feedback(
                    entry_id="overage-price", question="pizza?", helpful=False, user_id=user
                )
        return db

    def test_gaps_text_lists_the_grouped_question(
        self, filled: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["report", "gaps"]) == 0
        out = capsys.readouterr().out
        assert "Gaps: 2 of 2 questions, in 1 groups" in out
        assert "2 x  can I pay tokens with pizza?" in out
        assert "closest: " in out

    def test_gaps_json_in_a_period_without_questions_is_empty(
        self, filled: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["report", "gaps", "--json", "--since", "2026-11-21"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert (data["report"], data["groups"]) == ("gaps", [])
        assert data["period"]["since"] == "2026-11-21"

    def test_feedback_json_ranks_entries(
        self, filled: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["report", "feedback", "--json"]) == 0
        [entry] = json.loads(capsys.readouterr().out)["entries"]
        assert (entry["entry_id"], entry["not_helpful"]) == ("overage-price", 2)
        assert entry["asked"] == [["pizza?", 2]]

    def test_usage_text_has_a_row_per_week(
        self, filled: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["report", "usage"]) == 0
        out = capsys.readouterr().out
        assert "2026-W47  2026-11-16          2          0      2" in out

    def test_a_bad_date_is_a_usage_error(
        self, filled: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with pytest.raises(SystemExit) as exited:
            main(["report", "gaps", "--since", "last week"])
        assert exited.value.code == 2
        assert "expected YYYY-MM-DD" in capsys.readouterr().err

    def test_expired_question_texts_are_purged_first(
        self, filled: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("TOKENBOT_RETENTION_DAYS", "1")
        assert main(["report", "gaps", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["questions"] == 0
        with SqliteStore(filled) as store:
            assert [q.text for q in store.questions()] == [None, None]


def _garbage(path: Path) -> None:
    path.write_bytes(b"definitely not a database\n" * 100)


def _damaged(path: Path) -> None:
    with SqliteStore(path) as store:
        for n in range(300):
            store.record_question(
                text=f"question {n} " + "x" * 400,
                entry_id=None,
                score=0.1,
                user_id="U1",
                channel_id="C1",
            )
    damage_past_the_first_page(path)


def _read_only(path: Path) -> None:
    with SqliteStore(path) as store:
        store.record_question(text="q", entry_id=None, score=0.1, user_id="U1", channel_id="C1")
    path.chmod(0o444)


class TestFilesThatAreNotUsable:
    """Not a database, another application's, damaged past its first page, read-only."""

    @pytest.fixture(
        params=[_garbage, another_apps_file, _damaged, _read_only], ids=lambda f: f.__name__
    )
    def bad(
        self, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[tuple[Path, bytes]]:
        path = tmp_path / "tokenbot.db"
        request.param(path)
        for leftover in tmp_path.glob("tokenbot.db-*"):
            leftover.unlink()
        monkeypatch.setenv("TOKENBOT_DB", str(path))
        yield path, path.read_bytes()
        path.chmod(0o644)

    @pytest.mark.parametrize(
        "args", [["show", "E-7K2QM9TX"], ["forget", "U1"], ["report", "usage"]]
    )
    def test_one_line_naming_the_file_and_exit_1(
        self, args: list[str], bad: tuple[Path, bytes], capsys: pytest.CaptureFixture[str]
    ) -> None:
        path, data = bad
        assert main(args) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert str(path) in err
        assert "Traceback" not in err
        assert path.read_bytes() == data

    @pytest.mark.parametrize("args", [["show", "E-7K2QM9TX"], ["report", "usage"]])
    def test_another_applications_file_is_left_byte_for_byte(
        self, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "theirs.db"
        another_apps_file(path)
        data = path.read_bytes()
        monkeypatch.setenv("TOKENBOT_DB", str(path))
        assert main(args) == 1
        assert path.read_bytes() == data
        assert sorted(p.name for p in tmp_path.iterdir()) == ["theirs.db"]

    def test_serve_stops_at_start_up(
        self,
        bad: tuple[Path, bytes],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        path, data = bad
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
        monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
        assert main(["serve"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("tokenbot serve: ")
        assert str(path) in err
        assert err.count("\n") == 1, err
        assert path.read_bytes() == data
