"""Text files (CSV, TSV, TXT): encoding, delimiter, header row, then the rows in chunks.

Clean UTF-8 files are parsed with Arrow's CSV reader (several times faster); anything unusual
(other encodings, bad bytes, ragged rows, an unclosed quote) takes pandas' C parser, which
handles every encoding and lets ragged rows be reported in plain words.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from app.core.data import encoding as enc
from app.core.data.files import not_text, open_binary
from app.core.data.layout import SAMPLE_ROWS, build_table, find_header
from app.core.data.background import meanwhile, read_ahead
from app.core.data.table import Layout, LoadOptions, Steps, Table
from app.core.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa

#: About this many bytes are parsed between two progress reports (and cancel checks).
CHUNK_BYTES = 4 * 1024 * 1024
#: Arrow's reader reads ahead of the rows handed out by some dozens of blocks, so its block size
#: sets how much of the file is in memory at once (4 MB blocks held ~130 MB; 1 MB blocks ~35 MB).
ARROW_BLOCK = 1024 * 1024
#: Chunks Arrow parses ahead, on another thread, of the one being handed out.
READ_AHEAD = 2
#: Files with more columns than this take the pandas path (Arrow needs each column's type named).
MAX_FAST_COLUMNS = 2_000
_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (or another zipped file)"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word file"),
    (b"{\\rtf", "a Word (RTF) document"),
)
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar (|)"}
_LEADING_BLANK_LINES = re.compile(r"(?:[^\S\r\n]*(?:\r\n|\r|\n))*")
_LINE_END = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # not tab, line breaks, \v or \f
_TOO_MANY_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


class Sink(Protocol):
    """Receives a text file's rows as they are parsed; ``start`` begins (or, after a change of
    parser or encoding, restarts) the reading and drops anything received before."""

    def start(self, header: list[str]) -> None: ...

    def add(self, chunk: pa.Table, rows: np.ndarray) -> None:
        """``chunk``: text columns named by position; ``rows``: their spreadsheet row numbers."""


@dataclass
class _Collect:
    """A sink that keeps every chunk: the whole table in memory."""

    header: list[str] = field(default_factory=list)
    chunks: list[pa.Table] = field(default_factory=list)
    numbers: list[np.ndarray] = field(default_factory=list)

    def start(self, header: list[str]) -> None:
        self.header, self.chunks, self.numbers = header, [], []

    def add(self, chunk: pa.Table, rows: np.ndarray) -> None:
        self.chunks.append(chunk)
        self.numbers.append(rows)

    def frame(self) -> list:
        """The rows as one pandas frame with columns 0..n-1 (a list, empty when no row was read)."""
        import pandas as pd
        import pyarrow as pa

        if not self.chunks:
            return []
        text = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' "str"
        frame = pa.concat_tables(self.chunks).to_pandas(types_mapper={pa.string(): text, pa.large_string(): text}.get)
        return [frame.set_axis(range(frame.shape[1]), axis=1)]


@dataclass
class TextRead:
    """How a text file was read (what the Data step and the job's manifest say about it)."""

    layout: Layout
    delimiter: str
    guessed: bool  # the encoding was guessed (no BOM, not UTF-8)


def load_text(path: Path, options: LoadOptions, steps: Steps) -> Table:
    sink = _Collect()
    read = read_text(path, options, steps, sink)
    frame, row_numbers = build_table(path.name, sink.header, sink.frame(), sink.numbers, read.layout)
    return Table(
        frame, path, encoding=read.layout.encoding, delimiter=read.delimiter, encoding_guessed=read.guessed,
        row_numbers=row_numbers, layout=read.layout,
    )  # fmt: skip


def read_text(path: Path, options: LoadOptions, steps: Steps, sink: Sink) -> TextRead:
    """Find the file's encoding, delimiter and header row (or take them from ``options``), then
    hand its rows to ``sink`` chunk by chunk; memory holds one chunk at a time."""
    with open_binary(path) as raw:
        head = raw.read(enc.HEAD_BYTES)
    size = path.stat().st_size
    if not head.strip(b" \t\r\n\x00" + codecs.BOM_UTF8 + codecs.BOM_UTF16_LE + codecs.BOM_UTF16_BE):
        raise DataError(f'"{path.name}" is empty.', "Choose the file that holds your data.")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise DataError(
                f'"{path.name}" is not a table of text: it looks like {what} with a {path.suffix} name.',
                "Open it in the program that made it and save or export it as CSV. An Excel workbook "
                "can also be chosen directly (its name must end in .xlsx).",
            )
    complete = len(head) == size
    if options.encoding:
        encoding, guessed, strict = enc.checked_codec(options.encoding), False, False
    else:
        encoding, guessed, strict = enc.detect_encoding(path, head, complete, steps)
    sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, complete)
    if not _plausible_text(sample):
        raise not_text(path)
    layout = Layout(encoding=codecs.lookup(encoding).name)
    fast = (strict or options.encoding is not None) and layout.encoding in ("utf-8", "utf-8-sig")
    odd_quotes = meanwhile(_odd_quotes, path) if fast else None  # counted while the sample is sniffed
    delimiter, blank_lines, rows = _sniff(sample, complete, path.suffix.lower(), options.delimiter)
    layout.delimiter = delimiter
    if options.header_row is not None:
        skip = options.header_row - 1
        layout.notes.append(f"The column names are taken from row {options.header_row}, as chosen.")
    else:
        choice = find_header(rows, blank_lines + 1)
        skip = blank_lines + choice.index
        layout.notes += choice.notes
        layout.reasons += choice.reasons
    layout.header_row = skip + 1
    chunk_rows = max(1_000, min(200_000, CHUNK_BYTES * max(1, head.count(b"\n")) // len(head)))
    errors = "strict" if strict else "replace"
    arrow = odd_quotes is not None and _parse_utf8_arrow(path, delimiter, skip, steps, sink, odd_quotes)
    try:
        if not arrow:
            _parse_text(path, encoding, errors, delimiter, skip, chunk_rows, steps, sink)
    except UnicodeDecodeError:  # valid at the start, not further on
        if encoding == "utf-8":
            encoding, guessed = enc.guess_encoding(path, steps)
            layout.encoding = codecs.lookup(encoding).name
        errors = "replace"
        _parse_text(path, encoding, errors, delimiter, skip, chunk_rows, steps, sink)
    return TextRead(layout, delimiter, guessed)


def _plausible_text(sample: str) -> bool:
    """Whether decoded bytes read as text: few control characters, and lines (random bytes have neither)."""
    if len(_CONTROL.findall(sample)) > len(sample) / 50:
        return False
    return len(sample) < 4096 or bool(_LINE_END.search(sample))


def _sniff(sample: str, complete: bool, suffix: str, chosen: str | None) -> tuple[str, int, list[list[str]]]:
    """(delimiter that splits the sample into the most consistent rows, leading blank lines, first rows)."""
    blank = _LEADING_BLANK_LINES.match(sample).group()  # type: ignore[union-attr]
    body = sample[len(blank) :]
    if not complete:  # drop the partial last line
        ends = list(_LINE_END.finditer(body))
        body = body[: ends[-1].end()] if ends else body
    order = [chosen] if chosen else ("\t", ",", ";", "|") if suffix in (".tsv", ".txt") else (",", ";", "\t", "|")
    split = {d: _sample_rows(body, d, complete) for d in order}
    delimiter = max(order, key=lambda d: _delimiter_score(split[d]))
    return delimiter, len(_LINE_END.findall(blank)), split[delimiter][:SAMPLE_ROWS]


def _sample_rows(text: str, delimiter: str, complete: bool) -> list[list[str]]:
    """The sample's records (blank lines kept as [] so that indexes are row numbers)."""
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"'):
            rows.append(row)
            if len(rows) > 2_000:
                complete = False
                break
    except csv.Error:  # a cell longer than the csv module's limit: judge on the rows before it
        complete = False
    if not complete and len(rows) > 1:
        rows.pop()  # may have been cut inside a quoted cell
    return rows


def _delimiter_score(rows: Sequence[Sequence[str]]) -> tuple[bool, float, int]:
    """(more than one column, share of rows as wide as the most common width, that width).

    The most common width, not the first row's: a title line above the table has one cell.
    """
    widths = [len(row) for row in rows if row]
    if not widths:
        return False, 0.0, 0
    width, seen = Counter(widths).most_common(1)[0]
    return width > 1, seen / len(widths), width


def _parse_text(
    path: Path, encoding: str, errors: str, delimiter: str, skip: int, chunk_rows: int, steps: Steps, sink: Sink
) -> None:
    """The header and data chunks (column labels 0..n-1) with their spreadsheet row numbers, to ``sink``
    (pandas' parser: every encoding, and ragged rows reported in plain words)."""
    import pandas as pd
    import pyarrow as pa

    size = path.stat().st_size
    steps(0, size)
    with open_binary(path) as raw:
        try:
            with pd.read_csv(
                raw, sep=delimiter, quotechar='"', header=None, dtype="str", na_filter=False,
                skip_blank_lines=False, skiprows=skip, encoding=encoding, encoding_errors=errors,
                engine="c", chunksize=chunk_rows,
            ) as reader:  # fmt: skip
                tables = ((pa.Table.from_pandas(chunk, preserve_index=False), raw.tell()) for chunk in reader)
                _feed(tables, skip, size, steps, sink)
        except pd.errors.ParserError as exc:
            raise _parser_problem(path, delimiter, exc) from None
    steps(size, size)


def _parse_utf8_arrow(
    path: Path, delimiter: str, skip: int, steps: Steps, sink: Sink, odd_quotes: Callable[[], bool]
) -> bool:
    """The same as :func:`_parse_text` for a well-formed UTF-8 file, with Arrow's CSV reader.
    False when the file needs the careful path (bad bytes, ragged rows, ``odd_quotes()``)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    size = path.stat().st_size
    steps(0, size)
    if odd_quotes():  # an unclosed quote: Arrow would swallow the rest of the file into one cell
        return False
    as_text = pacsv.ConvertOptions(
        column_types={f"f{i}": pa.string() for i in range(MAX_FAST_COLUMNS)},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    with open_binary(path) as raw:
        try:
            reader = pacsv.open_csv(
                raw,
                read_options=pacsv.ReadOptions(block_size=ARROW_BLOCK, skip_rows=skip, autogenerate_column_names=True),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
                convert_options=as_text,
            )
            if len(reader.schema) > MAX_FAST_COLUMNS:
                return False
            tables = ((pa.Table.from_batches([batch]), raw.tell()) for batch in reader)
            with closing(read_ahead(tables, READ_AHEAD)) as ahead:  # stopped before the file closes
                _feed(ahead, skip, size, steps, sink)
        except (pa.ArrowInvalid, UnicodeDecodeError):
            return False
    steps(size, size)
    return True


def _odd_quotes(path: Path) -> bool:
    """Whether the file holds an odd number of quotation marks (escaped ones come in pairs).
    Counted by numpy: twice as fast as ``bytes.count``, and without Python's lock."""
    count = 0
    with open_binary(path) as raw:
        while block := raw.read(1 << 20):
            count += int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == ord('"')))
    return count % 2 == 1


