"""`tokenbot db migrate` and `tokenbot db copy`: moving up to PostgreSQL loses no ticket link."""

from __future__ import annotations

import dataclasses
import re
import shutil
import sqlite3
from pathlib import Path

import psycopg
import pytest

from bot.cli.main import main
from bot.store import COPIED_TABLES, SqliteStore, open_store
from bot.store.base import migrations

V1_FIXTURE = Path(__file__).parents[1] / "store" / "data" / "tokenbot-v1.db"
LATEST = len(migrations("sqlite"))


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TOKENBOT_DB", "TOKENBOT_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """The first release's database (upgraded on opening), with rows of every kind added."""
    path = tmp_path / "tokenbot.db"
    shutil.copyfile(V1_FIXTURE, path)
    with SqliteStore(path) as store:
        for n in range(30):
            store.save_estimate(
                user_id=f"U{n % 3}",
                channel_id="C1",
                input_text=f"copilot={n}",
                card="list",
                result_for=lambda ref: {"reference": ref, "note": "naïve ✓", "n": 1.5},
            )
        asked = store.record_question(
            text="voice bot rate?",
            entry_id="e",
            score=0.8,
            user_id="UB",
            channel_id="C1",
            thread_ts="1700000000.000100",
        )
        store.record_feedback(
            entry_id="e", question="voice bot rate?", helpful=True, user_id="UA", question_id=asked
        )
        store.claim_event("EvDONE")
        store.finish_event("EvDONE")
        store.claim_event("EvOPEN")
        store.claim_signature(1_800_000_000, "v0=aa")
        forward = store.claim_forward(asked, forwarded_by="UA", experts_channel="C0EXPERTS")
        assert forward is not None
        store.forward_posted(forward.forward.id, "1700000050.000100")
        store.record_expert_reply(
            forward.forward.id, expert_id="UEXPERT", text="8 turns a session", ts="1700000060.1"
        )
    return path


def _references(target: str) -> list[str]:
    with open_store(target) as store:
        return [row["reference"] for row in store.rows("estimates")]


