"""Fitting the matcher's rank weights and calibration by cross-validation. Pure; no I/O.

`benchmarks/tune_matching.py` runs it on the shipped files and prints the `Tuning` to paste into
`knowledge/matching.py`. The evidence comes from `evaluation.cross_validate`: every phrasing and
out-of-scope question is matched by an index built without its fold, so what is fitted here is
how the matcher behaves on wordings it has never seen.

1. `fit_rank`: coordinate ascent on the rank weights (lexical signals, prototype cosine),
   maximising how often the right entry comes first.
2. `fit_calibration`: a logistic regression (Newton's method, L2 penalty) of "the first entry
   is right" on the `matching.FEATURES` of every held-out text. Out-of-scope texts are never
   right, so they teach the calibration what declining looks like.
3. `nested_matches`: the verdicts with the calibration fitted on the other folds only, for
   honest cross-validated figures.
4. `fit_recalibration`: that calibration mapped onto real questions: its log-odds times a
   slope, fitted on labelled real questions (the tune script gives it the dev questions) and
   pulled towards "no change".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from knowledge.classifier import sigmoid
from knowledge.evaluation import HeldOut
from knowledge.matching import FEATURES, Match, Tuning, choose, features, rank

RANK_WEIGHTS = ("phrasing", "centroid", "cover", "body", "prototype")
"""The `Tuning` fields `fit_rank` adjusts."""

RANK_STEPS = (0.5, 0.75, 1.25, 1.5, 2.0)
"""Factors tried on each rank weight per round of coordinate ascent."""

RANK_ROUNDS = 2

CALIBRATION_L2 = 1.0
"""L2 penalty of the calibration's logistic regression (its bias is not penalised)."""

NEWTON_STEPS = 25

RECALIBRATION_L2 = 1.0
"""Penalty pulling the recalibration's slope towards 1."""


def first_choice(held: HeldOut, tuning: Tuning) -> int | None:
    """The position of the entry ranked first for a held-out text, or None."""
    ranked = rank(held.evidence, tuning)
    return ranked[0][1].position if ranked else None


def rank_accuracy(held: Sequence[HeldOut], entry_ids: Sequence[str], tuning: Tuning) -> float:
    """Share of in-scope held-out texts whose right entry is ranked first."""
    inside = [h for h in held if h.expect is not None]
    right = 0
    for item in inside:
        first = first_choice(item, tuning)
        right += first is not None and entry_ids[first] == item.expect
    return right / len(inside) if inside else 0.0


def fit_rank(
    held: Sequence[HeldOut], entry_ids: Sequence[str], start: Tuning
) -> tuple[Tuning, float]:
    """Rank weights that put the right entry first most often, and that share."""
    best, accuracy = start, rank_accuracy(held, entry_ids, start)
    for _ in range(RANK_ROUNDS):
        for name in RANK_WEIGHTS:
            base = getattr(best, name)
            for step in RANK_STEPS:
                tried = replace(best, **{name: round(base * step, 3)})
                found = rank_accuracy(held, entry_ids, tried)
                if found > accuracy:
                    best, accuracy = tried, found
    return best, accuracy


