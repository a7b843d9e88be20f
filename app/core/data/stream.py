"""A table's rows handed out a chunk at a time, so that building a job does not hold them all.

A text file is read once, one chunk in memory at a time: each chunk is checked and built as it
comes. A table already in memory (the window has one) is handed out in slices.
Spreadsheets are read whole first: their reader loads the sheet anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.core.data.files import TEXT_SUFFIXES, check_file
from app.core.data.layout import column_names
from app.core.data.table import Chunk, LoadOptions, Progress, Steps, Table
from app.core.data.text import read_text, text_bytes

if TYPE_CHECKING:
    import pyarrow as pa

Start = Callable[[list[str]], None]
Add = Callable[[Chunk], None]


class TableRows:
    """The rows of a table in memory, in slices (Arrow-backed slices are views, not copies)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        #: The share of the rows handed out so far (0 to 1).
        self.share = 0.0

    def feed(self, start: Start, add: Add) -> Table:
        """``start(columns)``, then ``add(chunk)`` per slice; returns the table."""
        table = self.table
        start(table.columns)
        done = 0
        for chunk in table.chunks():
            done += len(chunk)
            self.share = done / len(table)
            add(chunk)
        return table


class FileRows:
    """The rows of a text file, read from disk as they are fed (once: prepare checks and builds in one pass)."""

    def __init__(self, path: Path, options: LoadOptions, steps: Steps) -> None:
        self.path, self.options, self.steps = path, options, steps
        self._sink: _Named | None = None
        self._size = 0

    @property
    def share(self) -> float:
        """About how much of the file the chunks handed out so far hold (0 to 1; a little behind, as
        quotation marks are not seen). Not the reading's position: Arrow reads far ahead of the chunks."""
        if self._sink is None or not self._size:
            return 0.0
        return min(1.0, self._sink.seen / self._size)

    def feed(self, start: Start, add: Add) -> Table:
        """As :meth:`TableRows.feed`; the table returned holds no rows, only how the file was read.

        ``start`` may be called again during the reading (when the file turns out to need another
        encoding or parser): whatever was added before is then to be dropped.
        """
        sink = self._sink = _Named(start, add)
        self._size = self.path.stat().st_size
        read = read_text(self.path, self.options, self.steps, sink)
        return Table(
            _NoRows(sink.names or []), self.path, encoding=read.layout.encoding, delimiter=read.delimiter,
            encoding_guessed=read.guessed, layout=read.layout,
        )  # fmt: skip


@dataclass
class _Named:
    """Gives the parser's numbered columns their names before passing the chunks on."""

    on_start: Start
    on_add: Add
    names: list[str] | None = None
    seen: int = 0  # about how many bytes of the file the chunks so far took

    def start(self, header: list[str]) -> None:
        self.names = column_names(header)
        self.seen = 0
        self.on_start(self.names)

    def add(self, chunk: pa.Table, rows: np.ndarray) -> None:
        cells = chunk.num_rows * chunk.num_columns  # each followed by a separator or the line's end
        self.seen += sum(text_bytes(part) for column in chunk.columns for part in column.chunks) + cells
        self.on_add(Chunk(chunk.rename_columns(self.names), rows))


class _NoRows:
    """Stands in for the frame of a table that is read, not held: its columns and no rows."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return 0


def rows_of(
    path: Path | str,
    options: LoadOptions | None = None,
    *,
    progress: Progress | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> TableRows | FileRows:
    """The rows of a data file, to be fed a chunk at a time (text files are never read whole)."""
    path = Path(path)
    options = options or LoadOptions()
    if check_file(path) in TEXT_SUFFIXES:
        return FileRows(path, options, Steps(progress, should_cancel))
    from app.core.data.reading import load_table

    return TableRows(load_table(path, options=options, progress=progress, should_cancel=should_cancel))
