"""Time per question of the matcher, at the shipped size and grown to 1,000 (and 10,000) entries.

Run: .venv/bin/python benchmarks/matching.py [--repeat N] [--sizes 0,1000,10000]

For each size it prints the time to build the index (lexical index, entry prototypes, the
out-of-scope model trained on the phrasings and the curated out-of-scope questions), how much
the process grew while building it and answering every question (resident set size, so the
matcher's caches count), the memory the index itself holds (tracemalloc, a second build; only
up to `TRACE_LIMIT` entries, as tracing makes a build several times slower), and the median
and p99 time per question, and the process's peak RSS (each size runs in a process of its own).

Synthetic entries copy the shape of the shipped ones (same number of phrasings, same common
words such as "token", "cost", "per user") and add a few invented topic words of their own,
so that a bigger knowledge base has both more rare vocabulary and longer postings for common
words, as a real one would. The questions are the labelled dev questions (shared/eval) when
present, else every entry's own question, plus a typo'd copy of each.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from knowledge import loader
from knowledge.entries import Entry
from knowledge.matching import build_index, search

DEV_QUESTIONS = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev-questions.yml"
TRACE_LIMIT = 2_000
"""Largest knowledge base whose index memory is also measured with tracemalloc."""
SYLLABLES = "ka lo mi ne ru sa te vi zo qua bel dor fin gar hul jex kor lun mav nix".split()


def synthetic_entries(base: tuple[Entry, ...], count: int, seed: int = 7) -> list[Entry]:
    """`count` invented entries shaped like `base`, deterministic for a given seed."""
    rng = random.Random(seed)
    made = []
    for number in range(count):
        model = base[number % len(base)]
        topic = ["".join(rng.choice(SYLLABLES) for _ in range(3)) for _ in range(3)]
        phrasings = []
        for phrasing in model.phrasings:
            words = phrasing.split()
            # Swap a third of the words for this entry's invented topic words.
            for position in rng.sample(range(len(words)), k=max(1, len(words) // 3)):
                words[position] = rng.choice(topic)
            phrasings.append(" ".join(words))
        made.append(
            model.model_copy(
                update={
                    "id": f"synthetic-{number:05d}",
                    "question": phrasings[0],
                    "alt_questions": list(dict.fromkeys(phrasings[1:])) or [phrasings[0] + " ?"],
                }
            )
        )
    return made


def questions() -> list[str]:
    if DEV_QUESTIONS.exists():
        asked = [q.text for q in loader.load_labelled_questions(DEV_QUESTIONS)]
    else:
        asked = [entry.question for entry in loader.load_knowledge_base().entries]
    rng = random.Random(11)
    typos = []
    for text in asked:
        chars = list(text)
        position = rng.randrange(len(chars))
        chars.insert(position, chars[position])
        typos.append("".join(chars))
    return asked + typos


def index_megabytes(entries: list[Entry], negatives: tuple[str, ...]) -> float:
    """Memory held by a freshly built index (Python allocations still alive after the build)."""
    gc.collect()
    tracemalloc.start()
    index = build_index(entries, negatives=negatives)
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del index
    return held / 1e6


def resident_megabytes() -> float:
    """The process's resident set size now (Linux), or its peak elsewhere."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize() / 1e6
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def measure(
    entries: list[Entry], negatives: tuple[str, ...], asked: list[str], repeat: int
) -> dict[str, Any]:
    gc.collect()
    before = resident_megabytes()
    started = time.perf_counter()
    index = build_index(entries, negatives=negatives)
    build_seconds = time.perf_counter() - started
    for text in asked:  # warm the caches (typo corrections, prototypes), as a server would be
        search(index, text)
    times = []
    for _ in range(repeat):
        for text in asked:
            started = time.perf_counter()
            search(index, text)
            times.append(time.perf_counter() - started)
    grown = resident_megabytes() - before
    del index
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    return {
        "build": build_seconds,
        "grown": grown,
        "median": statistics.median(times),
        "p99": p99,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions")
    parser.add_argument(
        "--sizes", default="0,1000", help="knowledge-base sizes, comma-separated (0: as shipped)"
    )
    parser.add_argument("--row", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(part) for part in args.sizes.split(",")]
    if len(sizes) > 1:
        # One process per size, so that each RSS figure starts from the same clean process.
        print_header(args.repeat)
        for size in sizes:
            command = [sys.executable, __file__, "--sizes", str(size), "--repeat", str(args.repeat)]
            subprocess.run([*command, "--row"], check=True)
        return
    kb = loader.load_knowledge_base()
    if not args.row:
        print_header(args.repeat)
    shipped = kb.entries
    asked = questions()
    for size in sizes:
        entries = list(shipped) + synthetic_entries(shipped, max(0, size - len(shipped)))
        phrasings = sum(len(entry.phrasings) for entry in entries)
        found = measure(entries, kb.negatives, asked, args.repeat)
        held = (
            f"{index_megabytes(entries, kb.negatives):>9.1f}"
            if len(entries) <= TRACE_LIMIT
            else f"{'-':>9}"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{len(entries):>8} {phrasings:>10} {found['build']:>8.2f} {found['grown']:>8.0f} "
            f"{held} {found['median'] * 1000:>10.3f} {found['p99'] * 1000:>8.3f} {peak:>9.0f}",
            flush=True,
        )


def print_header(repeat: int) -> None:
    kb = loader.load_knowledge_base()
    print(
        f"{len(questions())} questions x {repeat} passes per size; "
        f"{len(kb.negatives)} out-of-scope questions; one process per size"
    )
    print(
        f"{'entries':>8} {'phrasings':>10} {'build s':>8} {'RSS +MB':>8} {'index MB':>9} "
        f"{'median ms':>10} {'p99 ms':>8} {'peak MB':>9}",
        flush=True,
    )


if __name__ == "__main__":
    main()
