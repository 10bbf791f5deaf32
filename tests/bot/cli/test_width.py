"""Terminal output fits the width `COLUMNS` gives; `estimate --help` lists the whole grammar."""

from __future__ import annotations

import re

import pytest

from bot.cli.main import main
from calculators.grammar import ESTIMATE_EXAMPLES, SETTINGS_HELP
from knowledge.loader import load_cards

MID_MARKET = (
    "copilot=200 scoring=500/day messaging=5000 voicebot=1000x5min va=200/day users=200".split()
)


def output(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    try:
        code = main(list(argv))
    except SystemExit as exited:  # --help
        code = int(exited.code or 0)
    assert code == 0
    return capsys.readouterr().out


URL = re.compile(r"https://\S+")
BESIDE_A_URL = 3
"""A URL is never broken, so a line may overflow with a URL alone on it (but for a bullet)."""


def too_wide(text: str, width: int) -> list[str]:
    """Lines longer than `width`, except a URL standing alone on its line."""
    return [
        line
        for line in text.splitlines()
        if len(line) > width and len(URL.sub("", line).strip()) > BESIDE_A_URL
    ]


COMMANDS = [
    ["estimate", *MID_MARKET],
    ["estimate", "sta=36", "concurrent=40", "copilot=120", "summaries=10", "voicebot=5"],
    ["estimate", "card=study-notes", "copilot=200@55", "translate=5h", "users=200"],
    ["rates"],
    ["rates", "--card", "study-notes"],
    ["rates", "sta"],
    ["rates", "copilot"],
    ["explain", "1620", "sta"],
    ["compare", *MID_MARKET, "translate=5h"],
    ["compare", "copilot=200", "users=200", "vs", "copilot=250", "va=5k", "users=200"],
    ["estimate", "--help"],
    ["compare", "--help"],
]


class TestWidth:
    @pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: " ".join(argv)[:40])
    @pytest.mark.parametrize("width", [80, 72])
    def test_fits_the_width_columns_says(
        self,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
        argv: list[str],
        width: int,
    ) -> None:
        monkeypatch.setenv("COLUMNS", str(width))
        assert too_wide(output(capsys, *argv), width) == []

    def test_a_stored_estimate_fits_too(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("COLUMNS", "80")
        [reference] = re.findall(
            r"^Estimate (E-\S+)$", output(capsys, "estimate", *MID_MARKET), re.M
        )
        assert too_wide(output(capsys, "show", reference), 80) == []

    def test_wrapping_keeps_every_figure(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("COLUMNS", "80")
        narrow = output(capsys, "estimate", "--no-save", *MID_MARKET)
        for figure in ("8,000", "500", "13", "294", "2,000", "10,807", "10,557", "USD 10,557.00"):
            assert figure in narrow
        assert "10,000 evaluations" in " ".join(narrow.split())

    def test_rates_lists_its_sources_under_the_table(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("COLUMNS", "80")
        out = output(capsys, "rates")
        table, sources = out.split("\nSources:\n")
        assert "https://" not in table.split("Feature", 1)[1]
        for feature in load_cards()["list"].features.values():
            assert feature.source.url in sources


class TestEstimateHelp:
    @pytest.fixture
    def text(self, capsys: pytest.CaptureFixture[str]) -> str:
        return " ".join(output(capsys, "estimate", "--help").split())

    def test_lists_every_feature_key_with_its_aliases_and_unit(self, text: str) -> None:
        for key, feature in load_cards()["list"].features.items():
            assert f"{key}: {feature.display}, in {feature.unit.plural}"[:60] in text or (
                f"{key}: {feature.display}, in users" in text
            )
            assert "aliases: " + ", ".join(feature.aliases) in text

    def test_lists_every_setting(self, text: str) -> None:
        for name, value, meaning in SETTINGS_HELP:
            assert f"{name}={value}: {meaning}" in text

    def test_gives_three_examples(self, text: str) -> None:
        assert len(ESTIMATE_EXAMPLES) == 3
        for terms, _ in ESTIMATE_EXAMPLES:
            assert f"tokenbot estimate {terms}" in text
            assert main(["estimate", "--no-save", *terms.split()]) == 0

    def test_names_the_no_save_option(self, text: str) -> None:
        assert "--no-save" in text