def _feed(tables: Iterable[tuple[pa.Table, int]], skip: int, size: int, steps: Steps, sink: Sink) -> None:
    """Split off the header row and drop rows whose every cell is empty; row numbers keep counting them."""
    started = False
    row = skip + 1  # spreadsheet row of the next record read (rows before the header count)
    for chunk, position in tables:
        rows = np.arange(row, row + len(chunk), dtype=np.int64)
        row += len(chunk)
        if not started:
            sink.start([column[0].as_py() for column in chunk.columns] if len(chunk) else [])
            started = True
            chunk, rows = chunk.slice(1), rows[1:]
        empty = _empty_rows(chunk)
        if empty.any():
            chunk, rows = _without(chunk, empty), rows[~empty]
        if len(chunk):
            sink.add(chunk, rows)
        steps(position, size)
    if not started:
        sink.start([])


def _empty_rows(chunk: pa.Table) -> np.ndarray:
    """Rows whose every cell is "": read from the text columns' offsets (no copy, no compute kernel)."""
    empty = np.ones(len(chunk), dtype=bool)
    for column in chunk.columns:
        empty &= np.concatenate([_lengths(part) for part in column.chunks] or [np.zeros(0, np.int64)]) == 0
        if not empty.any():
            break
    return empty


def _lengths(array: pa.Array) -> np.ndarray:
    """The byte length of every text in an Arrow string (or large string) array."""
    return np.diff(_offsets(array))


