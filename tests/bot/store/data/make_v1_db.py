"""Build `tokenbot-v1.db`: a database of the first schema version, with a few rows.

Uses only `bot/store/migrations/sqlite/001_initial.sql`, as the first release shipped it, so that
the tests can check that the current code upgrades such a file in place. Run from the
repository root:

    .venv/bin/python tests/bot/store/data/make_v1_db.py
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
TARGET = HERE / "tokenbot-v1.db"
SCHEMA = HERE.parents[3] / "bot" / "store" / "migrations" / "sqlite" / "001_initial.sql"

CARD = "Genesys Cloud AI Experience token list rates"
SOURCE = "https://help.genesys.cloud/articles/genesys-cloud-tokens-model/"


def snapshot(
    reference: str, term: str, name: str, understood: str, rate: str, tokens: int
) -> dict[str, Any]:
    """An estimate as the first release stored it (`EstimateSnapshot`, one line)."""
    billable = tokens - 250
    return {
        "reference": reference,
        "input": term,
        "card_name": "list",
        "card_title": CARD,
        "card_effective": "2026-06-07",
        "card_official": True,
        "lines": [
            {
                "term": term,
                "name": name,
                "understood": understood,
                "rate": rate,
                "confidence": "staff",
                "source_url": SOURCE,
                "official_source": False,
                "tokens": tokens,
                "note": None,
            }
        ],
        "total_tokens": tokens,
        "free_allocation": 250,
        "committed_tokens": 0,
        "billable_tokens": billable,
        "cost": f"{billable:,}.00",
        "currency": "USD",
        "complete": True,
        "assumptions": [
            "rate card: Genesys Cloud AI Experience token list rates (list), effective 2026-06-07",
            "named organization (no concurrent=)",
            "free allocation 250 tokens per month for a named organization",
        ],
        "warnings": [],
    }


ESTIMATES = [
    (
        "E-7K2Q",
        "U0ALICE01",
        "C0SALES01",
        "copilot=50",
        snapshot(
            "E-7K2Q",
            "copilot=50",
            "Agent Copilot",
            "50 named users x 40",
            "40 per named user per month",
            2000,
        ),
    ),
    (
        "E-HX4P",
        "U0BOB0001",
        "D0DM0001",
        "va=2000/day",
        snapshot(
            "E-HX4P",
            "va=2000/day",
            "Virtual Agent",
            "2,000/day x 20 working days = 40,000 interactions",
            "0.5 token per interaction",
            20000,
        ),
    ),
]
QUESTIONS = [
    ("why are my agents using 45 STA tokens?", "sta-per-user-rate", 0.91, 1, "U0ALICE01"),
    ("can I pay tokens with pizza?", None, 0.12, 0, "U0BOB0001"),
    ("can i pay my tokens with pizza", None, 0.14, 0, "U0ALICE01"),
]
FEEDBACK = [
    ("sta-per-user-rate", "why are my agents using 45 STA tokens?", 0, "U0ALICE01"),
    ("sta-per-user-rate", "", 1, "U0BOB0001"),
]
WHEN = "2026-10-05T09:30:00+00:00"


def build(target: Path = TARGET) -> None:
    target.unlink(missing_ok=True)
    conn = sqlite3.connect(target)
    try:
        conn.executescript(SCHEMA.read_text(encoding="utf-8"))
        with conn:
            conn.execute("PRAGMA user_version = 1")
            conn.executemany(
                "INSERT INTO estimates (reference, user_id, channel_id, input, result, card, "
                "created_at) VALUES (?, ?, ?, ?, ?, 'list', ?)",
                [
                    (r, u, c, i, json.dumps(res, sort_keys=True), WHEN)
                    for r, u, c, i, res in ESTIMATES
                ],
            )
            conn.executemany(
                "INSERT INTO questions (text, entry_id, score, answered, user_id, channel_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, 'C0SALES01', ?)",
                [(*row, WHEN) for row in QUESTIONS],
            )
            conn.executemany(
                "INSERT INTO feedback (entry_id, question, helpful, user_id, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(*row, WHEN) for row in FEEDBACK],
            )
            conn.execute("INSERT INTO events (event_id, seen_at) VALUES ('Ev0OLD01', ?)", (WHEN,))
        conn.execute("VACUUM")
    finally:
        conn.close()


if __name__ == "__main__":
    build()
    print(f"wrote {TARGET}")
