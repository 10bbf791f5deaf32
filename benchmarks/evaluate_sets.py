"""The matcher's figures on every labelled question set, as the issue reports them.

Run: .venv/bin/python benchmarks/evaluate_sets.py

Sets: the shared dev questions (`../shared/eval/dev-questions.yml`, the set design.md says to
tune on), `benchmarks/data/blind-questions.yml` whole and by half (half A: the 1st and 3rd
question of each topic and the odd-numbered out-of-scope ones, inspected while the previous
matcher was tuned; half B: the rest, only ever measured), and `benchmarks/data/
public-questions.yml` (questions people asked in public, labelled before the first run).
Each question's own text is removed from the knowledge base first, as `tokenbot kb eval` does.
`benchmarks/data/public-questions-2.yml`, `blind-c.yml` and `public-questions-3.yml` are
deliberately not here: each was written before the changes it measures and is run rarely, by
hand (`tokenbot kb eval FILE`); running them after every change would turn them into tuning
sets. (On 2026-12-02 blind-c.yml was run on the matcher as the day began, twice in between and at
the end, and its failures were never looked at; public-questions-3.yml was run as the day
began, once in between and at the end, and its failures were read after the run in between.)
Half B of the blind set was inspected on 2026-12-02, so it is no longer blind.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from knowledge import loader
from knowledge.entries import LabelledQuestion
from knowledge.evaluation import Report, Verdict, evaluate

HERE = Path(__file__).resolve().parent
SETS = {
    "dev": HERE.parents[1] / "shared" / "eval" / "dev-questions.yml",
    "blind": HERE / "data" / "blind-questions.yml",
    "public": HERE / "data" / "public-questions.yml",
}


def halves(
    questions: Sequence[LabelledQuestion],
) -> tuple[list[LabelledQuestion], list[LabelledQuestion]]:
    """(half A, half B): alternate questions within each topic, and within out of scope."""
    seen: dict[str | None, int] = {}
    first: list[LabelledQuestion] = []
    second: list[LabelledQuestion] = []
    for question in questions:
        number = seen.get(question.expect, 0)
        seen[question.expect] = number + 1
        (first if number % 2 == 0 else second).append(question)
    return first, second


def line(name: str, report: Report) -> str:
    def share(verdict: Verdict) -> str:
        return f"{report.share(verdict):6.1%}"

    return (
        f"{name:<10} {report.in_scope:>4} {share(Verdict.RIGHT)} {share(Verdict.WRONG)} "
        f"{share(Verdict.SUGGESTED)} {share(Verdict.MISSED)}   "
        f"{report.count(Verdict.DECLINED):>3} of {report.out_of_scope:<3}"
    )


def main() -> None:
    kb = loader.load_knowledge_base()
    print(f"{'set':<10} {'in':>4} {'right':>6} {'wrong':>6} {'dym':>6} {'missed':>6}   silent")
    for name, path in SETS.items():
        if not path.exists():
            print(f"{name:<10} (no {path})")
            continue
        questions = loader.load_labelled_questions(path)
        parts = {name: list(questions)}
        if name == "blind":
            parts["blind A"], parts["blind B"] = halves(questions)
        for label, part in parts.items():
            report = evaluate(kb.entries, part, time.perf_counter, negatives=kb.negatives)
            print(line(label, report))


if __name__ == "__main__":
    main()
