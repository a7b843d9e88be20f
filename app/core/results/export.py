"""Export a job's coded rows next to the input columns, as CSV, "CSV for Excel" or Excel (.xlsx).

Rows are joined to the input by ID (checked chunk by chunk, never assumed from order). Added
columns get names that cannot collide with the input's. What the export changes is an explicit
option and is counted in the :class:`ExportSummary`: formulas neutralised (on for Excel and
"CSV for Excel", off for plain CSV), cells cut at Excel's limit, characters XML cannot hold.
The file appears whole or not at all: it is written under a temporary name and renamed at the end.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from app.core.data import Table
from app.core.data.provenance import changed_since
from app.core.errors import CancelledError, DataError, StorageError
from app.core.results import cells
from app.core.results.answers import has_long_integer
from app.core.results.xlsx import SheetWriter
from app.core.spec import JobSpec

if TYPE_CHECKING:
    from app.core.run.summary import RowPage, StoredRows

CHUNK = 50_000
EXCEL_MAX_ROWS = 1_048_575
FORMATS = ("csv", "csv-excel", "xlsx")
#: Called with (rows written, rows in all); returning False (or raising) stops the export.
ExportProgress = Callable[[int, int], object]


@dataclass
class ExportSummary:
    """What an export wrote and what it changed on the way, for the export dialog and the command line."""

    path: Path
    rows: int
    format: str
    separator: str | None = None
    cells_neutralised: int = 0
    cells_cut: int = 0
    cells_cleaned: int = 0
    numbers_as_text: int = 0
    notes: list[str] = field(default_factory=list)

    def __fspath__(self) -> str:  # callers that wrote Path(engine.export(...)) keep working
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)


def _free_name(wanted: str, taken: set[str]) -> str:
    name, n = wanted, 2
    while name in taken:
        name, n = f"{wanted}_{n}", n + 1
    taken.add(name)
    return name


def output_columns(spec: JobSpec, input_columns: list[str]) -> tuple[dict[str, str], str, str]:
    """Column names for the fields, the status and the reason that do not collide with the input's."""
    taken = set(input_columns)
    fields = {f.name: _free_name(f.name if f.name not in taken else f"{f.name}_coded", taken) for f in spec.fields}
    return fields, _free_name("batchlab_status", taken), _free_name("batchlab_reason", taken)


