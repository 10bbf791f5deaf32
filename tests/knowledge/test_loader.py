"""The loader fails on broken files with the file name and the field, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge import loader
from knowledge.entries import RATE_CAVEAT
from knowledge.errors import LoadError

GOOD = """---
id: {id}
question: How many tokens does a voice bot consume?
summary: "{{{{voicebot.rate}}}}."
alt_questions: [voice bot token rate]
sources:
  - url: https://help.mypurecloud.com/articles/x
    title: Official
    kind: official
confidence: official
last_reviewed: 2026-11-20
---
Voice bots cost {{{{voicebot.rate}}}}.
"""

VALUES = {
    "voicebot.rate": "1 token per 17 minutes",
    "voicebot.name": "Voice bots",
    "allocation.named": "250",
}


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


class TestParseEntry:
    def test_loads_a_valid_entry_and_fills_placeholders(self, tmp_path: Path) -> None:
        write(tmp_path, "voice", GOOD.format(id="voice"))
        (entry,) = loader.load_entries(tmp_path, VALUES)
        assert entry.answer.startswith("Voice bots cost 1 token per 17 minutes.")
        assert entry.summary.startswith("1 token per 17 minutes.")

    def test_a_source_marked_official_must_be_a_genesys_page(self, tmp_path: Path) -> None:
        copy = GOOD.format(id="voice").replace(
            "https://help.mypurecloud.com/articles/x", "https://rcworkbench.genesys.cloud/413418"
        )
        path = write(tmp_path, "voice", copy)
        with pytest.raises(LoadError, match="official-copy") as caught:
            loader.load_entries(tmp_path, VALUES)
        assert f"{path}: sources.0" in str(caught.value)


class TestRateCaveat:
    """Wherever a rate is quoted through a placeholder, the reader is told the contract governs."""

    def test_is_added_to_a_summary_and_an_answer_that_quote_a_rate(self, tmp_path: Path) -> None:
        write(tmp_path, "voice", GOOD.format(id="voice"))
        (entry,) = loader.load_entries(tmp_path, VALUES)
        assert entry.summary == f"1 token per 17 minutes. {RATE_CAVEAT}"
        assert entry.answer == f"Voice bots cost 1 token per 17 minutes.\n\n{RATE_CAVEAT}"

    def test_is_not_added_where_no_rate_is_quoted(self, tmp_path: Path) -> None:
        text = (
            GOOD.format(id="voice")
            .replace('"{{voicebot.rate}}."', '"{{voicebot.name}} exist."')
            .replace("cost {{voicebot.rate}}.", "get {{allocation.named}} free tokens.")
        )
        write(tmp_path, "voice", text)
        (entry,) = loader.load_entries(tmp_path, VALUES)
        assert entry.summary == "Voice bots exist."
        assert entry.answer == "Voice bots get 250 free tokens."

    def test_keeps_the_text_as_written_for_the_checks(self, tmp_path: Path) -> None:
        write(tmp_path, "voice", GOOD.format(id="voice"))
        scan = loader.scan_entries(tmp_path, VALUES)
        assert scan.templates["voice"].answer == "Voice bots cost {{voicebot.rate}}."
        assert scan.templates["voice"].summary == "{{voicebot.rate}}."

    @pytest.mark.parametrize(
        ("mutation", "expected"),
        [
            (("confidence: official", "confidence: sure"), "confidence"),
            (("last_reviewed: 2026-11-20", "last_reviewed: yesterday"), "last_reviewed"),
            (("    title: Official\n", "    title: Official\n    note: x\n"), "sources.0.note"),
            (("alt_questions: [voice bot token rate]", "alt_questions: []"), "alt_questions"),
            (("url: https://help.mypurecloud.com/articles/x", "url: not a url"), "sources.0.url"),
            (("id: voice", "id: Voice Bot"), "id"),
            (("question: How", "owner: me\nquestion: How"), "owner"),
        ],
    )
    def test_names_file_and_field(
        self, tmp_path: Path, mutation: tuple[str, str], expected: str
    ) -> None:
        path = write(tmp_path, "voice", GOOD.format(id="voice").replace(*mutation, 1))
        with pytest.raises(LoadError) as caught:
            loader.load_entries(tmp_path, VALUES)
        assert f"{path}: {expected}" in str(caught.value)

    def test_unknown_placeholder_is_named(self, tmp_path: Path) -> None:
        path = write(tmp_path, "voice", GOOD.format(id="voice").replace("voicebot.rate", "vb"))
        with pytest.raises(LoadError, match=r"unknown rate placeholder \{\{vb\}\}") as caught:
            loader.load_entries(tmp_path, VALUES)
        assert str(path) in str(caught.value)

    def test_id_must_match_file_name(self, tmp_path: Path) -> None:
        write(tmp_path, "other", GOOD.format(id="voice"))
        with pytest.raises(LoadError, match="must match the file name"):
            loader.load_entries(tmp_path, VALUES)

    def test_missing_front_matter(self, tmp_path: Path) -> None:
        write(tmp_path, "voice", "just text")
        with pytest.raises(LoadError, match="front matter"):
            loader.load_entries(tmp_path, VALUES)

    def test_invalid_yaml_names_the_line(self, tmp_path: Path) -> None:
        write(
            tmp_path,
            "voice",
            GOOD.format(id="voice")
            .replace("tags", "x")
            .replace("confidence: official", "confidence: [official"),
        )
        with pytest.raises(LoadError, match=r"voice\.md: line \d+"):
            loader.load_entries(tmp_path, VALUES)

    def test_not_utf8(self, tmp_path: Path) -> None:
        (tmp_path / "voice.md").write_bytes(b"---\nid: \xff\n---\n")
        with pytest.raises(LoadError, match="not UTF-8"):
            loader.load_entries(tmp_path, VALUES)


class TestKbCheckCommand:
    """`tokenbot kb check` on a copy of the shipped knowledge base."""

    def run(self, faq: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        from bot.cli.main import main

        code = main(["kb", "check", "--faq", str(faq)])
        out = capsys.readouterr()
        return code, out.out, out.err

    def test_passes_on_the_shipped_knowledge_base(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = self.run(loader.FAQ_DIR, capsys)
        assert code == 0
        assert "kb check ok" in out

    def test_fails_on_a_broken_copy_naming_file_and_field(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        faq = tmp_path / "faq"
        shutil.copytree(loader.FAQ_DIR, faq)
        broken = faq / "no-carryover.md"
        broken.write_text(broken.read_text().replace("confidence:", "confidance:"))
        (faq / "overage-price.md").unlink()
        code, out, err = self.run(faq, capsys)
        assert code == 1
        assert f"{broken}: confidance: Extra inputs are not permitted" in err
        assert f"{broken}: confidence: Field required" in err
        assert "overage-price: required topic has no entry" in err
        assert "kb check FAILED" in out
        assert "Traceback" not in out + err


OUT_OF_SCOPE = """topic: {topic}
notes: Questions about seats, not tokens.
source: Written for the tests.
last_reviewed: 2026-11-20
questions:
  - what does a CX 3 seat cost
  - how many licences do we have
