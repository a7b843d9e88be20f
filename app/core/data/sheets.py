"""Workbooks (.xlsx, .xlsm, .xls, .ods) read with python-calamine: the sheet, its header row, its rows.

Cells become text as Excel shows them by default. Long whole numbers (IDs of 16+ digits) are the
exception worth a detour: a spreadsheet number keeps about 15 significant digits, so when an
.xlsx file stores more digits than that, they are read back exactly from the file itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from app.core.data.layout import SAMPLE_ROWS, HeaderChoice, Span, build_table, find_header, header_names
from app.core.data.table import Layout, LoadOptions, Steps, Table
from app.core.data.words import and_list
from app.core.errors import DataError

EXCEL_CHUNK_ROWS = 10_000
#: Whole numbers at or above this may have lost digits as floating-point numbers.
_LONG_NUMBER = float(2**53)
_EXACT_DIGITS_SUFFIXES = (".xlsx", ".xlsm")


def open_workbook(path: Path) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise DataError(
            f'"{path.name}" is protected with a password.',
            "Open it in Excel, remove the password, save it, and load it again.",
        ) from None
    except PermissionError:
        raise DataError(
            f'BatchLab is not allowed to open "{path.name}".',
            "If the file is open in Excel or another program, close it there and try again.",
        ) from None
    except (CalamineError, OSError, ValueError):
        raise _damaged(path) from None


def _damaged(path: Path) -> DataError:
    return DataError(
        f'"{path.name}" could not be opened as a spreadsheet: it is damaged, or it is not really a {path.suffix} file.',
        "Open it in Excel or LibreOffice and save it again as .xlsx (or export it as CSV), then load it again.",
    )


def worksheets(book: CalamineWorkbook) -> list[tuple[str, bool]]:
    """(name, visible) of every sheet that holds cells (not charts or macros)."""
    return [
        (sheet.name, sheet.visible == SheetVisibleEnum.Visible)
        for sheet in book.sheets_metadata
        if sheet.typ == SheetTypeEnum.WorkSheet
    ]


def load_spreadsheet(path: Path, options: LoadOptions, steps: Steps) -> Table:
    steps.check()
    with open_workbook(path) as book:
        sheets = worksheets(book)
        names = [name for name, _ in sheets]
        if not names:
            raise DataError(f'"{path.name}" has no sheet with cells.', "Choose the workbook that holds your table.")
        layout = Layout(sheets=names)
        sheet = options.sheet
        if sheet is None:
            sheet = _first_data_sheet(book, [name for name, visible in sheets if visible] or names, layout)
        elif sheet not in names:
            listed = and_list([f'"{n}"' for n in names])
            message = f'"{path.name}" has no sheet named "{sheet}". Its sheets are: {listed}.'
            raise DataError(message, "Choose one of these sheets.")
        layout.sheet = sheet
        cells = _sheet(book, path, sheet)
        header, chunks, numbers, first_column = _read_sheet(path, sheet, cells, options.header_row, layout, steps)
    frame, row_numbers = build_table(path.name, header, chunks, numbers, layout, first_column)
    return Table(frame, path, sheet=sheet, row_numbers=row_numbers, layout=layout)


def _sheet(book: CalamineWorkbook, path: Path, name: str) -> CalamineSheet:
    try:
        return book.get_sheet_by_name(name)
    except CalamineError:
        raise _damaged(path) from None


def _first_data_sheet(book: CalamineWorkbook, candidates: list[str], layout: Layout) -> str:
    """The first sheet whose first rows look like a table; the first candidate when none does."""
    passed: list[str] = []
    for name in candidates:
        try:
            rows = [[cell_text(v) for v in row] for row in book.get_sheet_by_name(name).to_python(nrows=SAMPLE_ROWS)]
        except CalamineError:
            continue
        if _looks_like_a_table(rows):
            if passed:
                skipped = and_list([f'"{n}"' for n in passed])
                layout.notes.append(f'The sheet "{name}" was read: {skipped} does not look like a table.')
            return name
        passed.append(name)
    if len(candidates) > 1:
        layout.reasons.append(
            f'No sheet looks clearly like a table; the first one ("{candidates[0]}") was read. Choose the sheet that holds your data.'
        )
    return candidates[0]


def _looks_like_a_table(rows: Sequence[Sequence[str]]) -> bool:
    """Two or more short column names over at least one row with two or more values."""
    if not rows:
        return False
    choice = find_header(rows, 1)
    names = [cell for cell in rows[choice.index] if cell.strip()]
    below = rows[(choice.second or choice.index) + 1 :]
    return len(names) >= 2 and all(len(n) <= 80 for n in names) and any(sum(1 for c in row if c.strip()) >= 2 for row in below)


def _read_sheet(
    path: Path, sheet: str, cells: CalamineSheet, header_row: int | None, layout: Layout, steps: Steps
) -> tuple[list[str], list[pd.DataFrame], list[np.ndarray], int]:
    """Header, chunks, row numbers and first column index of a sheet, rows as Excel numbers them."""
    start, end = cells.start, cells.end
    if start is None or end is None:
        raise DataError(f'The sheet "{sheet}" of "{path.name}" is empty.', "Choose the sheet that holds your table.")
    total = end[0] + 1
    rows = cells.iter_rows()  # from row 1 (blank rows included), from the first used column
    steps(0, total)
    for _ in range(start[0]):
        next(rows)
    head = [list(row) for _, row in zip(range(SAMPLE_ROWS), rows)]
    head_text = [[cell_text(v) for v in row] for row in head]
    spans: list[Span] = [
        (r0 - start[0], c0 - start[1], c1 - start[1])
        for (r0, c0), (r1, c1) in (cells.merged_cell_ranges or [])
        if c1 > c0 and 0 <= r0 - start[0] < len(head)
    ]
    choice = _header_choice(path, head_text, start[0], header_row, spans, layout)
    layout.header_row = start[0] + 1 + choice.index
    header = header_names(head_text, choice, spans)
    first_data = (choice.second if choice.second is not None else choice.index) + 1
    reader = _SheetRows(start[0] + 1 + first_data, total, steps)
    reader.read(head[first_data:])
    reader.read(rows)
    reader.flush(total)
    if reader.long_numbers and path.suffix.lower() in _EXACT_DIGITS_SUFFIXES:
        _exact_long_numbers(path, sheet, reader, start[1])
    return header, reader.chunks, reader.numbers, start[1]


def _header_choice(
    path: Path, head: list[list[str]], top: int, header_row: int | None, spans: list[Span], layout: Layout
) -> HeaderChoice:
    if header_row is None:
        choice = find_header(head, top + 1, spans)
        layout.notes += choice.notes
        layout.reasons += choice.reasons
        return choice
    index = header_row - 1 - top
    if not 0 <= index < len(head):
        raise DataError(
            f'Row {header_row} of "{path.name}" cannot hold the column names: the table '
            f"{'starts in row ' + str(top + 1) if index < 0 else 'is not that long'}.",
            "Choose the row that holds the column names.",
        )
    layout.notes.append(f"The column names are taken from row {header_row}, as chosen.")
    return HeaderChoice(index)


class _SheetRows:
    """Rows turned into text chunks, numbered as the spreadsheet numbers them; empty rows skipped."""

    def __init__(self, first: int, total: int, steps: Steps) -> None:
        self.number = first
        self.total = total
        self.steps = steps
        self.chunks: list[pd.DataFrame] = []
        self.numbers: list[np.ndarray] = []
        self.buffer: list[list[str]] = []
        self.kept: list[int] = []
        #: (spreadsheet row, column offset, chunk, position in chunk) of whole numbers past 15 digits.
        self.long_numbers: list[tuple[int, int, int, int]] = []

    def read(self, rows: Iterator[list[object]] | list[list[object]]) -> None:
        for row in rows:
            values = [v if type(v) is str else cell_text(v) for v in row]
            if any(values):
                for column, value in enumerate(row):
                    if type(value) is float and abs(value) >= _LONG_NUMBER and value.is_integer():
                        self.long_numbers.append((self.number, column, len(self.chunks), len(self.buffer)))
                self.buffer.append(values)
                self.kept.append(self.number)
            if self.number % EXCEL_CHUNK_ROWS == 0:
                self.flush(self.number)
            self.number += 1

    def flush(self, done: int) -> None:
        if self.buffer:
            columns = list(zip(*self.buffer, strict=True))
            self.chunks.append(pd.DataFrame({j: pd.array(list(v), dtype="str") for j, v in enumerate(columns)}))
            self.numbers.append(np.array(self.kept, dtype=np.int64))
            self.buffer.clear()
            self.kept.clear()
        self.steps(done, self.total)


def _exact_long_numbers(path: Path, sheet: str, reader: _SheetRows, first_column: int) -> None:
    """Put back the digits past the 15th where the file stores them (openpyxl reads them as int)."""
    import openpyxl

    wanted: dict[int, list[tuple[int, int, int]]] = {}
    for row, column, chunk, position in reader.long_numbers:
        wanted.setdefault(row, []).append((column, chunk, position))
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book[sheet].iter_rows(min_row=min(wanted), max_row=max(wanted), values_only=True)
        for number, values in enumerate(rows, start=min(wanted)):
            for column, chunk, position in wanted.get(number, ()):
                value = values[first_column + column] if first_column + column < len(values) else None
                if type(value) is int:
                    reader.chunks[chunk].iat[position, column] = str(value)
    finally:
        book.close()


def cell_text(value: object) -> str:
    """A cell as Excel shows it by default: whole numbers without ".0", at most 15 digits, TRUE/FALSE."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        if value.is_integer() and abs(value) < 1e21:  # a long ID: its digits, as Excel shows it in a "0" format
            return format(Decimal(f"{value:.15g}"), "f")
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
