"""`kb check` rules for the out-of-scope sets."""

from __future__ import annotations

import datetime as dt

from knowledge.checks import Severity, check_knowledge_base, out_of_scope_conflicts
from knowledge.entries import OutOfScopeSet
from tests.conftest import make_entry

ENTRIES = [make_entry("carryover", "Do unused tokens carry over?", "do unused tokens roll over")]


def out_of_scope(topic: str, *questions: str, reviewed: str = "2026-11-20") -> OutOfScopeSet:
    return OutOfScopeSet.model_validate(
        {
            "topic": topic,
            "notes": "n",
            "source": "s",
            "last_reviewed": reviewed,
            "questions": list(questions),
        }
    )


class TestOutOfScopeConflicts:
    def test_a_question_reading_like_a_phrasing_is_an_error(self) -> None:
        [problem] = out_of_scope_conflicts(
            ENTRIES, [out_of_scope("misc", "do the unused tokens roll over?")]
        )
        assert problem.severity is Severity.ERROR
        assert problem.where == "out-of-scope misc"
        assert "near-identical (100) to carryover's phrasing" in problem.message

    def test_a_question_two_sets_list_is_an_error(self) -> None:
        sets = [out_of_scope("a", "how do I create a queue"), out_of_scope("b", "create queue")]
        [problem] = out_of_scope_conflicts(ENTRIES, sets)
        assert "also listed by out-of-scope a" in problem.message

    def test_unrelated_questions_pass(self) -> None:
        assert out_of_scope_conflicts(ENTRIES, [out_of_scope("a", "what time is lunch")]) == []

    def test_a_set_past_its_review_date_is_a_warning(self) -> None:
        problems = check_knowledge_base(
            ENTRIES,
            {},
            dt.date(2027, 12, 1),
            out_of_scope=[out_of_scope("a", "what time is lunch")],
        )
        assert [(p.severity, p.where) for p in problems if "out-of-scope" in p.where] == [
            (Severity.WARNING, "out-of-scope a")
        ]