"""


class TestOutOfScopeSets:
    def test_loads_every_set_in_topic_order(self, tmp_path: Path) -> None:
        (tmp_path / "seats.yml").write_text(OUT_OF_SCOPE.format(topic="seats"))
        (tmp_path / "admin.yml").write_text(OUT_OF_SCOPE.format(topic="admin"))
        sets = loader.load_out_of_scope(tmp_path)
        assert [s.topic for s in sets] == ["admin", "seats"]
        assert sets[0].questions == ["what does a CX 3 seat cost", "how many licences do we have"]

    def test_a_missing_directory_is_no_sets(self, tmp_path: Path) -> None:
        assert loader.load_out_of_scope(tmp_path / "absent") == ()

    @pytest.mark.parametrize(
        ("mutation", "expected"),
        [
            (("notes: Questions", "nots: Questions"), "notes"),
            (("last_reviewed: 2026-11-20", "last_reviewed: soon"), "last_reviewed"),
            (("  - how many licences do we have", "  - What does a CX 3 seat cost"), "questions"),
        ],
    )
    def test_a_bad_set_names_file_and_field(
        self, tmp_path: Path, mutation: tuple[str, str], expected: str
    ) -> None:
        path = tmp_path / "seats.yml"
        path.write_text(OUT_OF_SCOPE.format(topic="seats").replace(*mutation))
        with pytest.raises(LoadError) as caught:
            loader.load_out_of_scope(tmp_path)
        assert f"{path}: {expected}" in str(caught.value)

    def test_topic_must_match_file_name(self, tmp_path: Path) -> None:
        (tmp_path / "seats.yml").write_text(OUT_OF_SCOPE.format(topic="admin"))
        with pytest.raises(LoadError, match="must match the file name"):
            loader.load_out_of_scope(tmp_path)

    def test_the_shipped_sets_are_a_few_hundred_reviewed_questions(self) -> None:
        sets = loader.load_out_of_scope()
        assert sum(len(s.questions) for s in sets) >= 250
        assert all(s.notes and s.source for s in sets)
