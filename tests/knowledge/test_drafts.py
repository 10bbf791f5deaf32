"""Draft entries from the experts, refused until finished; owners and the reviews falling due."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from knowledge import loader
from knowledge.drafts import Draft, render_draft, slug
from knowledge.entries import Entry
from knowledge.errors import LoadError
from knowledge.reviews import due_for_review
from tests.conftest import make_entry

VALUES = {"voicebot.rate": "1 token per 17 minutes"}
DRAFT = Draft(
    number=12,
    question='Do bot "turns" cost tokens: <any> & all?',
    answer="No: a **session** is billed, whatever its turns.",
    asked_on=dt.date(2026, 12, 1),
    owner="U0EXPERT1",
    related=("digital-bot-sessions",),
    links=("https://help.mypurecloud.com/articles/x",),
)
FINISHED = {
    'summary: ""': "summary: A session is billed, whatever its turns.",
    "alt_questions: []": "alt_questions: [are bot turns billed]",
    "sources: []": "sources:\n  - url: https://help.mypurecloud.com/articles/x\n"
    "    title: Official\n    kind: official",
    "last_reviewed:": "last_reviewed: 2026-12-02",
    "id: draft-12-do-bot-turns-cost-tokens-any": "id: bot-turns",
}


def finish(text: str, *, keep_draft_line: bool = False) -> str:
    for before, after in FINISHED.items():
        assert before in text
        text = text.replace(before, after)
    return text if keep_draft_line else text.replace("draft: 12\n", "")


def front_matter(text: str) -> dict[str, object]:
    meta: dict[str, object] = yaml.safe_load(text.split("---\n")[1])
    return meta


class TestRenderDraft:
    def test_is_the_knowledge_base_format_with_the_question_first(self) -> None:
        meta = front_matter(render_draft(DRAFT))
        assert meta["question"] == DRAFT.question
        assert meta["confidence"] == "community"
        assert meta["sources"] == []
        assert meta["last_reviewed"] is None
        assert meta["owner"] == "U0EXPERT1"
        assert meta["related"] == ["digital-bot-sessions"]
        assert meta["id"] == DRAFT.entry_id == "draft-12-do-bot-turns-cost-tokens-any"

    def test_the_experts_reply_is_the_answer(self) -> None:
        body = render_draft(DRAFT).split("---\n", 2)[2]
        assert body.strip() == DRAFT.answer

    def test_says_how_to_finish_it_and_lists_the_links_to_read(self) -> None:
        text = render_draft(DRAFT)
        assert "delete the draft line" in text
        assert "#   https://help.mypurecloud.com/articles/x" in text

    @pytest.mark.parametrize(
        ("question", "expected"),
        [
            ("Do bot turns cost tokens?", "do-bot-turns-cost-tokens"),
            ("Combien coûtent les sessions d'un bot?", "combien-coutent-les-sessions-d-un"),
            ("¿¿??", ""),
        ],
    )
    def test_the_file_name_is_the_first_words(self, question: str, expected: str) -> None:
        assert slug(question) == expected


class TestAnUnfinishedDraftIsRefused:
    def test_names_the_file_and_everything_missing(self, tmp_path: Path) -> None:
        path = tmp_path / f"{DRAFT.entry_id}.md"
        path.write_text(render_draft(DRAFT), encoding="utf-8")
        with pytest.raises(LoadError) as refused:
            loader.load_entries(tmp_path, VALUES)
        message = str(refused.value)
        assert message.startswith(f"{path}: unfinished draft")
        for field in ("summary", "alt_questions", "sources", "last_reviewed", "id ("):
            assert field in message
        assert "delete the 'draft:' line" in message

    def test_a_finished_draft_with_its_draft_line_is_refused_too(self, tmp_path: Path) -> None:
        path = tmp_path / "bot-turns.md"
        path.write_text(finish(render_draft(DRAFT), keep_draft_line=True), encoding="utf-8")
        with pytest.raises(LoadError, match="still has its 'draft:' line: delete it"):
            loader.load_entries(tmp_path, VALUES)

    def test_a_finished_draft_loads_with_its_owner(self, tmp_path: Path) -> None:
        (tmp_path / "bot-turns.md").write_text(finish(render_draft(DRAFT)), encoding="utf-8")
        (entry,) = loader.load_entries(tmp_path, VALUES)
        assert entry.question == DRAFT.question
        assert entry.owner == "U0EXPERT1"
        assert entry.answer == DRAFT.answer


class TestOwner:
    def test_is_optional(self) -> None:
        assert make_entry("a", "q?").owner is None

    def test_must_be_a_slack_user_id(self) -> None:
        with pytest.raises(ValidationError, match="owner"):
            make_entry("a", "q?", owner="@alice")


class TestDueForReview:
    TODAY = dt.date(2026, 12, 10)

    def entry(self, entry_id: str, due_in: int, owner: str | None = None) -> Entry:
        reviewed = self.TODAY + dt.timedelta(days=due_in) - dt.timedelta(days=180)
        return make_entry(entry_id, f"{entry_id}?", last_reviewed=reviewed, owner=owner)

    def test_lists_passed_and_coming_reviews_by_owner_unowned_last(self) -> None:
        entries = [
            self.entry("later", 30, "U0ANN"),
            self.entry("soon", 5, "U0ANN"),
            self.entry("overdue", -3, "U0BOB"),
            self.entry("nobodys", -40),
            self.entry("ann-overdue", -1, "U0ANN"),
        ]
        due = due_for_review(entries, self.TODAY, 14)
        assert [(group.owner, [e.id for e in group.entries]) for group in due] == [
            ("U0BOB", ["overdue"]),
            ("U0ANN", ["ann-overdue", "soon"]),
            (None, ["nobodys"]),
        ]

    def test_zero_days_is_what_is_due_today_or_before(self) -> None:
        entries = [self.entry("today", 0), self.entry("tomorrow", 1)]
        due = due_for_review(entries, self.TODAY, 0)
        assert [e.id for group in due for e in group.entries] == ["today"]
