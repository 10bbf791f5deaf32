"""Shared test helpers: small knowledge-base entries built in code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from knowledge.entries import Entry


def make_entry(entry_id: str, question: str, *alt_questions: str, **fields: Any) -> Entry:
    """A valid entry with sensible defaults; override any field by keyword."""
    data: dict[str, Any] = {
        "id": entry_id,
        "question": question,
        "summary": f"Short answer to: {question}",
        "alt_questions": list(alt_questions) or [question + " please"],
        "sources": [
            {
                "url": "https://help.mypurecloud.com/articles/x",
                "title": "Official",
                "kind": "official",
            }
        ],
        "confidence": "official",
        "last_reviewed": dt.date(2026, 11, 20),
        "answer": f"The answer to: {question}",
    }
    data.update(fields)
    return Entry.model_validate(data)


@pytest.fixture
def entry_factory() -> Any:
    return make_entry
