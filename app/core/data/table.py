"""The loaded table, how its layout was read, and the options that override that reading."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pandas is imported only where a whole table is held (the window, exports)
    import pandas as pd

from app.core.data.words import missing_columns_text
from app.core.errors import CancelledError, DataError

Progress = Callable[[int, int], None]
#: Rows per slice of a table in memory. Small: turning a slice's column into Python text is one
#: call that holds Python's lock, and the window must never wait long for it (a 50,000-row slice
#: kept it waiting ~50 ms).
SLICE_ROWS = 4_096


@dataclass(frozen=True)
class LoadOptions:
    """What the person chose instead of BatchLab's guesses; None means "detect it"."""

    encoding: str | None = None  # a Python codec name: "utf-8", "cp1252", …
    delimiter: str | None = None  # text files: ",", ";", "\t", "|"
    header_row: int | None = None  # the spreadsheet row (1-based) that holds the column names
    sheet: str | None = None  # workbooks: the sheet to read


@dataclass
class Layout:
    """What was detected (or chosen) when the file was read, in the words the Data step shows.

    ``notes`` say what was decided (a title row skipped, another sheet chosen); ``reasons`` say
    why the reading may be wrong, and make the layout ``doubtful`` (a warning, not a green tick).
    """

    header_row: int = 1
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def doubtful(self) -> bool:
        return bool(self.reasons)


@dataclass
class Table:
    """A loaded data file: every cell is text, missing cells are ""."""

    frame: pd.DataFrame
    path: Path
    sheet: str | None = None
    encoding: str | None = None  # None for spreadsheets
    delimiter: str | None = None  # None for spreadsheets
    #: True when the file did not say its encoding (no BOM) and is not UTF-8, so it was guessed.
    encoding_guessed: bool = False
    #: Spreadsheet row number of each data row; None means the header is row 1 and no row was skipped.
    row_numbers: np.ndarray | None = None
    layout: Layout = field(default_factory=Layout)
    #: What :func:`app.core.data.checks.check_table` found, by the columns it was asked about: the
    #: window's data check, its preview and its estimate ask the same of one table at once.
    findings: dict[tuple[Any, ...], list[DataIssue]] = field(default_factory=dict, init=False, repr=False, compare=False)
    checking: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def __len__(self) -> int:
        return len(self.frame)

    def row_ids(self, id_column: str | None) -> pd.Series:
        """The ID of every row: the ID column's values, or "1".."N" (data positions) without one."""
        if not id_column:
            import pandas as pd

            return pd.Series(np.arange(1, len(self) + 1).astype(str), dtype="str")
        if id_column not in self.frame.columns:
            raise DataError(missing_columns_text([id_column], self.columns), "Choose one of these columns.")
        return self.frame[id_column]

    def row_number(self, position: int) -> int:
        """The row number a person sees in Excel for the 0-based data position (header = row 1)."""
        if self.row_numbers is None:
            return position + 2
        return int(self.row_numbers[position])

    def chunks(self) -> Iterator[Chunk]:
        """The rows in slices of :data:`SLICE_ROWS` (pandas slices are views, not copies)."""
        numbers = self.all_row_numbers()
        for first in range(0, len(self), SLICE_ROWS):
            yield Chunk(self.frame.iloc[first : first + SLICE_ROWS], numbers[first : first + SLICE_ROWS])

    def all_row_numbers(self) -> np.ndarray:
        """The spreadsheet row number of every data row, in order."""
        if self.row_numbers is None:
            return np.arange(2, len(self) + 2)
        return self.row_numbers


class Chunk:
    """A slice of a table's rows as it is read: a column's cells become Python text only when asked
    for, and once, so building a job touches only the columns it uses and no more rows at a time.

    ``source`` is an Arrow table (a text file being read) or a pandas frame (a table in memory);
    ``numbers`` are the rows' spreadsheet row numbers.
    """

    __slots__ = ("source", "numbers", "_values")

    def __init__(self, source: Any, numbers: np.ndarray) -> None:
        self.source, self.numbers = source, numbers
        self._values: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self.numbers)

    def is_ascii(self, column: str) -> bool:
        """Whether every cell of the column is plain ASCII, when that can be told without reading
        each cell (an Arrow column: one pass over its bytes); False when it cannot."""
        cells = self.source[column]
        if not hasattr(cells, "chunks"):
            return False
        for part in cells.chunks:
            data = part.buffers()[2]
            if data is not None and data.size and np.frombuffer(data, dtype=np.uint8).max() >= 0x80:
                return False
        return True

    def values(self, column: str) -> list[str]:
        """The column's cells, in row order."""
        if column not in self._values:
            cells = self.source[column]
            self._values[column] = cells.to_pylist() if hasattr(cells, "to_pylist") else cells.tolist()
        return self._values[column]


@dataclass(frozen=True)
class DataIssue:
    """One problem found by :func:`check_table`, with every affected spreadsheet row."""

    kind: str  # duplicate_id | blank_id | blank_text | missing_column | encoding | unreadable | layout
    rows: list[int]
    message: str
    blocking: bool


@dataclass
class Steps:
    """Progress reports and cancel checks, one per chunk of work."""

    progress: Progress | None
    should_cancel: Callable[[], bool] | None

    def check(self) -> None:
        if self.should_cancel is not None and self.should_cancel():
            raise CancelledError()

    def __call__(self, done: int, total: int) -> None:
        self.check()
        if self.progress is not None:
            self.progress(done, total)
