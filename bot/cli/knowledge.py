"""`tokenbot ask`, `tokenbot kb check` and `tokenbot kb eval`: the knowledge base on a terminal.

`kb drafts` and `kb due` (the curation loop) are in `bot.cli.curation`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

from bot.cli import curation
from bot.text import answers as text
from knowledge import loader
from knowledge.checks import Severity, check_knowledge_base
from knowledge.entries import Confidence, Entry
from knowledge.evaluation import (
    FOLDS,
    CrossValidationReport,
    Report,
    Verdict,
    cross_validate,
    cross_validation_report,
    evaluate,
)
from knowledge.loader import KnowledgeBase
from knowledge.matching import Index, Match, build_index, decide, search

NOT_FOUND = (
    "I don't know that one yet, so I won't guess. Try rephrasing with the feature's name "
    "(STA, Agent Copilot, virtual agent...), or see `tokenbot --help` (in Slack: `/tokens help`)."
)
OUT_OF_SCOPE = (
    "That sounds like an authentication or platform token (OAuth, Slack, API, JWT...). "
    "I only answer questions about Genesys Cloud AI Experience tokens."
)


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `ask` and `kb` to the command line."""
    ask = commands.add_parser(
        "ask",
        help="answer a question about AI Experience tokens from the knowledge base",
        description="Answer a question from the knowledge base. Use '-' to read one question "
        "per line from standard input.",
    )
    ask.add_argument("question", nargs="+", help="the question, or '-' for standard input")
    ask.add_argument("--json", action="store_true", help="print JSON (one object per question)")
    ask.add_argument(
        "--full", action="store_true", help="print the whole answer, not only the short one"
    )
    ask.set_defaults(run=_run_ask)

    kb = commands.add_parser(
        "kb", help="check or evaluate the knowledge base; drafts from the experts; reviews due"
    )
    actions = kb.add_subparsers(dest="kb_command", metavar="ACTION", parser_class=type(kb))
    actions.required = True

    check = actions.add_parser("check", help="validate every entry, topic and phrasing")
    check.add_argument("--faq", type=Path, default=loader.FAQ_DIR, help="FAQ directory")
    check.add_argument("--cards", type=Path, default=loader.CARDS_DIR, help="rate-card directory")
    check.add_argument(
        "--topics", type=Path, default=loader.TOPICS_FILE, help="required topics (YAML)"
    )
    check.add_argument(
        "--out-of-scope",
        type=Path,
        default=loader.OUT_OF_SCOPE_DIR,
        help="directory of out-of-scope question sets (YAML)",
    )
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(run=_run_check)

    run_eval = actions.add_parser(
        "eval",
        help="measure matching on a labelled question file, or cross-validated (--cv)",
        description="Measure matching on a labelled question file (each question's own text is "
        "first removed from the knowledge base), or with --cv on the knowledge base itself: "
        "every phrasing and out-of-scope question held out in turn, with per-entry confusions "
        "and the calibration of the matcher's confidence.",
    )
    run_eval.add_argument(
        "file", type=Path, nargs="?", help="labelled questions (eval/dev-questions.yml)"
    )
    run_eval.add_argument(
        "--cv", action="store_true", help="cross-validate on the knowledge base instead of a file"
    )
    run_eval.add_argument(
        "--folds", type=int, default=FOLDS, help=f"cross-validation folds (default {FOLDS})"
    )
    run_eval.add_argument(
        "--keep-own-text",
        action="store_true",
        help="do not remove the questions' own texts from the knowledge base first",
    )
    run_eval.add_argument("--json", action="store_true", help="print JSON")
    run_eval.add_argument("--show", action="store_true", help="list every miss and wrong answer")
    run_eval.set_defaults(run=_run_eval)

    curation.register(actions)


# --- ask -------------------------------------------------------------------------------------


def match_json(question: str, match: Match, entry: Entry | None) -> dict[str, Any]:
    """The JSON shape of one answer (also used line by line for `ask --json -`)."""
    result: dict[str, Any] = {
        "question": question,
        "answered": match.answered,
        "id": match.entry_id,
        "score": match.score,
        "suggestions": [s.entry_id for s in match.suggestions],
        "out_of_scope": match.out_of_scope,
        "matched": match.matched,
    }
    if entry is not None:
        result["entry"] = {
            "question": entry.question,
            "summary": entry.summary,
            "answer": entry.answer,
            "confidence": entry.confidence.value,
            "reference": entry.reference,
            "sources": [
                {
                    "url": str(s.url),
                    "title": s.title,
                    "kind": s.kind.value,
                    "official": s.official,
                }
                for s in entry.sources_by_strength
            ],
        }
    return result


