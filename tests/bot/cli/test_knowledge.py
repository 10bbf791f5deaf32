"""`tokenbot ask`: the short answer and its sources by default, the whole answer with `--full`."""

from __future__ import annotations

import json

import pytest

from bot.cli.main import main
from knowledge import loader

KB = loader.load_knowledge_base()
QUESTION = "how many tokens does an STA user use per month?"
ENTRY = KB.get("sta-per-user-rate")


def ask(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["ask", *args]) == 0
    return capsys.readouterr().out


class TestAsk:
    def test_prints_the_summary_and_the_sources_not_the_whole_answer(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert ENTRY is not None
        out = ask(capsys, QUESTION)
        assert ENTRY.summary in out
        assert ENTRY.answer.splitlines()[0].replace("**", "") not in out
        for source in ENTRY.sources:
            assert f"- {source.title} ({source.kind.label})" in out
            assert str(source.url) in out
        assert "tokenbot ask --full" in out

    def test_full_prints_the_whole_answer(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert ENTRY is not None
        out = ask(capsys, "--full", QUESTION)
        assert ENTRY.answer.splitlines()[0].replace("**", "") in out
        assert "Confidence: likely" in out
        assert ENTRY.reference in out

    def test_the_short_answer_is_a_few_lines(self, capsys: pytest.CaptureFixture[str]) -> None:
        short, full = ask(capsys, QUESTION), ask(capsys, "--full", QUESTION)
        assert len(short.split()) < len(full.split()) / 2

    def test_json_marks_each_source_by_what_was_read(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        data = json.loads(ask(capsys, "--json", QUESTION))
        kinds = {source["kind"] for source in data["entry"]["sources"]}
        assert kinds == {"official", "staff"}
        assert data["entry"]["summary"].endswith("List rates; the customer's contract governs.")