def calibration_rows(
    held: Sequence[HeldOut], entry_ids: Sequence[str], tuning: Tuning
) -> tuple[list[list[float]], list[int]]:
    """(features, 1 if answering with the first entry would be right) per held-out text."""
    rows, labels = [], []
    for item in held:
        ranked = rank(item.evidence, tuning)
        rows.append(features(item.evidence, ranked, tuning))
        right = bool(ranked) and entry_ids[ranked[0][1].position] == item.expect
        labels.append(int(item.expect is not None and right))
    return rows, labels


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the system is small and positive definite)."""
    size = len(vector)
    rows = [[*matrix[i], vector[i]] for i in range(size)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda r: abs(rows[r][column]))
        rows[column], rows[pivot] = rows[pivot], rows[column]
        lead = rows[column][column]
        for r in range(column + 1, size):
            factor = rows[r][column] / lead
            if factor:
                for c in range(column, size + 1):
                    rows[r][c] -= factor * rows[column][c]
    solution = [0.0] * size
    for r in range(size - 1, -1, -1):
        total = rows[r][size] - sum(rows[r][c] * solution[c] for c in range(r + 1, size))
        solution[r] = total / rows[r][r]
    return solution


def fit_logistic(
    rows: Sequence[Sequence[float]], labels: Sequence[int], l2: float = CALIBRATION_L2
) -> tuple[list[float], float]:
    """L2-penalised logistic regression by Newton's method: (weights, bias)."""
    width = len(rows[0]) + 1
    data = [[*row, 1.0] for row in rows]
    coefficients = [0.0] * width
    for _ in range(NEWTON_STEPS):
        gradient = [-l2 * c for c in coefficients[:-1]] + [0.0]
        hessian = [[0.0] * width for _ in range(width)]
        for i in range(width - 1):
            hessian[i][i] = l2
        for x, y in zip(data, labels, strict=True):
            z = sum(c * v for c, v in zip(coefficients, x, strict=True))
            p = sigmoid(z)
            weight = p * (1.0 - p)
            for i in range(width):
                gradient[i] += (y - p) * x[i]
                scaled = weight * x[i]
                row = hessian[i]
                for j in range(i, width):
                    row[j] += scaled * x[j]
        for i in range(width):
            for j in range(i):
                hessian[i][j] = hessian[j][i]
        step = _solve(hessian, gradient)
        coefficients = [c + s for c, s in zip(coefficients, step, strict=True)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return coefficients[:-1], coefficients[-1]


def fit_calibration(
    held: Sequence[HeldOut], entry_ids: Sequence[str], tuning: Tuning, l2: float = CALIBRATION_L2
) -> Tuning:
    """`tuning` with the calibration refitted on `held` (ambiguous phrasings left out)."""
    rows, labels = calibration_rows([h for h in held if not h.ambiguous], entry_ids, tuning)
    weights, bias = fit_logistic(rows, labels, l2)
    assert len(weights) == len(FEATURES)
    return replace(
        tuning,
        calibration=tuple(round(w, 3) for w in weights),
        bias=round(bias, 3),
        real_slope=1.0,
    )


def fit_recalibration(
    log_odds: Sequence[float], labels: Sequence[int], tuning: Tuning, l2: float = RECALIBRATION_L2
) -> Tuning:
    """`tuning` with `real_slope` fitted so that sigmoid(slope * log_odds) predicts `labels` (1:
    the first entry was right), by Newton's method on the penalised likelihood (penalty
    l2 * (slope - 1)^2).

    A slope only, no shift (Platt scaling without its intercept): a slope above 1 says the
    cross-validated calibration is too timid both ways, which the dev questions show steadily
    (1.35-1.47 over a day of re-tunes), while a fitted shift moved from -0.04 to +0.18 with
    small changes to the knowledge base, flipping borderline answers each time."""
    slope = 1.0
    for _ in range(NEWTON_STEPS):
        gradient, curvature = -2 * l2 * (slope - 1.0), 2 * l2
        for x, y in zip(log_odds, labels, strict=True):
            p = sigmoid(slope * x)
            gradient += (y - p) * x
            curvature += p * (1.0 - p) * x * x
        step = gradient / curvature
        slope += step
        if abs(step) < 1e-7:
            break
    return replace(tuning, real_slope=round(slope, 3))


def nested_matches(
    held: Sequence[HeldOut], entry_ids: Sequence[str], tuning: Tuning
) -> list[Match]:
    """Each held-out text's verdict, with the calibration fitted on the other folds only."""
    folds = sorted({item.fold for item in held})
    matches: dict[int, Match] = {}
    for fold in folds:
        fitted = fit_calibration([h for h in held if h.fold != fold], entry_ids, tuning)
        for position, item in enumerate(held):
            if item.fold == fold:
                matches[position] = choose(entry_ids, item.verdict_evidence, fitted, exact=False)
    return [matches[position] for position in range(len(held))]
