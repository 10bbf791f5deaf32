"""Print how long answers are: lines and words of every entry's answer, as each surface shows it.

    .venv/bin/python scripts/answer_lengths.py

Slack: the text of the answer message's sections and context blocks (what is on screen before any
click). Terminal: what `tokenbot ask QUESTION` prints (with `--full` as a second row when the
command has it). Ticket: the plain-text block. Figures are min / median / max over all entries.
"""

from __future__ import annotations

import inspect
import statistics
from collections.abc import Callable, Iterable

from bot.cli import knowledge as cli
from bot.slack import render
from bot.text.tickets import ticket_for_answer
from knowledge import loader
from knowledge.entries import Entry
from knowledge.matching import build_index, search


def _slack_text(entry: Entry) -> str:
    texts: list[str] = []
    for block in render.render_answer(entry).blocks:
        if block["type"] == "section" and "text" in block:
            texts.append(block["text"]["text"])
        if block["type"] == "context":
            texts += [element["text"] for element in block["elements"] if "text" in element]
    return "\n".join(texts)


def _row(label: str, texts: Iterable[str]) -> str:
    lines = [len(t.strip().splitlines()) for t in texts]
    words = [len(t.split()) for t in texts]

    def spread(values: list[int]) -> str:
        return f"{min(values):>4} / {statistics.median(values):>6.1f} / {max(values):>4}"

    return f"{label:<22} lines {spread(lines)}   words {spread(words)}"


def main() -> None:
    kb = loader.load_knowledge_base()
    index = build_index(kb.entries)
    full = "full" in inspect.signature(cli.render_match).parameters

    def terminal(entry: Entry, **options: bool) -> str:
        match = search(index, entry.question)
        shown: Callable[..., str] = cli.render_match
        return shown(kb, match, kb.get(match.entry_id or "") or entry, **options)

    entries = kb.entries
    print(f"{len(entries)} entries; figures are min / median / max (lines include blank ones)")
    print(_row("slack answer", [_slack_text(e) for e in entries]))
    print(_row("tokenbot ask", [terminal(e) for e in entries]))
    if full:
        print(_row("tokenbot ask --full", [terminal(e, full=True) for e in entries]))
    print(_row("ticket block", [ticket_for_answer(e, None) for e in entries]))
    print(_row("summary", [e.summary for e in entries]))


if __name__ == "__main__":
    main()
