"""What tokenbot remembers of its answer threads: the question each thread started with.

A follow-up in a thread ("and per minute or per second?") is matched with that question as
context. The memory lives in the process and is bounded (oldest threads forgotten first): after a
restart, or when another HTTP worker answered the first question, a follow-up is matched on its
own, as if it had no thread. Nothing here is stored on disk.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

THREADS_REMEMBERED = 5_000
"""Threads whose first question is kept; the least recently used is forgotten beyond this."""


class ThreadMemory:
    """(channel, thread ts) -> the question the thread started with. Safe across threads."""

    def __init__(self, limit: int = THREADS_REMEMBERED) -> None:
        self._limit = limit
        self._questions: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, channel: str, thread: str, question: str) -> None:
        """Keep `question` as the thread's context, unless the thread already has one."""
        key = (channel, thread)
        with self._lock:
            self._questions.setdefault(key, question)
            self._questions.move_to_end(key)
            while len(self._questions) > self._limit:
                self._questions.popitem(last=False)

    def question(self, channel: str, thread: str) -> str | None:
        """The question `thread` started with, if this process answered it."""
        key = (channel, thread)
        with self._lock:
            found = self._questions.get(key)
            if found is not None:
                self._questions.move_to_end(key)
            return found

    def __len__(self) -> int:
        with self._lock:
            return len(self._questions)