class TestMigrate:
    def test_a_new_sqlite_file_is_created_at_the_latest_version(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        db = tmp_path / "new.db"
        assert main(["db", "migrate", "--db", str(db)]) == 0
        assert capsys.readouterr().out == f"{db}: schema version {LATEST} (was 0)\n"
        assert main(["db", "migrate", "--db", str(db)]) == 0
        assert capsys.readouterr().out == f"{db}: schema version {LATEST}, up to date\n"

    def test_the_first_releases_file_is_brought_forward(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        db = tmp_path / "old.db"
        shutil.copyfile(V1_FIXTURE, db)
        monkeypatch.setenv("TOKENBOT_DB", str(db))
        assert main(["db", "migrate"]) == 0
        assert f"schema version {LATEST} (was 1)" in capsys.readouterr().out

    def test_postgresql_is_migrated_and_the_password_not_printed(
        self, pg_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("TOKENBOT_DB", pg_database)
        assert main(["db", "migrate"]) == 0
        out = capsys.readouterr().out
        assert f"schema version {LATEST} (was 0)" in out
        password = pg_database.split(":")[2].split("@")[0]
        assert password not in out

    def test_an_unreachable_server_is_one_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        url = "postgresql://tokenbot:s3cret-pw@127.0.0.1:1/tokenbot"
        assert main(["db", "migrate", "--db", url]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "cannot be reached" in err
        assert "s3cret-pw" not in err


class TestCopy:
    def test_every_row_and_reference_arrives_in_postgresql(
        self, filled: Path, pg_database: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["db", "copy", str(filled), pg_database]) == 0
        out = capsys.readouterr().out
        assert "32 estimates, 4 questions, 3 feedback votes, 3 Slack event ids" in out
        assert "1 questions forwarded to the experts, 1 expert replies" in out
        with SqliteStore(filled) as source, open_store(pg_database) as target:
            for table in COPIED_TABLES:
                assert list(target.rows(table)) == list(source.rows(table)), table
            for reference in _references(str(filled)):
                copied, original = target.get_estimate(reference), source.get_estimate(reference)
                assert copied == original
            assert target.get_estimate("E-7K2Q") is not None  # a first-release reference
            assert target.thread_question("C1", "1700000000.000100") == "voice bot rate?"
            assert target.claim_event("EvDONE") is False
            assert target.claim_signature(1_800_000_000, "v0=aa") is False
            [draft] = target.drafts()
            assert draft == source.drafts()[0]
            assert (draft.question, [r.text for r in draft.replies]) == (
                "voice bot rate?",
                ["8 turns a session"],
            )
            in_thread = target.forward_in_thread("C0EXPERTS", "1700000050.000100")
            assert in_thread == dataclasses.replace(draft, replies=())

    def test_new_rows_continue_after_the_copied_ids(
        self, filled: Path, pg_database: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["db", "copy", str(filled), pg_database]) == 0
        with open_store(pg_database) as target:
            asked = target.record_question(
                text="new", entry_id=None, score=0.0, user_id="U1", channel_id="C1"
            )
            assert asked == max(q.id for q in target.questions()[:-1]) + 1
            target.record_feedback(entry_id="e", question="new", helpful=True, user_id="U9")

    def test_a_non_empty_target_is_refused_untouched(
        self, filled: Path, pg_database: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with open_store(pg_database) as target:
            kept = target.save_estimate(
                user_id="U1",
                channel_id="C",
                input_text="x",
                card="list",
                result_for=lambda ref: {"reference": ref},
            )
        assert main(["db", "copy", str(filled), pg_database]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "is not empty (estimates: 1 rows)" in err
        assert _references(pg_database) == [kept]

    def test_postgresql_copies_back_to_a_new_sqlite_file(
        self, filled: Path, pg_database: str, tmp_path: Path
    ) -> None:
        assert main(["db", "copy", str(filled), pg_database]) == 0
        back = tmp_path / "back.db"
        assert main(["db", "copy", pg_database, str(back)]) == 0
        with SqliteStore(filled) as original, SqliteStore(back) as copied:
            for table in COPIED_TABLES:
                assert list(copied.rows(table)) == list(original.rows(table)), table

    def test_sqlite_to_sqlite_keeps_everything(self, filled: Path, tmp_path: Path) -> None:
        copy = tmp_path / "copy.db"
        assert main(["db", "copy", str(filled), str(copy)]) == 0
        assert _references(str(copy)) == _references(str(filled))

    @pytest.mark.parametrize(
        ("args", "said"),
        [
            (["missing.db", "other.db"], "no database at missing.db"),
            (["same.db", "./same.db"], "are the same database"),
        ],
    )
    def test_bad_arguments_are_one_line(
        self,
        args: list[str],
        said: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        monkeypatch.chdir(tmp_path)
        SqliteStore(tmp_path / "same.db").close()
        assert main(["db", "copy", *args]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert said in err
        assert not (tmp_path / "other.db").exists()

    def test_a_row_the_target_cannot_take_rolls_the_whole_copy_back(
        self, filled: Path, pg_database: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        conn = sqlite3.connect(filled)
        conn.execute("UPDATE estimates SET result = 'not json' WHERE reference = 'E-HX4P'")
        conn.commit()
        conn.close()
        assert main(["db", "copy", str(filled), pg_database]) == 1
        assert "json" in capsys.readouterr().err.lower()
        with psycopg.connect(pg_database) as check:
            assert check.execute("SELECT count(*) FROM questions").fetchone() == (0,)


class TestCopiedColumns:
    def test_the_copy_names_every_column_of_both_schemas(
        self, pg_database: str, tmp_path: Path
    ) -> None:
        SqliteStore(tmp_path / "t.db").close()
        open_store(pg_database).close()
        conn = sqlite3.connect(tmp_path / "t.db")
        try:
            for table, columns in COPIED_TABLES.items():
                found = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
                assert sorted(found) == sorted(columns), table
        finally:
            conn.close()
        with psycopg.connect(pg_database) as pg:
            for table, columns in COPIED_TABLES.items():
                rows = pg.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
                    (table,),
                ).fetchall()
                assert sorted(name for (name,) in rows) == sorted(columns), table


class TestCommandsOnPostgresql:
    """The command line does not know which store it has: the same commands on PostgreSQL."""

    def test_estimate_show_report_and_forget(
        self, pg_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from bot.cli.estimate import cli_user

        monkeypatch.setenv("TOKENBOT_DB", pg_database)
        assert main(["estimate", "copilot=50"]) == 0
        saved = capsys.readouterr().out
        found = re.search(r"Saved as (E-[0-9A-Z]{8}):", saved)
        assert found is not None, saved
        reference = found.group(1)
        assert main(["show", "--ticket", reference]) == 0
        assert reference in capsys.readouterr().out
        assert main(["report", "usage", "--json"]) == 0
        assert '"estimates": 1' in capsys.readouterr().out
        assert main(["forget", cli_user()]) == 0
        assert "1 estimates" in capsys.readouterr().out
        assert main(["show", reference]) == 1
        assert f"no estimate {reference}" in capsys.readouterr().err