def export_format(path: Path, csv_for_excel: bool = False) -> str:
    """ "csv", "csv-excel" or "xlsx" from the file name (and the "for Excel" choice)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise DataError(f'Cannot export to "{path.name}".', "Choose a file name ending in .csv or .xlsx.")
    if suffix == ".xlsx":
        return "xlsx"
    return "csv-excel" if csv_for_excel else "csv"


def export_rows(
    rows: StoredRows,
    job_id: str,
    spec: JobSpec,
    table: Table,
    path: Path,
    *,
    csv_for_excel: bool = False,
    excel_bom: bool = False,
    separator: str | None = None,
    decimal_mark: str | None = None,
    neutralise_formulas: bool | None = None,
    extra_columns: Mapping[str, Mapping[str, Any]] | None = None,
    data_record: Mapping[str, Any] | None = None,
    progress: ExportProgress | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> ExportSummary:
    """Write the export and say what it changed.

    ``csv_for_excel`` (``excel_bom`` is its older name): a UTF-8 byte-order mark, the locale's
    list separator (``separator``, else :func:`~app.core.results.cells.list_separator`) and its
    decimal mark for coded numbers (``decimal_mark``, else "," with the separator ";"): a
    spreadsheet where the decimal mark is a comma reads "1.5" as a date or a text, "1,5" as 1.5.
    ``neutralise_formulas``: None means on for Excel and "CSV for Excel", off for plain CSV.
    ``extra_columns``: column name → {row ID → value}, added after BatchLab's columns.
    ``data_record``: the manifest's record of the data file; a changed copy is reported in the notes.
    """
    path = Path(path)
    kind = export_format(path, csv_for_excel or excel_bom)
    if kind == "xlsx" and len(table) > EXCEL_MAX_ROWS:
        raise DataError(f"Excel holds at most {EXCEL_MAX_ROWS:,} rows; this job has {len(table):,}.", "Export to .csv instead.")
    if kind == "csv-excel" and separator is None:
        separator = cells.list_separator()
    summary = ExportSummary(path, len(table), kind, separator=(separator or ",") if kind != "xlsx" else None)
    neutralise = kind != "csv" if neutralise_formulas is None else neutralise_formulas
    if kind != "csv-excel":
        decimal_mark = "."
    elif decimal_mark is None:
        decimal_mark = "," if separator == ";" else "."
    builder = _Rows(rows, job_id, spec, table, extra_columns or {}, kind == "xlsx", neutralise, summary, decimal_mark)
    stop = _Stopper(progress, should_cancel, len(table))
    _write_whole(path, lambda partial: _write(kind, partial, builder, summary, stop))
    if note := changed_since(data_record, spec.data):
        summary.notes.append(note)
    summary.notes[:0] = _change_notes(summary, neutralise)
    return summary


def _change_notes(summary: ExportSummary, neutralise: bool) -> list[str]:
    notes = []
    if neutralise:
        notes.append(
            f"{summary.cells_neutralised:,} text cell{'s' if summary.cells_neutralised != 1 else ''} that would start "
            "a formula (=, +, -, @, a tab or a line break) got an apostrophe in front, so spreadsheets show them "
            "as text instead of running them. Numbers were left as they are."
        )
    else:
        notes.append("Cells are written exactly as they are (formulas are not neutralised).")
    if summary.cells_cut:
        notes.append(
            f"{summary.cells_cut:,} cell(s) were longer than Excel's limit of {cells.EXCEL_MAX_CHARS:,} characters and "
            "were cut; they end with “[…cut: N characters in all]”. A CSV export keeps them whole."
        )
    if summary.numbers_as_text:
        notes.append(
            f"{summary.numbers_as_text:,} whole number(s) had more than Excel's {cells.EXCEL_MAX_DIGITS} digits and "
            "were written as text, so none is lost. A CSV export writes them as numbers."
        )
    if summary.cells_cleaned:
        notes.append(
            f"{summary.cells_cleaned:,} cell(s) held control characters that Excel files cannot hold; "
            "each was replaced with “\ufffd”. A CSV export keeps them as they are."
        )
    return notes


@dataclass
class _Stopper:
    progress: ExportProgress | None
    should_cancel: Callable[[], bool] | None
    total: int

    def __call__(self, done: int) -> None:
        if self.should_cancel is not None and self.should_cancel():
            raise CancelledError("The export was stopped; no file was written.")
        if self.progress is not None and self.progress(done, self.total) is False:
            raise CancelledError("The export was stopped; no file was written.")


class _Rows:
    """The export's header and its rows, a chunk of columns at a time, joined to the stored results by ID."""

    def __init__(
        self,
        stored: StoredRows,
        job_id: str,
        spec: JobSpec,
        table: Table,
        extra: Mapping[str, Mapping[str, Any]],
        excel: bool,
        neutralise: bool,
        summary: ExportSummary,
        decimal_mark: str = ".",
    ) -> None:
        self.stored, self.job_id, self.table, self.extra = stored, job_id, table, extra
        self.excel, self.neutralise, self.summary = excel, neutralise, summary
        self.decimal_mark = decimal_mark
        self.fields, status, reason = output_columns(spec, table.columns)
        taken = set(table.columns) | set(self.fields.values()) | {status, reason}
        self.header = [*table.columns, *self.fields.values(), status, reason, *(_free_name(n, taken) for n in extra)]
        self.ids = table.row_ids(spec.id_column).tolist()
        frame = table.frame
        self.numeric = {c for c in table.columns if excel and cells.numeric_column(cells.text_array(frame[c]))}

    def chunks(self) -> Iterator[list[Any]]:
        """Columns of each chunk of rows, made safe: Arrow arrays (and, for Excel, Python lists of mixed kinds)."""
        frame = self.table.frame
        for start, page, fields in self._pages():
            ids = self.ids[start : start + CHUNK]
            if page.row_ids != ids:
                raise DataError(
                    "The job's rows no longer match its data file, so the results cannot be joined safely.",
                    "The copy of the data in the job folder was changed or replaced; restore it and export again.",
                )
            part = frame.iloc[start : start + len(ids)]
            inputs = [cells.text_array(part[c]) for c in self.table.columns]
            tail = [cells.text_array(page.statuses), cells.text_array(page.reasons)]
            extra = [[cells.shown(by_id.get(i)) for i in ids] for by_id in self.extra.values()]
            if self.excel:  # numbers as numbers; columns of mixed kinds stay Python lists, cell by cell
                inputs = [cells.as_numbers(a) if c in self.numeric else a for c, a in zip(self.table.columns, inputs)]
                yield [self._excel_safe(column) for column in inputs + fields + tail + extra]
            else:
                extra = [cells.to_arrow(c, self.decimal_mark) for c in extra]
                yield [self._csv_safe(column) for column in inputs + fields + tail + extra]

    def _pages(self) -> Iterator[tuple[int, RowPage, list[Any]]]:
        """(first row, stored rows, coded fields) of each chunk. The next chunk is read and parsed in
        a second thread while this one is written: SQLite, Arrow's JSON reader and its CSV writer
        work outside Python's GIL, so on two cores the reading and the writing overlap."""
        with ThreadPoolExecutor(max_workers=1) as reader:
            ahead = reader.submit(self._read, 0)
            for start in range(0, len(self.ids), CHUNK):
                page, fields = ahead.result()
                if start + CHUNK < len(self.ids):
                    ahead = reader.submit(self._read, start + CHUNK)
                yield start, page, fields

    def _read(self, start: int) -> tuple[RowPage, list[Any]]:
        """A chunk's stored rows and its coded fields: Arrow arrays, or Python lists where a field
        holds values Arrow cannot type the same in every row (for Excel, which keeps each cell's kind)."""
        page = self.stored.row_page(self.job_id, start, CHUNK)
        rows = len(page.row_ids)
        fields = cells.json_columns(page.values, rows, list(self.fields))
        if fields is None:  # parse row by row
            lists = self._field_lists(page.values, rows)
            fields = lists if self.excel else [cells.to_arrow(column, self.decimal_mark) for column in lists]
        return page, fields

    def _field_lists(self, lines: bytes, rows: int) -> list[list[Any]]:
        values = [_values(line) for line in lines.split(b"\n")] if rows else []
        if len(values) != rows:
            raise DataError("The job history holds coded values that cannot be read.", "Export again; if this keeps happening, report it.")
        return [[cells.shown(v.get(name)) for v in values] for name in self.fields]

    def _csv_safe(self, column: Any) -> Any:
        if cells.is_number_array(column):  # written by us: Arrow's writer would put 10^12 as 1e+12
            return cells.number_texts(column, self.decimal_mark)
        if self.neutralise and cells.is_text_array(column):
            column, changed = cells.neutralise_array(column)
            self.summary.cells_neutralised += changed
        return column

    def _excel_safe(self, column: Any) -> Any:
        if isinstance(column, list) or cells.is_number_array(column):
            column, long = cells.long_numbers_as_text(column)
            self.summary.numbers_as_text += long
        if isinstance(column, list):
            if self.neutralise:
                self.summary.cells_neutralised += cells.neutralise_column(column)
            cut, cleaned = cells.fit_for_excel(column)
        elif cells.is_text_array(column):
            column = self._csv_safe(column)
            column, cut, cleaned = cells.fit_array_for_excel(column)
        else:  # numbers
            return column
        self.summary.cells_cut += cut
        self.summary.cells_cleaned += cleaned
        return column


