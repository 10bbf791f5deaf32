"""Cross-validation on the knowledge base, and the fitting it feeds."""

from __future__ import annotations

import math
from dataclasses import replace

from knowledge.classifier import sigmoid
from knowledge.evaluation import (
    assign_folds,
    cross_validate,
    cross_validation_report,
    paraphrase_groups,
)
from knowledge.matching import DEFAULT_TUNING, confidence, decide
from knowledge.normalise import views
from knowledge.tuning import fit_calibration, fit_logistic, fit_recalibration
from tests.conftest import make_entry

ENTRIES = [
    make_entry(
        "carryover",
        "Do unused tokens carry over to the next month?",
        "do unused tokens roll over",
        "do unused tokens roll over to next month",
        "what happens to leftover tokens at month end",
        "are tokens lost at the end of the month",
        "tokens expire monthly?",
    ),
    make_entry(
        "copilot-rate",
        "How many tokens does Agent Copilot consume per user?",
        "copilot tokens per agent per month",
        "agent copilot cost per user",
        "how much does copilot cost each month",
        "copilot price in tokens",
        "tokens for one copilot agent",
    ),
]
NEGATIVES = ["how do I create a queue", "where do I reset my password", "good morning team"]


class TestFolds:
    def test_near_twins_are_one_paraphrase_group(self) -> None:
        groups = paraphrase_groups(
            ["do unused tokens roll over", "do unused tokens roll over?", "copilot price"]
        )
        assert sorted(map(sorted, groups)) == [[0, 1], [2]]

    def test_every_text_is_dealt_once_and_deterministically(self) -> None:
        dealt = assign_folds(ENTRIES, NEGATIVES, folds=3)
        texts = [text for entry in ENTRIES for text in entry.phrasings] + NEGATIVES
        assert sorted(text for _, text, _ in dealt) == sorted(texts)
        assert dealt == assign_folds(ENTRIES, NEGATIVES, folds=3)
        assert {fold for _, _, fold in dealt} == {0, 1, 2}

    def test_a_held_out_text_is_not_in_its_own_index(self) -> None:
        """Held-out phrasings are never matched exactly: their index was built without them."""
        held = cross_validate(ENTRIES, NEGATIVES, folds=3)
        inside = [h for h in held if h.expect is not None]
        assert len(inside) == sum(len(e.phrasings) for e in ENTRIES)
        assert all(c.signals.phrasing < 0.999 for h in inside for c in h.evidence.candidates)


class TestReport:
    def test_counts_confusions_per_entry(self) -> None:
        held = cross_validate(ENTRIES, NEGATIVES, folds=3)
        ids = ("carryover", "copilot-rate")
        report = cross_validation_report(held, [decide(ids, h.evidence) for h in held], ids)
        assert [row.entry_id for row in report.entries] == list(ids)
        assert sum(row.held_out for row in report.entries) == report.report.in_scope
        assert sum(count for _, _, count, _ in report.reliability) == len(held)
        assert "first entry right" in report.summary()


class TestLogistic:
    def test_recovers_a_clear_relation(self) -> None:
        rows = [[x / 10] for x in range(-20, 21)]
        labels = [int(row[0] > 0.3) for row in rows]
        weights, bias = fit_logistic(rows, labels, l2=0.01)
        boundary = -bias / weights[0]
        assert weights[0] > 0
        assert math.isclose(boundary, 0.35, abs_tol=0.1)


class TestRecalibration:
    """The cross-validated log-odds scaled onto real questions."""

    def test_a_timid_calibration_is_sharpened(self) -> None:
        # Real questions are right 19 times in 20 where the calibration says 3 in 4 (x = 1.1).
        log_odds = [1.1] * 100 + [-1.1] * 100
        labels = [1] * 95 + [0] * 5 + [0] * 95 + [1] * 5
        fitted = fit_recalibration(log_odds, labels, DEFAULT_TUNING)
        assert fitted.real_slope > 2.0
        assert 0.9 < sigmoid(1.1 * fitted.real_slope) < 0.96

    def test_a_calibration_that_is_already_right_is_left_almost_alone(self) -> None:
        log_odds, labels = [], []
        for x in range(-16, 17):
            right = round(100 / (1 + math.exp(-x / 4)))
            log_odds.extend([x / 4] * 100)
            labels.extend([1] * right + [0] * (100 - right))
        fitted = fit_recalibration(log_odds, labels, DEFAULT_TUNING)
        assert abs(fitted.real_slope - 1.0) < 0.1

    def test_the_recalibration_moves_the_confidence_a_question_is_answered_at(self) -> None:
        values = [0.0] * len(DEFAULT_TUNING.calibration)
        plain = replace(DEFAULT_TUNING, bias=0.5, real_slope=1.0)
        assert math.isclose(confidence(values, plain), 1 / (1 + math.exp(-0.5)))
        sharper = replace(plain, real_slope=2.0)
        assert math.isclose(confidence(values, sharper), 1 / (1 + math.exp(-1.0)))

    def test_the_cross_validated_calibration_starts_without_a_recalibration(self) -> None:
        held = cross_validate(ENTRIES, NEGATIVES, folds=3)
        ids = ("carryover", "copilot-rate")
        fitted = fit_calibration(held, ids, replace(DEFAULT_TUNING, real_slope=2.0))
        assert fitted.real_slope == 1.0


class TestLongPostsInCrossValidation:
    def test_a_held_out_post_is_judged_view_by_view(self) -> None:
        """A curated post of several sentences is matched as a message is: on its views."""
        post = "Hi all. We have a quiet month coming up. Do unused tokens roll over?"
        entries = [
            ENTRIES[0].model_copy(update={"alt_questions": [*ENTRIES[0].alt_questions, post]}),
            ENTRIES[1],
        ]
        held = cross_validate(entries, NEGATIVES, folds=3)
        long = [h for h in held if h.text == post]
        short = [h for h in held if h.text != post]
        assert len(long) == 1
        assert [e.text for e in long[0].views] == views(post)
        assert long[0].verdict_evidence == long[0].views
        assert all(h.views == () and h.verdict_evidence == (h.evidence,) for h in short)
