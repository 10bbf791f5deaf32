"""`tokenbot kb drafts` and `tokenbot kb due [--post]` on a terminal."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.store import SqliteStore
from tests.bot.slack.fake_slack import FakeSlack

OFFICIAL = """---
id: {id}
question: {question}
summary: Short answer.
alt_questions: [{id} please]
sources:
  - url: https://help.mypurecloud.com/articles/x
    title: Official
    kind: official
confidence: official
last_reviewed: {reviewed}
{owner}---
The answer.
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def faq(tmp_path: Path) -> Path:
    """Three entries: one overdue (Ann's), one due in ten days (Bob's), one far off (nobody's)."""
    directory = tmp_path / "faq"
    directory.mkdir()
    today = dt.date.today()
    for entry_id, due_in, owner in (
        ("overdue-entry", -3, "U0ANN"),
        ("soon-entry", 10, "U0BOB"),
        ("later-entry", 90, None),
    ):
        reviewed = today + dt.timedelta(days=due_in - 180)
        (directory / f"{entry_id}.md").write_text(
            OFFICIAL.format(
                id=entry_id,
                question=f"What about {entry_id}?",
                reviewed=reviewed.isoformat(),
                owner=f"owner: {owner}\n" if owner else "",
            ),
            encoding="utf-8",
        )
    return directory


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


class TestDue:
    def test_lists_what_has_passed_or_falls_within_the_days_by_owner(
        self, capsys: pytest.CaptureFixture[str], faq: Path
    ) -> None:
        code, out, _ = run(capsys, "kb", "due", "--faq", str(faq))
        assert code == 0
        assert "2 entries" in out
        assert out.index("U0ANN (1)") < out.index("overdue-entry") < out.index("U0BOB (1)")
        assert "overdue by 3 days" in out
        assert "due in 10 days" in out
        assert "later-entry" not in out

    def test_days_widens_the_window(self, capsys: pytest.CaptureFixture[str], faq: Path) -> None:
        _, out, _ = run(capsys, "kb", "due", "--faq", str(faq), "--days", "100")
        assert "No owner (1)" in out
        _, out, _ = run(capsys, "kb", "due", "--faq", str(faq), "--days", "0")
        assert "soon-entry" not in out

    def test_json_gives_each_owners_entries(
        self, capsys: pytest.CaptureFixture[str], faq: Path
    ) -> None:
        _, out, _ = run(capsys, "kb", "due", "--faq", str(faq), "--json")
        data = json.loads(out)
        assert [(o["owner"], [e["id"] for e in o["entries"]]) for o in data["owners"]] == [
            ("U0ANN", ["overdue-entry"]),
            ("U0BOB", ["soon-entry"]),
        ]
        assert data["owners"][0]["entries"][0]["overdue_days"] == 3

    def test_a_bad_number_of_days_is_a_usage_error(
        self, capsys: pytest.CaptureFixture[str], faq: Path
    ) -> None:
        with pytest.raises(SystemExit) as exited:
            main(["kb", "due", "--days", "-2"])
        assert exited.value.code == 2
        assert "'-2' is not a number of days" in capsys.readouterr().err

    def test_the_shipped_knowledge_base_is_listed(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, err = run(capsys, "kb", "due", "--days", "3650")
        assert code == 0, err
        assert "No owner" in out


@pytest.fixture
def posting(fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    """What `kb due --post` needs, pointed at the fake Slack."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("TOKENBOT_EXPERTS_CHANNEL", "C0EXPERTS")
    monkeypatch.setenv("TOKENBOT_SLACK_API_URL", fake_slack.api_url)
    return fake_slack


class TestDuePost:
    def test_posts_the_list_mentioning_each_owner(
        self, capsys: pytest.CaptureFixture[str], faq: Path, posting: FakeSlack
    ) -> None:
        code, out, _ = run(capsys, "kb", "due", "--faq", str(faq), "--post")
        assert code == 0
        assert "Posted to the experts' channel C0EXPERTS" in out
        [post] = posting.calls_to("chat.postMessage")
        assert post.body["channel"] == "C0EXPERTS"
        assert post.headers["authorization"] == "Bearer xoxb-test"
        assert "*<@U0ANN>* (1)" in post.body["text"]
        assert "`overdue-entry` What about overdue-entry?: overdue by 3 days" in post.body["text"]

    def test_needs_the_bot_token(
        self, capsys: pytest.CaptureFixture[str], faq: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("TOKENBOT_EXPERTS_CHANNEL", "C0EXPERTS")
        code, _, err = run(capsys, "kb", "due", "--faq", str(faq), "--post")
        assert code == 1
        assert "SLACK_BOT_TOKEN is not set" in err

    def test_needs_the_experts_channel(
        self, capsys: pytest.CaptureFixture[str], faq: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        code, _, err = run(capsys, "kb", "due", "--faq", str(faq), "--post")
        assert code == 1
        assert "TOKENBOT_EXPERTS_CHANNEL is not set" in err

    def test_says_why_slack_refused(
        self, capsys: pytest.CaptureFixture[str], faq: Path, posting: FakeSlack
    ) -> None:
        posting.fail_with_error("not_in_channel")
        code, _, err = run(capsys, "kb", "due", "--faq", str(faq), "--post")
        assert code == 1
        assert "not posted: tokenbot is not in the experts' channel" in err
        assert "Traceback" not in err

    def test_says_when_slack_cannot_be_reached(
        self,
        capsys: pytest.CaptureFixture[str],
        faq: Path,
        posting: FakeSlack,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("TOKENBOT_SLACK_API_URL", "http://127.0.0.1:9/api/")
        code, _, err = run(capsys, "kb", "due", "--faq", str(faq), "--post")
        assert code == 1
        assert "could not reach Slack" in err

    def test_nothing_due_posts_nothing(
        self, capsys: pytest.CaptureFixture[str], faq: Path, posting: FakeSlack
    ) -> None:
        for path in faq.glob("*-entry.md"):
            if path.stem != "later-entry":
                path.unlink()
        code, out, _ = run(capsys, "kb", "due", "--faq", str(faq), "--post")
        assert code == 0
        assert "Nothing posted" in out
        assert posting.calls_to("chat.postMessage") == []


class TestDrafts:
    def test_no_forwarded_question_yet(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("TOKENBOT_DB", str(tmp_path / "t.db"))
        SqliteStore(tmp_path / "t.db").close()
        code, out, _ = run(capsys, "kb", "drafts")
        assert code == 0
        assert "No questions forwarded to the experts (all stored history)." in out
        assert json.loads(run(capsys, "kb", "drafts", "--json")[1]) == []

    def test_a_missing_database_is_one_line(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("TOKENBOT_DB", str(tmp_path / "none.db"))
        code, _, err = run(capsys, "kb", "drafts")
        assert code == 1
        assert "no database at" in err

    def test_since_must_be_a_date(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit):
            main(["kb", "drafts", "--since", "last week"])
        assert "'last week' is not a date" in capsys.readouterr().err

    def test_export_refuses_a_file_for_a_directory(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("TOKENBOT_DB", str(tmp_path / "t.db"))
        SqliteStore(tmp_path / "t.db").close()
        (tmp_path / "a-file").write_text("x")
        code, _, err = run(capsys, "kb", "drafts", "--export", str(tmp_path / "a-file"))
        assert code == 1
        assert f"cannot write drafts to {tmp_path / 'a-file'}" in err
