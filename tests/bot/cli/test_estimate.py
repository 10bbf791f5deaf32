"""`tokenbot estimate | explain | rates` on the command line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.cli.main import main

MID_MARKET = [
    "card=study-notes",
    "copilot=200@55",
    "scoring=500/day",
    "translate=5h",
    "messaging=5000",
    "voicebot=1000x5min",
    "va=200/day",
    "users=200",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, _ = run(capsys, *argv)
    assert code == 0
    return json.loads(out)


class TestEstimateCommand:
    def test_human_output_shows_the_key_figures(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, err = run(capsys, "estimate", "copilot=50", "va=2000/day")
        assert (code, err) == (0, "")
        for figure in (
            "50 named users x 40",
            "2,000/day x 20 working days = 40,000 interactions",
            "2,000",
            "20,000",
            "22,000",
            "250",
            "21,750",
            "USD 21,750.00",
            "named organization (no concurrent=)",
            "20 working days per month",
        ):
            assert figure in out

    def test_json_has_the_documented_shape(self, capsys: pytest.CaptureFixture[str]) -> None:
        data = run_json(capsys, "estimate", "--json", "copilot=50", "va=2000/day")
        assert {"card", "lines", "total_tokens", "free_allocation", "billable_tokens"} <= set(data)
        assert {"cost", "assumptions", "complete", "warnings"} <= set(data)
        assert data["card"] == {
            "name": "list",
            "title": "Genesys Cloud AI Experience token list rates",
            "official": True,
            "effective": "2026-06-07",
        }
        for line in data["lines"]:
            assert {"feature", "quantity", "unit", "rate", "exact_tokens", "tokens", "note"} <= set(
                line
            )
        assert data["lines"][1]["quantity"] == "40000"
        assert (data["total_tokens"], data["billable_tokens"]) == (22000, 21750)
        assert data["cost"] == {
            "amount": "21750.00",
            "currency": "USD",
            "price_per_token": "1.00",
            "list_price": True,
        }

    def test_study_notes_output_is_banner_labelled(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, out, _ = run(capsys, "estimate", *MID_MARKET)
        assert code == 0
        assert out.startswith("UNOFFICIAL")
        assert "19,810" in out
        assert "50,000" in out

    def test_unknown_rate_is_shown_as_needing_at_rate(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        data = run_json(capsys, "estimate", "--json", "sta=36", "concurrent=40")
        assert data["complete"] is False
        assert data["lines"][0]["tokens"] is None
        assert "sta=36@RATE" in data["lines"][0]["note"]

    def test_output_is_byte_identical_across_runs(self, capsys: pytest.CaptureFixture[str]) -> None:
        first = run(capsys, "estimate", "--json", *MID_MARKET)
        assert run(capsys, "estimate", "--json", *MID_MARKET) == first


class TestExplainCommand:
    def test_1620_sta_is_36_named_users(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "explain", "1620", "sta")
        assert code == 0
        assert "1,620 STA tokens = 36 named users at 45 tokens per user per month" in out

    def test_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        data = run_json(capsys, "explain", "--json", "1,620", "sta", "named")
        assert (data["quantity"], data["licence"], data["whole"]) == ("36", "named", True)


class TestRatesCommand:
    def test_lists_the_card(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "rates")
        assert code == 0
        assert "1 token per 17 minutes" in out
        assert "EUR 0.80" in out

    def test_one_rate_with_source(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "rates", "vbot")
        assert code == 0
        assert "https://es-help.mypurecloud.com/articles/ai-token-billing" in out
        assert "official" in out

    def test_json_for_the_study_notes_card(self, capsys: pytest.CaptureFixture[str]) -> None:
        data = run_json(capsys, "rates", "--json", "--card", "study-notes", "va")
        assert data["card"]["official"] is False
        assert (data["feature"]["tokens"], data["feature"]["confidence"]) == ("2", "seed-only")


BAD_INPUT = [
    (["estimate", "copliot=5"], "did you mean copilot"),
    (["estimate", "va=1", "virtual-agent=2"], "given twice"),
    (["estimate", "va=-3"], "va=-3"),
    (["estimate", "va=abc"], "va=abc"),
    (["estimate", "va=1e400"], "va=1e400"),
    (["estimate", "va=5kg"], "unknown unit"),
    (["estimate", "va=5/fortnight"], "unknown period"),
    (["estimate", "translate=5h"], "metered in translations"),
    (["estimate", "copilot=50/day"], "per user per month"),
    (["estimate", "card=stdy-notes", "va=1"], "did you mean study-notes"),
    (["estimate", "va=1", "currency=ERU"], "did you mean EUR"),
    (["estimate", "users=1", "concurrent=2", "va=1"], "both given"),
    (["estimate"], "nothing to estimate"),
    (["estimate", "va"], "not FEATURE=QUANTITY"),
    (["explain", "1620", "stq"], "did you mean sta"),
    (["explain", "abc", "sta"], "not a number"),
    (["explain", "1620", "sta", "hourly"], "named, concurrent"),
    (["explain", "--card", "nope", "1620", "sta"], "unknown card"),
    (["rates", "--card", "nope"], "unknown card"),
    (["rates", "vaa"], "did you mean va"),
]


class TestBadInput:
    @pytest.mark.parametrize(("argv", "says"), BAD_INPUT)
    def test_one_line_error_and_non_zero_exit(
        self, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
    ) -> None:
        code, out, err = run(capsys, *argv)
        assert code != 0
        assert out == ""
        assert err.count("\n") == 1
        assert err.startswith("tokenbot: ")
        assert says in err
        assert "Traceback" not in err
