"""Where the table starts: the header row below any title rows, and the column names it gives.

People's spreadsheets often open with a title ("Customer survey 2024"), a date line or a blank
row before the column names, and name column groups with merged cells over a second header row.
The first rows of a file are judged here, the same way for text files and workbooks, and what
was decided is said in words (:class:`~app.core.data.table.Layout`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

import numpy as np

from app.core.data.table import Layout
from app.core.data.words import column_letter, rows_text
from app.core.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

#: Rows judged when looking for the header row.
SAMPLE_ROWS = 50
_LINE_BREAKS_IN_NAME = re.compile(r"\s*[\r\n]+\s*")
_NUMBER = re.compile(r"^[+-]?(\d[\d ,.]*|\.\d+)([eE][+-]?\d+)?%?$")

#: A horizontal merged cell in the header area: (row, first column, last column), 0-based.
Span = tuple[int, int, int]


@dataclass
class HeaderChoice:
    """The header row (index into the rows judged), a second header row under merged cells, and words."""

    index: int
    second: int | None = None
    notes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _filled(row: Sequence[str]) -> int:
    return sum(1 for cell in row if cell.strip())


def _looks_like_number(cell: str) -> bool:
    return bool(_NUMBER.match(cell.strip()))


def find_header(rows: Sequence[Sequence[str]], first_row: int, spans: Sequence[Span] = ()) -> HeaderChoice:
    """Choose the header among the first rows (``first_row`` is the spreadsheet number of ``rows[0]``).

    The header is the first row as wide as the table's typical row (half its filled cells at
    least, and two or more): a title or a date line above it fills one or two cells only.
    """
    widths = [_filled(row) for row in rows]
    filled = [w for w in widths if w]
    if not filled:
        return HeaderChoice(0)
    typical = int(np.median(filled))
    needed = max(2, -(-typical // 2)) if typical > 1 else 1
    index = next((i for i, w in enumerate(widths) if w >= needed), next(i for i, w in enumerate(widths) if w))
    choice = HeaderChoice(index)
    skipped = [first_row + i for i in range(index) if widths[i]]
    if skipped:
        choice.notes.append(
            f"The column names were taken from row {first_row + index}; "
            f"{rows_text(skipped)} above {'it looks' if len(skipped) == 1 else 'them look'} like a title "
            f"and {'was' if len(skipped) == 1 else 'were'} left out."
        )
        if any(widths[i] >= 2 for i in range(index)):
            choice.reasons.append(
                f"{rows_text(skipped).capitalize()} above the column names hold{'s' if len(skipped) == 1 else ''} "
                "more than a title; check that the right row was taken as the column names."
            )
    header = [cell for cell in rows[index] if cell.strip()]
    numeric = sum(_looks_like_number(cell) for cell in header)
    if header and numeric * 2 >= len(header) and len(rows) > index + 1:
        choice.reasons.append(
            f"Row {first_row + index} holds numbers where column names are expected: the file may have no "
            "row of column names. Add one (or choose the header row) if its first row is data."
        )
    choice.second = _second_header(rows, index, spans)
    if choice.second is not None:
        choice.notes.append(
            f"Rows {first_row + index} and {first_row + choice.second} together name the columns "
            "(merged cells over a second header row)."
        )
    return choice


def _second_header(rows: Sequence[Sequence[str]], index: int, spans: Sequence[Span]) -> int | None:
    """The row under the header when merged header cells group columns that it names one by one."""
    merged = [(a, b) for row, a, b in spans if row == index and b > a]
    below = index + 1
    if not merged or below >= len(rows):
        return None
    under = rows[below]
    grouped = all(any(cell.strip() for cell in under[a : b + 1]) for a, b in merged)
    numbers = sum(_looks_like_number(cell) for cell in under if cell.strip())
    return below if grouped and numbers == 0 else None


def header_names(rows: Sequence[Sequence[str]], choice: HeaderChoice, spans: Sequence[Span]) -> list[str]:
    """The raw header texts, a group name from a merged cell joined to the name under it."""
    header = [str(cell) for cell in rows[choice.index]]
    if choice.second is None:
        return header
    under = [str(cell) for cell in rows[choice.second]]
    width = max(len(header), len(under))
    header += [""] * (width - len(header))
    under += [""] * (width - len(under))
    group = list(header)
    for row, a, b in spans:
        if row == choice.index:
            for j in range(a + 1, min(b + 1, width)):
                group[j] = header[a]
    return [" – ".join(part.strip() for part in (top, low) if part.strip()) for top, low in zip(group, under, strict=True)]


def column_names(header: Sequence[str], first_column: int = 0) -> list[str]:
    """Stripped header names; a blank one becomes "column C", a repeated one "text (2)".

    Names written in the file win: a made-up name never takes one that a later column has.
    """
    written = [_LINE_BREAKS_IN_NAME.sub(" ", raw).strip() for raw in header]
    taken = set(written)
    names: list[str] = []
    for index, name in enumerate(written):
        base = name or f"column {column_letter(first_column + index)}"
        candidate, copy = base, 2
        while candidate in names or (candidate != name and candidate in taken):
            candidate, copy = f"{base} ({copy})", copy + 1
        names.append(candidate)
    return names


def build_table(
    path_name: str,
    header: list[str],
    chunks: list[pd.DataFrame],
    numbers: list[np.ndarray],
    layout: Layout,
    first_column: int = 0,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Join the chunks read, name the columns, and drop unnamed columns that hold nothing."""
    if not chunks:
        raise DataError(
            f'"{path_name}" has column names (in row {layout.header_row}) but no rows of data below them.',
            "Check that you chose the right file (and, for a workbook, the right sheet), or choose the header row.",
        )
    import pandas as pd

    frame = pd.concat(chunks, ignore_index=True)
    header = header + [""] * (frame.shape[1] - len(header))
    names = column_names(header, first_column)
    keep = [j for j, raw in enumerate(header) if raw.strip() or not (frame[j] == "").all()]
    if len(keep) < len(header):
        frame = frame[keep]
    frame.columns = [names[j] for j in keep]
    blank_names = [names[j] for j in keep if not header[j].strip()]
    if blank_names and len(blank_names) * 3 > len(keep):
        layout.reasons.append(
            f"{len(blank_names)} of {len(keep)} columns have no name in row {layout.header_row}; "
            "check that the right row was taken as the column names."
        )
    return frame, np.concatenate(numbers)