def text_bytes(array: pa.Array) -> int:
    """The bytes of text in an Arrow string (or large string) array."""
    offsets = _offsets(array)
    return int(offsets[-1] - offsets[0])


def _offsets(array: pa.Array) -> np.ndarray:
    """Where each text of an Arrow string array starts, and where the last one ends (no copy)."""
    import pyarrow as pa

    width = np.int64 if pa.types.is_large_string(array.type) else np.int32
    return np.frombuffer(array.buffers()[1], dtype=width, count=len(array) + 1, offset=array.offset * width().itemsize)


def _without(chunk: pa.Table, drop: np.ndarray) -> pa.Table:
    """``chunk`` without the rows marked in ``drop``, as slices of the runs kept (no compute kernel)."""
    import pyarrow as pa

    edges = np.flatnonzero(np.diff(np.concatenate([[True], drop, [True]]).astype(np.int8)))
    runs = [chunk.slice(start, stop - start) for start, stop in zip(edges[::2], edges[1::2])]
    return pa.concat_tables(runs) if runs else chunk.slice(0, 0)


def _parser_problem(path: Path, delimiter: str, exc: Exception) -> DataError:
    """The parser's complaint in plain words, naming the row (pandas counts the skipped rows too)."""
    text = str(exc)
    if match := _TOO_MANY_FIELDS.search(text):
        width, row, seen = (int(g) for g in match.groups())
        name = DELIMITER_NAMES.get(delimiter, f'"{delimiter}"')
        return DataError(
            f'Row {row} of "{path.name}" has {seen} values, but there are only {width} column names.',
            f"A text in that row probably contains the separator ({name}) without "
            f"quotation marks around it. Open the file in Excel or LibreOffice, correct row {row} (or give "
            f"the extra column a name in the header row), save it as CSV and load it again.",
        )
    if match := _OPEN_QUOTE.search(text):
        row = int(match.group(1)) + 1
        return DataError(
            f'Row {row} of "{path.name}" opens a quotation mark (") that is never closed, '
            f"so the rest of the file cannot be read.",
            f"Add the missing closing quotation mark in row {row} (or remove the opening one), "
            f"save the file and load it again.",
        )
    return DataError(
        f'"{path.name}" could not be read as a table ({text.strip()}).',
        "Open it in Excel or LibreOffice, save it again as CSV, and load it again.",
    )
