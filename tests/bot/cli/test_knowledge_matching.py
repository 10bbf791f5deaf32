"""`tokenbot ask` did-you-mean, `kb check` out-of-scope sets and `kb eval --cv` on a terminal."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from knowledge import loader


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


class TestAsk:
    def test_a_did_you_mean_shows_the_first_choices_short_answer(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, out, _ = run(capsys, "ask", "rollover?")
        assert code == 0
        assert "not sure which of these you mean" in out
        assert "Do unused tokens carry over to the next month?" in out
        assert "(KB no-carryover, reviewed" in out

    def test_a_genesys_how_to_gets_the_honest_not_found(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _, out, _ = run(capsys, "ask", "how do I add a new wrap up code for the sales queue")
        assert "I don't know that one yet" in out

    def test_json_says_which_text_was_matched(self, capsys: pytest.CaptureFixture[str]) -> None:
        _, out, _ = run(capsys, "ask", "--json", "do unused tokens roll over?")
        found = json.loads(out)
        assert found["id"] == "no-carryover"
        assert 0.0 <= found["score"] <= 1.0


class TestKbEval:
    def test_cross_validation_lists_entries_worst_first_with_their_confusions(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, out, _ = run(capsys, "kb", "eval", "--cv", "--folds", "2")
        assert code == 0
        assert "cross-validated on the knowledge base (2 folds" in out
        assert "first entry right" in out
        rows = [line.split() for line in out.splitlines() if line.strip().startswith("sta-")]
        assert len(rows) >= 5
        assert "time per question" not in out

    def test_cross_validation_as_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        _, out, _ = run(capsys, "kb", "eval", "--cv", "--folds", "2", "--json")
        found = json.loads(out)
        assert {row["id"] for row in found["entries"]} == {
            e.id for e in loader.load_knowledge_base().entries
        }
        assert (
            sum(b["texts"] for b in found["calibration"])
            == found["in_scope"] + found["out_of_scope"]
        )

    @pytest.mark.parametrize("argv", [["kb", "eval"], ["kb", "eval", "x.yml", "--cv"]])
    def test_needs_a_file_or_cv_but_not_both(
        self, capsys: pytest.CaptureFixture[str], argv: list[str]
    ) -> None:
        code, _, err = run(capsys, *argv)
        assert code == 2
        assert "give a labelled question FILE, or --cv" in err

    def test_a_labelled_file_is_still_measured_with_its_own_texts_left_out(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "q.yml"
        path.write_text(
            "- {q: 'do unused tokens roll over to next month', expect: no-carryover}\n"
            "- {q: 'how do I reset my password', expect: null}\n"
        )
        code, out, _ = run(capsys, "kb", "eval", str(path))
        assert code == 0
        assert re.search(r"answered with the right entry +1 / 1 ", out)
        assert re.search(r"correctly not answered +1 / 1 ", out)


class TestKbCheckOutOfScope:
    def test_an_out_of_scope_question_copying_a_phrasing_fails_the_check(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        sets = tmp_path / "out_of_scope"
        shutil.copytree(loader.OUT_OF_SCOPE_DIR, sets)
        path = sets / "slack-and-workplace.yml"
        path.write_text(path.read_text() + "  - do unused tokens roll over\n")
        code, out, err = run(capsys, "kb", "check", "--out-of-scope", str(sets))
        assert code == 1
        assert "out-of-scope slack-and-workplace: question 'do unused tokens roll over'" in err
        assert "kb check FAILED" in out