def _run_ask(args: argparse.Namespace) -> int:
    kb = loader.load_knowledge_base()
    index = build_index(kb.entries, negatives=kb.negatives)
    if args.question == ["-"]:
        for line in sys.stdin:
            if line.strip():
                _answer(kb, index, line.strip(), args.json, args.full)
        return 0
    _answer(kb, index, " ".join(args.question), args.json, args.full)
    return 0


def _answer(kb: KnowledgeBase, index: Index, question: str, as_json: bool, full: bool) -> None:
    match = search(index, question)
    entry = kb.get(match.entry_id) if match.entry_id else None
    if as_json:
        print(json.dumps(match_json(question, match, entry), ensure_ascii=False), flush=True)
    else:
        print(render_match(kb, match, entry, full=full))


def render_match(
    kb: KnowledgeBase, match: Match, entry: Entry | None, *, full: bool = False
) -> str:
    """An answer, the "did you mean" list, or the honest not-found message, for a terminal.

    An answer is short (the summary, its confidence and sources) unless `full`.
    """
    if match.out_of_scope:
        return OUT_OF_SCOPE
    if entry is None:
        choices = [kb.get(s.entry_id) for s in match.suggestions]
        if not choices:
            return NOT_FOUND
        first = choices[0]
        lines = ["I'm not sure which of these you mean. The likeliest:", ""]
        if first is not None:
            lines += [first.question, first.summary, f"({first.reference})", "", "Choices:"]
        lines += [f"  - {c.question}   (tokenbot ask {c.question!r})" for c in choices if c]
        return "\n".join(lines)
    if full:
        lines = [entry.question, "", *text.full_answer_lines(entry)]
    else:
        lines = [entry.question, "", text.markdown_to_plain(entry.summary), ""]
        if entry.confidence is not Confidence.OFFICIAL:
            lines.append(f"Confidence: {text.describe_confidence(entry.confidence)}")
        lines.append("Sources:")
        for source in entry.sources_by_strength:
            lines += text.source_lines(source)
        lines.append(f"{entry.reference} · the whole answer: tokenbot ask --full")
    others = [kb.get(s.entry_id) for s in match.suggestions]
    if others:
        lines.append("See also: " + "; ".join(o.question for o in others if o))
    return "\n".join(lines)


# --- kb check --------------------------------------------------------------------------------


def _run_check(args: argparse.Namespace) -> int:
    cards = loader.load_cards(args.cards)
    card = cards[loader.DEFAULT_CARD]
    scan = loader.scan_entries(args.faq, card.placeholders())
    entries = scan.entries
    topics = loader.load_topics(args.topics)
    out_of_scope, more_problems = loader.scan_out_of_scope(args.out_of_scope)
    problems = check_knowledge_base(
        entries,
        topics,
        dt.date.today(),
        [*scan.problems, *more_problems],
        out_of_scope,
        templates=scan.templates,
        card=card,
    )
    errors = [p for p in problems if p.severity is Severity.ERROR]
    failed = bool(errors) or (args.strict and bool(problems))
    if args.json:
        print(
            json.dumps(
                {
                    "ok": not failed,
                    "entries": len(entries),
                    "phrasings": sum(len(e.phrasings) for e in entries),
                    "out_of_scope": sum(len(s.questions) for s in out_of_scope),
                    "cards": sorted(cards),
                    "problems": [
                        {"severity": p.severity.value, "where": p.where, "message": p.message}
                        for p in problems
                    ],
                },
                indent=2,
            )
        )
    else:
        for problem in problems:
            print(problem, file=sys.stderr if problem.severity is Severity.ERROR else sys.stdout)
        verdict = "FAILED" if failed else "ok"
        print(
            f"kb check {verdict}: {len(entries)} entries, "
            f"{sum(len(e.phrasings) for e in entries)} phrasings, "
            f"{sum(len(s.questions) for s in out_of_scope)} out-of-scope questions, "
            f"{len(cards)} rate cards, "
            f"{len(errors)} errors, {len(problems) - len(errors)} warnings"
        )
    return 1 if failed else 0


# --- kb eval ---------------------------------------------------------------------------------


def _run_eval(args: argparse.Namespace) -> int:
    if args.cv == (args.file is not None):
        print("tokenbot: kb eval: give a labelled question FILE, or --cv", file=sys.stderr)
        return 2
    kb = loader.load_knowledge_base()
    if args.cv:
        return _run_cross_validation(kb, args)
    questions = loader.load_labelled_questions(args.file)
    unknown = sorted({q.expect for q in questions if q.expect and kb.get(q.expect) is None})
    if unknown:
        print(
            f"tokenbot: {args.file}: expects entries that do not exist: {', '.join(unknown)}",
            file=sys.stderr,
        )
        return 2
    report = evaluate(
        kb.entries,
        questions,
        time.perf_counter,
        leave_out=not args.keep_own_text,
        negatives=kb.negatives,
    )
    if args.json:
        print(json.dumps(report_json(report), indent=2))
    else:
        print(render_report(report, show=args.show))
    return 0


