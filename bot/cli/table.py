"""Terminal text shared by the command groups: aligned tables and wrapped text that fit a width.

The width is the terminal's (`COLUMNS` first, as `shutil.get_terminal_size` reads it; 80 when
output is not a terminal). Words are never broken, so a URL longer than the width stands alone
on its line rather than being cut where it could not be copied.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence

DEFAULT_WIDTH = 80
MIN_WIDTH = 40
"""Narrower than this, wrapping helps nobody: tables are laid out for 40 columns."""
MIN_COLUMN = 8
GAP = "  "


def terminal_width() -> int:
    """The width to fit: `COLUMNS`, else the terminal's, else 80; never below `MIN_WIDTH`."""
    return max(MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def fill(text: str, width: int) -> str:
    """`text` wrapped to `width` as one string (for argparse descriptions)."""
    return "\n".join(wrap(text, width))


def wrap(text: str, width: int, *, indent: str = "", hanging: str | None = None) -> list[str]:
    """`text` wrapped to `width`, the first line after `indent`, the rest after `hanging`."""
    rest = indent if hanging is None else hanging
    lines = textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return lines or [indent.rstrip()]


def bullets(items: Sequence[str], width: int, mark: str = "-") -> list[str]:
    """`  - item` for each item, wrapped with a hanging indent under the text."""
    out: list[str] = []
    for item in items:
        out += wrap(item, width, indent=f"  {mark} ", hanging=" " * (len(mark) + 3))
    return out


def _column_widths(
    natural: list[int], least: list[int], wrapped: frozenset[int], width: int | None
) -> list[int]:
    """Natural widths, the `wrapped` columns narrowed (never below their longest word)."""
    total = sum(natural) + len(GAP) * (len(natural) - 1)
    if width is None or total <= width or not wrapped:
        return natural
    fixed = sum(w for col, w in enumerate(natural) if col not in wrapped)
    room = width - fixed - len(GAP) * (len(natural) - 1)
    widths = list(natural)
    open_cols = sorted(wrapped, key=lambda col: natural[col])
    # Water-filling: a column narrower than its fair share keeps its width, the rest share.
    while open_cols:
        share = room // len(open_cols)
        col = open_cols[0]
        if natural[col] <= share:
            room -= natural[col]
            open_cols.pop(0)
            continue
        for col in open_cols:
            # A word that cannot fit anyway (a URL) overflows its cell rather than widening
            # the whole column.
            word = least[col] if least[col] <= room else 0
            widths[col] = max(MIN_COLUMN, share, word)
        break
    return widths


def _longest_word(column: Sequence[str]) -> int:
    return max((len(word) for cell in column for word in cell.split()), default=0)


def table_rows(
    rows: Sequence[Sequence[str]],
    right: frozenset[int] = frozenset(),
    *,
    width: int | None = None,
    wrapped: frozenset[int] = frozenset(),
) -> list[list[str]]:
    """Each row's physical lines: aligned columns, `wrapped` columns folded to fit `width`."""
    columns = [[row[col] for row in rows] for col in range(len(rows[0]))]
    natural = [max(len(cell) for cell in column) for column in columns]
    least = [_longest_word(column) for column in columns]
    widths = _column_widths(natural, least, wrapped, width)
    out: list[list[str]] = []
    for row in rows:
        cells = [
            wrap(cell, widths[col]) if col in wrapped and len(cell) > widths[col] else [cell]
            for col, cell in enumerate(row)
        ]
        height = max(len(cell) for cell in cells)
        physical = []
        for number in range(height):
            parts = []
            for col, cell in enumerate(cells):
                text = cell[number] if number < len(cell) else ""
                parts.append(text.rjust(widths[col]) if col in right else text.ljust(widths[col]))
            physical.append(GAP.join(parts).rstrip())
        out.append(physical)
    return out


def text_table(
    rows: Sequence[Sequence[str]],
    right: frozenset[int] = frozenset(),
    *,
    width: int | None = None,
    wrapped: frozenset[int] = frozenset(),
) -> list[str]:
    """Rows as aligned columns (first row is the header); `right` columns are right-aligned.

    With `width`, the `wrapped` columns are folded onto several lines so the table fits.
    """
    return [line for row in table_rows(rows, right, width=width, wrapped=wrapped) for line in row]
