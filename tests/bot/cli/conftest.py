"""Every command-line test runs against its own database and a known terminal width."""

from __future__ import annotations

from pathlib import Path

import pytest

WIDE = "200"
"""Wide enough that no line is wrapped, so content checks can look for whole phrases."""


@pytest.fixture(autouse=True)
def _own_database_and_width(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`tokenbot estimate` stores what it computes: never in the working directory's file."""
    monkeypatch.setenv("TOKENBOT_DB", str(tmp_path / "cli-default.db"))
    monkeypatch.setenv("COLUMNS", WIDE)
