"""`tokenbot compare` on the command line: list beside study notes, A vs B, JSON, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main

MID_MARKET = (
    "copilot=200 scoring=500/day messaging=5000 voicebot=1000x5min va=200/day users=200".split()
)
README = Path(__file__).resolve().parents[3] / "README.md"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def row(out: str, label: str) -> list[str]:
    """The cells of the table row starting with `label` (cells are 2+ spaces apart)."""
    [line] = [line for line in out.splitlines() if line.startswith(label + "  ")]
    return re.split(r"\s{2,}", line.strip())


class TestListBesideStudyNotes:
    def test_shows_10807_beside_18807_and_the_billable_10557(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, out, err = run(capsys, "compare", *MID_MARKET)
        assert (code, err) == (0, "")
        assert row(out, "Total tokens") == ["Total tokens", "10,807", "18,807", "+8,000"]
        assert row(out, "Billable tokens") == ["Billable tokens", "10,557", "0", "-10,557"]
        assert row(out, "Virtual Agent") == ["Virtual Agent", "2,000", "8,000", "+6,000"]
        assert (
            "Verdict: The study notes show 18,807 tokens and no overage; at list rates this org "
            "is billed 10,557 tokens, USD 10,557.00 a month." in out
        )
        assert "UNOFFICIAL" in out
        assert out.rstrip().endswith("List rates; the customer's contract and invoice govern.")

    def test_a_term_the_list_card_cannot_read_is_not_comparable_there(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, out, _ = run(capsys, "compare", *MID_MARKET, "translate=5h")
        assert code == 0
        assert row(out, "AI Translate") == ["AI Translate", "not comparable", "3", "—"]
        assert "translate=5h is not comparable on the list card" in out
        assert row(out, "Total tokens")[1] == ">= 10,807"

    def test_the_readme_example_is_what_it_prints(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("COLUMNS", "100")
        _, out, _ = run(capsys, "compare", *MID_MARKET)
        readme = README.read_text(encoding="utf-8")
        shown = readme.split("```text\nFeature", 1)[1].split("```", 1)[0]
        assert "Feature" + shown in out


class TestScenarios:
    def test_a_vs_b_on_one_card(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(
            capsys, "compare", "copilot=200", "users=200", "vs", "copilot=250", "va=5k"
        )
        assert code == 0
        assert row(out, "Feature") == ["Feature", "A", "B", "B - A"]
        assert row(out, "Virtual Agent") == ["Virtual Agent", "—", "2,500", "+2,500"]
        assert "Verdict: B is billed 4,500 more tokens a month than A" in out


class TestJson:
    def test_cards(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "compare", "--json", *MID_MARKET, "translate=5h")
        assert code == 0
        data: dict[str, Any] = json.loads(out)
        assert data["mode"] == "cards"
        assert (data["first"]["label"], data["second"]["label"]) == ("list", "study notes")
        assert data["first"]["estimate"]["total_tokens"] == 10807
        assert data["second"]["estimate"]["total_tokens"] == 18810
        [translate] = [line for line in data["lines"] if line["feature"] == "translate"]
        assert translate["first"]["state"] == "not comparable"
        assert translate["difference"] is None
        assert data["first"]["partial"] is True
        assert data["billable_difference"] == -10557

    def test_scenarios(self, capsys: pytest.CaptureFixture[str]) -> None:
        _, out, _ = run(capsys, "compare", "--json", "copilot=1", "vs", "copilot=10")
        data = json.loads(out)
        assert data["mode"] == "scenarios"
        assert data["lines"][0]["difference"] == 360

    def test_compare_stores_nothing(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "untouched.db"
        monkeypatch.setenv("TOKENBOT_DB", str(path))
        run(capsys, "compare", *MID_MARKET)
        assert not path.exists()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["compare"], "nothing to compare"),
        (["compare", "copliot=5"], "did you mean copilot"),
        (["compare", "va=1", "card=study-notes"], "drop card="),
        (["compare", "va=1", "vs"], "nothing after 'vs'"),
        (["compare", "va=1", "card=list", "vs", "va=2", "card=study-notes"], "on one card"),
        (["compare", "va=abc"], "not a number"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("tokenbot: ")
    assert err.count("\n") == 1
    assert says in err