def _run_cross_validation(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    if not 2 <= args.folds <= 20:
        print("tokenbot: kb eval: --folds must be between 2 and 20", file=sys.stderr)
        return 2
    ids = tuple(sorted(entry.id for entry in kb.entries))
    held = cross_validate(kb.entries, kb.negatives, args.folds)
    matches = [decide(ids, item.evidence, exact=False) for item in held]
    report = cross_validation_report(held, matches, ids)
    if args.json:
        print(json.dumps(cross_validation_json(report), indent=2))
    else:
        print(render_cross_validation(report, args.folds, show=args.show))
    return 0


def cross_validation_json(cv: CrossValidationReport) -> dict[str, Any]:
    found = report_json(cv.report)
    found["entries"] = [
        {
            "id": row.entry_id,
            "held_out": row.held_out,
            "right": row.right,
            "first": row.first,
            "confused_with": [{"id": other, "count": n} for other, n in row.confused],
        }
        for row in cv.entries
    ]
    found["calibration"] = [
        {"low": low, "high": high, "texts": count, "first_right": round(right, 4)}
        for low, high, count, right in cv.reliability
    ]
    return found


def render_cross_validation(cv: CrossValidationReport, folds: int, show: bool = False) -> str:
    """The curator's view: overall verdicts, calibration, then entries worst first."""
    lines = [
        f"cross-validated on the knowledge base ({folds} folds: every phrasing and out-of-scope "
        "question matched by an index built without it; the shipped calibration was fitted on "
        "such held-out texts and then mapped onto real questions, which are easier, so these "
        "figures answer more and more wrongly than real use; benchmarks/tune_matching.py "
        "prints the strict nested figures)",
        render_report(cv.report, show=show, timed=False),
        "calibration (held-out texts by the matcher's confidence; out of scope never right):",
        *cv.summary().splitlines()[2:],
        "",
        f"  {'entry':<34} {'held out':>8} {'first':>6} {'right':>6}  "
        "most often ranked first instead",
    ]
    for row in sorted(cv.entries, key=lambda r: (r.first / r.held_out, r.entry_id)):
        confused = ", ".join(f"{other} ({n})" for other, n in row.confused[:3]) or "-"
        lines.append(
            f"  {row.entry_id:<34} {row.held_out:>8} {row.first / row.held_out:>6.0%} "
            f"{row.right / row.held_out:>6.0%}  {confused}"
        )
    return "\n".join(lines)


def report_json(report: Report) -> dict[str, Any]:
    return {
        "in_scope": report.in_scope,
        "out_of_scope": report.out_of_scope,
        "counts": {verdict.value: report.count(verdict) for verdict in Verdict},
        "shares": {verdict.value: round(report.share(verdict), 4) for verdict in Verdict},
        "median_ms": round(report.median_seconds * 1000, 3),
        "p99_ms": round(report.p99_seconds * 1000, 3),
        "outcomes": [
            {
                "question": o.question.text,
                "expect": o.question.expect,
                "verdict": o.verdict.value,
                "id": o.match.entry_id,
                "score": o.match.score,
                "suggestions": [s.entry_id for s in o.match.suggestions],
            }
            for o in report.outcomes
        ],
    }


def render_report(report: Report, show: bool = False, timed: bool = True) -> str:
    def row(label: str, verdict: Verdict) -> str:
        base = (
            report.out_of_scope
            if verdict in (Verdict.DECLINED, Verdict.ANSWERED_OUT_OF_SCOPE)
            else report.in_scope
        )
        return f"  {label:<42} {report.count(verdict):>4} / {base:<4} {report.share(verdict):6.1%}"

    lines = [
        f"in scope ({report.in_scope} questions)",
        row("answered with the right entry", Verdict.RIGHT),
        row("answered with a wrong entry", Verdict.WRONG),
        row("not answered, right entry suggested", Verdict.SUGGESTED),
        row("missed", Verdict.MISSED),
        f"out of scope ({report.out_of_scope} questions)",
        row("correctly not answered", Verdict.DECLINED),
        row("answered anyway", Verdict.ANSWERED_OUT_OF_SCOPE),
    ]
    if timed:
        lines.append(
            f"time per question: median {report.median_seconds * 1000:.3f} ms, "
            f"p99 {report.p99_seconds * 1000:.3f} ms"
        )
    if show:
        for o in report.outcomes:
            if o.verdict not in (Verdict.RIGHT, Verdict.DECLINED):
                got = o.match.entry_id or ",".join(s.entry_id for s in o.match.suggestions) or "-"
                lines.append(
                    f"  [{o.verdict.value}] {o.question.text!r}: expected {o.question.expect}, "
                    f"got {got} ({o.match.score:.2f})"
                )
    return "\n".join(lines)