def _values(text: bytes) -> dict[str, Any]:
    if text == b"{}":  # a row without values: most rows of a failed job
        return {}
    if not has_long_integer(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:  # NaN or Infinity, which Python's json module writes and orjson refuses
            pass
    return json.loads(text)


def _write(kind: str, partial: Path, builder: _Rows, summary: ExportSummary, stop: _Stopper) -> None:
    if kind == "xlsx":
        _write_xlsx(partial, builder, stop)
    else:
        _write_csv(partial, builder, summary.separator or ",", kind == "csv-excel", stop)


def _write_csv(partial: Path, builder: _Rows, separator: str, bom: bool, stop: _Stopper) -> None:
    """RFC 4180 CSV through Arrow's writer: every text is quoted (quotes inside doubled), so a cell
    holding the separator, a line feed or a lone carriage return reads back as the same one cell."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    done = 0
    stop(done)
    # Arrow's own file: its writer never waits on Python's. Closing the chunks on any way out stops the reading ahead.
    with pa.OSFile(str(partial), "wb") as handle, contextlib.closing(builder.chunks()) as chunks:
        if bom:
            handle.write(codecs.BOM_UTF8)
        for columns in chunks:
            table = pa.table(columns, names=builder.header)
            pacsv.write_csv(table, handle, pacsv.WriteOptions(include_header=done == 0, delimiter=separator, eol="\r\n"))
            done += len(table)
            stop(done)
        if done == 0:
            handle.write((separator.join(f'"{name}"' for name in builder.header) + "\r\n").encode("utf-8"))


def _write_xlsx(partial: Path, builder: _Rows, stop: _Stopper) -> None:
    """Excel, streamed a chunk of rows at a time (memory stays flat); texts stay texts."""
    done = 0
    stop(done)
    sheet = SheetWriter(partial, builder.header)
    try:
        with contextlib.closing(builder.chunks()) as chunks:
            for columns in chunks:
                sheet.write_columns(columns)
                done += len(columns[0])
                stop(done)
    except BaseException:
        sheet.abandon()
        raise
    sheet.close()


def _write_whole(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file next to ``path`` and rename it; on any failure, leave nothing."""
    if path.is_dir():
        raise StorageError(f'"{path}" is a folder, not a file.', "Choose a file name ending in .csv or .xlsx.")
    partial = path.with_name(f".{path.name}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(partial)
        os.replace(partial, path)
    except OSError as exc:
        _remove(partial)
        raise StorageError.from_os_error(exc, "write the export file", "Choose another folder or file name.") from None
    except BaseException:
        _remove(partial)
        raise


def _remove(partial: Path) -> None:
    with contextlib.suppress(OSError):  # nothing there (or no folder to hold it): nothing to clean up
        partial.unlink(missing_ok=True)
