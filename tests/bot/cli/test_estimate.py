"""`tokenbot estimate | explain | rates` on the command line."""

from __future__ import annotations

import getpass
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.store import REFERENCE, SqliteStore

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
        first = run(capsys, "estimate", "--json", "--no-save", *MID_MARKET)
        assert run(capsys, "estimate", "--json", "--no-save", *MID_MARKET) == first

    def test_a_concurrent_line_says_it_is_billed_at_the_peak(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _, out, _ = run(capsys, "estimate", "copilot=120", "concurrent=80")
        assert "120 users, billed at the peak of 80 concurrent users x 60" in out
        assert "4,800" in out
        assert "7,200" not in out

    def test_overlaps_and_metering_are_named_with_their_confidence(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _, out, _ = run(capsys, "estimate", "copilot=10", "summaries=500", "voicebot=100")
        assert "Overlaps and metering:" in out
        assert "the AI summaries line may overstate" in out
        assert "15-second increments" in out
        assert "(community: https://community.genesys.com/" in out

    def test_json_lists_the_notices_and_what_is_missing(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        data = run_json(capsys, "estimate", "--json", "va=10", "ava=10", "sta=3", "concurrent=5")
        assert data["missing"] == ["sta=3"]
        [notice] = data["notices"]
        assert (notice["features"], notice["confidence"]) == (["va", "ava"], "staff")

    def test_full_width_digits_are_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, err = run(capsys, "estimate", "va=\uff12\uff10\uff10\uff10")
        assert (code, out) == (2, "")
        assert "not ASCII digits" in err

    def test_implausible_input_is_warned_about(self, capsys: pytest.CaptureFixture[str]) -> None:
        _, out, _ = run(capsys, "estimate", "copilot=2m")
        assert "2,000,000 Copilot users is implausible" in out


class TestIncompleteEstimate:
    """`sta=36 concurrent=40`: the concurrent STA rate is not published."""

    ARGS = ("estimate", "sta=36", "concurrent=40")

    def test_leads_with_what_is_missing(self, capsys: pytest.CaptureFixture[str]) -> None:
        _, out, _ = run(capsys, *self.ARGS)
        assert out.index("INCOMPLETE") < out.index("Feature")
        assert "Add sta=36@RATE from the customer's contract" in out

    def test_never_shows_a_bare_zero_total_or_cost(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _, out, _ = run(capsys, *self.ARGS)
        assert "0.00" not in out
        totals = {
            line.split("  ")[0]: line.split()[-1] for line in out.splitlines() if "  " in line
        }
        assert totals["Total tokens"] == "unknown"
        assert totals["Cost (list price)"] == "unknown"

    def test_a_partly_priced_estimate_says_at_least(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _, out, _ = run(capsys, *self.ARGS, "copilot=10")
        assert "at least 600" in out
        assert "at least USD 250.00" in out

    def test_json_keeps_complete_false(self, capsys: pytest.CaptureFixture[str]) -> None:
        data = run_json(capsys, "estimate", "--json", *self.ARGS[1:])
        assert (data["complete"], data["total_tokens"]) == (False, 0)


class TestStoredFromTheCommandLine:
    def test_the_estimate_gets_a_reference_that_show_finds(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _, out, _ = run(capsys, "estimate", "copilot=50", "va=2000/day")
        [reference] = re.findall(r"^Estimate (E-\S+)$", out, re.MULTILINE)
        assert f"Saved as {reference}: tokenbot show {reference} shows it again" in out
        code, shown, _ = run(capsys, "show", reference)
        assert code == 0
        assert f"Estimate {reference}, made " in shown
        assert "Input: copilot=50 va=2000/day" in shown
        assert "21,750" in shown

    def test_it_is_stored_as_the_cli_user_in_the_cli_channel(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(getpass, "getuser", lambda: "csm1")
        data = run_json(capsys, "estimate", "--json", "copilot=5")
        with SqliteStore(os.environ["TOKENBOT_DB"]) as store:
            stored = store.get_estimate(data["reference"])
        assert stored is not None
        assert (stored.user_id, stored.channel_id, stored.input) == ("cli:csm1", "cli", "copilot=5")
        assert data["saved"] is True
        assert REFERENCE.match(data["reference"])

    def test_forget_removes_the_cli_users_estimates(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(getpass, "getuser", lambda: "csm1")
        run(capsys, "estimate", "copilot=5")
        assert main(["forget", "cli:csm1"]) == 0
        assert "1 estimates" in capsys.readouterr().out

    def test_no_save_stores_nothing(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "throwaway.db"
        monkeypatch.setenv("TOKENBOT_DB", str(path))
        _, out, _ = run(capsys, "estimate", "--no-save", "copilot=5")
        assert "Not saved: --no-save was given" in out
        assert not path.exists()
        data = run_json(capsys, "estimate", "--json", "--no-save", "copilot=5")
        assert (data["reference"], data["saved"]) == (None, False)

    @pytest.mark.parametrize("problem", ["missing folder", "not a database"])
    def test_an_unwritable_database_still_prints_the_estimate(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        problem: str,
    ) -> None:
        path = tmp_path / "nowhere" / "tokenbot.db"
        if problem == "not a database":
            path = tmp_path / "garbage.db"
            path.write_bytes(b"not sqlite at all\n" * 200)
        monkeypatch.setenv("TOKENBOT_DB", str(path))
        code, out, err = run(capsys, "estimate", "copilot=50")
        assert (code, err) == (0, "")
        assert "2,000" in out
        [line] = [line for line in out.splitlines() if line.startswith("Not saved:")]
        assert str(path) in line
        assert "Traceback" not in out
        data = run_json(capsys, "estimate", "--json", "copilot=50")
        assert (data["saved"], data["total_tokens"]) == (False, 2000)
        assert str(path) in data["not_saved"]


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
