"""The entry points for reading a data file: which sheets it has, and its table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.data.files import TEXT_SUFFIXES, check_file
from app.core.data.sheets import load_spreadsheet, open_workbook, worksheets
from app.core.data.table import LoadOptions, Progress, Steps, Table
from app.core.data.text import load_text
from app.core.errors import DataError

if TYPE_CHECKING:
    from app.core.spec import JobSpec


def list_sheets(path: Path | str) -> list[str]:
    """The worksheet names of a spreadsheet, in workbook order; [] for text files."""
    path = Path(path)
    if check_file(path) in TEXT_SUFFIXES:
        return []
    with open_workbook(path) as book:
        return [name for name, _ in worksheets(book)]


def load_table(
    path: Path | str,
    sheet: str | None = None,
    *,
    options: LoadOptions | None = None,
    progress: Progress | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Table:
    """Read a data file; ``progress(done, total)`` counts bytes (text files) or rows (spreadsheets).

    ``options`` overrides what is otherwise detected (``sheet`` is a shorthand for its sheet).
    What was detected or chosen is in the table's ``layout``. Raises DataError with a plain
    message when the file cannot be used, CancelledError when ``should_cancel()`` turns true.
    """
    path = Path(path)
    options = options or LoadOptions()
    if sheet is not None:
        options = LoadOptions(options.encoding, options.delimiter, options.header_row, sheet)
    if options.header_row is not None and options.header_row < 1:
        raise DataError(f"The header row must be 1 or more (it is {options.header_row}).", "Choose the row that holds the column names.")
    steps = Steps(progress, should_cancel)
    if check_file(path) in TEXT_SUFFIXES:
        return load_text(path, options, steps)  # a sheet asked for is ignored (the spec check warns)
    return load_spreadsheet(path, options, steps)


def load_job_table(
    spec: JobSpec, *, progress: Progress | None = None, should_cancel: Callable[[], bool] | None = None
) -> Table:
    """A spec's data, read with the overrides saved in it (sheet, encoding, delimiter, header row)."""
    return load_table(spec.data, options=spec.load_options(), progress=progress, should_cancel=should_cancel)
