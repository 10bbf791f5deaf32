"""Fit the matcher's rank weights and calibration by cross-validation on the knowledge base.

Run: .venv/bin/python benchmarks/tune_matching.py [--folds N]

Every phrasing of every entry and every curated out-of-scope question is held out in turn
(whole paraphrase groups together, `knowledge.evaluation.assign_folds`) and matched by an index
built without it. The rank weights are chosen to put the right entry first most often; the
calibration is a logistic regression of "the first entry is right" on the matcher's evidence.
The script prints the cross-validated figures (calibration fitted on the other folds only).

Then one labelled file is read, `../shared/eval/dev-questions.yml` (the questions design.md
names for tuning; `--real FILE` for another): the calibration's log-odds are mapped onto real
questions by a slope (`knowledge.tuning.fit_recalibration`), because held-out
curated phrasings are harder than real questions. No other evaluation file is read. Last, the
`Tuning` defaults, which `--write` puts into `knowledge/matching.py`.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
import time
from pathlib import Path

from knowledge import loader, matching
from knowledge.classifier import sigmoid
from knowledge.evaluation import (
    FOLDS,
    GROUP_OVERLAP,
    cross_validate,
    cross_validation_report,
    first_choice_log_odds,
)
from knowledge.matching import DEFAULT_TUNING, Tuning
from knowledge.tuning import fit_calibration, fit_rank, fit_recalibration, nested_matches

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev-questions.yml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=FOLDS, help="cross-validation folds")
    parser.add_argument(
        "--overlap",
        type=float,
        default=GROUP_OVERLAP,
        help="concept-token Jaccard at which phrasings are held out together",
    )
    parser.add_argument(
        "--real", type=Path, default=DEV, help="labelled real questions for the recalibration"
    )
    parser.add_argument(
        "--write", action="store_true", help="write the fitted defaults into knowledge/matching.py"
    )
    args = parser.parse_args()
    kb = loader.load_knowledge_base()
    ids = tuple(sorted(entry.id for entry in kb.entries))
    started = time.perf_counter()
    held = cross_validate(kb.entries, kb.negatives, args.folds, overlap=args.overlap)
    print(
        f"{len(kb.entries)} entries, {sum(len(e.phrasings) for e in kb.entries)} phrasings, "
        f"{len(kb.negatives)} out-of-scope questions; {args.folds} folds gathered in "
        f"{time.perf_counter() - started:.1f} s"
    )
    tuning, accuracy = fit_rank(held, ids, DEFAULT_TUNING)
    print(f"right entry ranked first: {accuracy:.1%} of held-out phrasings")
    tuning = fit_calibration(held, ids, tuning)
    report = cross_validation_report(held, nested_matches(held, ids, tuning), ids, tuning)
    print("cross-validated verdicts (calibration fitted on the other folds):")
    print(report.summary())
    real = loader.load_labelled_questions(args.real)
    log_odds, labels = first_choice_log_odds(kb.entries, real, tuning, kb.negatives)
    tuning = fit_recalibration(log_odds, labels, tuning)
    print(
        f"recalibrated on {len(real)} real questions ({args.real.name}): "
        f"slope {tuning.real_slope}; the answer cut-off "
        f"{tuning.answer:.3f} now falls at a cross-validated confidence of "
        f"{_cross_validated(tuning.answer, tuning):.3f}"
    )
    block = tuned_block(tuning)
    unchanged = all(
        getattr(tuning, f.name) == getattr(DEFAULT_TUNING, f.name)
        for f in dataclasses.fields(tuning)
    )
    if args.write and not unchanged:
        path = Path(matching.__file__)
        path.write_text(_TUNED.sub(block, path.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"\nwritten to {path}:")
    else:
        state = "identical to the shipped defaults" if unchanged else "differs from the shipped"
        print(f"\nthe fitted defaults ({state}; --write puts them in knowledge/matching.py):")
    print(block)


def _cross_validated(probability: float, tuning: Tuning) -> float:
    """The cross-validated calibration's probability at which the recalibrated one is
    `probability`."""
    return sigmoid(math.log(probability / (1.0 - probability)) / tuning.real_slope)


_TUNED = re.compile(r"    # tuned: begin.*?    # tuned: end\n", re.DOTALL)


def tuned_block(tuning: Tuning) -> str:
    """The lines between the `# tuned:` markers of `knowledge/matching.py`."""
    lines = ["    # tuned: begin (written by `python benchmarks/tune_matching.py --write`)"]
    for name in ("phrasing", "centroid", "cover", "body", "prototype"):
        lines.append(f"    {name}: float = {getattr(tuning, name)!r}")
    lines.append("    calibration: tuple[float, ...] = (")
    lines.extend(f"        {weight!r}," for weight in tuning.calibration)
    lines.append("    )")
    lines.append(f"    bias: float = {tuning.bias!r}")
    lines.append(f"    real_slope: float = {tuning.real_slope!r}")
    lines.append("    # tuned: end\n")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
