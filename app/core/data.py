"""Read a person's data file (CSV, TSV, TXT or a spreadsheet) into a table of text, and check it.

Every cell is kept as text exactly as written ("007" stays "007", "NA" stays "NA"), because IDs and
texts must reach the model and the results unchanged. Text files are read in chunks by pandas' C
parser, so a million rows load in seconds with progress and can be cancelled; with ``pyarrow``
installed pandas keeps the text in Arrow memory, close to the size of the file. Spreadsheets are
read with python-calamine (fast, and it reads .xlsx, .xlsm, .xls and .ods alike). Problems are
reported in plain words with the row numbers a person sees when opening the file in Excel.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
from charset_normalizer import from_bytes
from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from app.core.errors import CancelledError, DataError

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods")
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
#: Bytes read from the start of a text file to choose its encoding and delimiter.
_HEAD_BYTES = 256 * 1024
#: About this many bytes are parsed between two progress reports (and cancel checks).
_CHUNK_BYTES = 4 * 1024 * 1024
#: Files with more columns than this take the pandas path (Arrow needs each column's type named).
_MAX_FAST_COLUMNS = 2_000
_EXCEL_CHUNK_ROWS = 10_000
#: Legacy encodings considered when a file is not UTF-8, most common first.
_LEGACY_ENCODINGS = (
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "mac_roman", "koi8_r", "cp932", "gb18030", "big5", "euc_kr",
)  # fmt: skip
_ENCODING_NAMES = {
    "cp1252": "Windows-1252 (Western European)",
    "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1253": "Windows-1253 (Greek)",
    "cp1254": "Windows-1254 (Turkish)",
    "cp1255": "Windows-1255 (Hebrew)",
    "cp1256": "Windows-1256 (Arabic)",
    "cp1257": "Windows-1257 (Baltic)",
    "mac-roman": "Mac Roman",
    "koi8-r": "KOI8-R (Cyrillic)",
    "cp932": "Shift-JIS (Japanese)",
    "gb18030": "GB18030 (Chinese)",
    "big5": "Big5 (Traditional Chinese)",
    "euc_kr": "EUC-KR (Korean)",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM it starts with
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (or another zipped file)"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word file"),
    (b"{\\rtf", "a Word (RTF) document"),
)
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar (|)"}
_LEADING_BLANK_LINES = re.compile(r"(?:[^\S\r\n]*(?:\r\n|\r|\n))*")
_LINE_END = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # not tab, line breaks, \v or \f
_TOO_MANY_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")
_LINE_BREAKS_IN_NAME = re.compile(r"\s*[\r\n]+\s*")

Progress = Callable[[int, int], None]


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

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def __len__(self) -> int:
        return len(self.frame)

    def row_ids(self, id_column: str | None) -> pd.Series:
        """The ID of every row: the ID column's values, or "1".."N" (data positions) without one."""
        if not id_column:
            return pd.Series(np.arange(1, len(self) + 1).astype(str), dtype="str")
        if id_column not in self.frame.columns:
            raise DataError(_missing_columns_text([id_column], self.columns), "Choose one of these columns.")
        return self.frame[id_column]

    def row_number(self, position: int) -> int:
        """The row number a person sees in Excel for the 0-based data position (header = row 1)."""
        if self.row_numbers is None:
            return position + 2
        return int(self.row_numbers[position])

    def _all_row_numbers(self) -> np.ndarray:
        if self.row_numbers is None:
            return np.arange(2, len(self) + 2)
        return self.row_numbers


@dataclass(frozen=True)
class DataIssue:
    """One problem found by :func:`check_table`, with every affected spreadsheet row."""

    kind: str  # duplicate_id | blank_id | blank_text | missing_column | encoding
    rows: list[int]
    message: str
    blocking: bool


# --------------------------------------------------------------------------------------------
# Public entry points


def list_sheets(path: Path | str) -> list[str]:
    """The worksheet names of a spreadsheet, in workbook order; [] for text files."""
    path = Path(path)
    if _check_file(path) in _TEXT_SUFFIXES:
        return []
    with _open_workbook(path) as book:
        return [name for name, _ in _worksheets(book)]


def load_table(
    path: Path | str,
    sheet: str | None = None,
    *,
    progress: Progress | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Table:
    """Read a data file; ``progress(done, total)`` counts bytes (text files) or rows (spreadsheets).

    Raises DataError with a plain message when the file cannot be used, CancelledError when
    ``should_cancel()`` turns true.
    """
    path = Path(path)
    steps = _Steps(progress, should_cancel)
    if _check_file(path) in _TEXT_SUFFIXES:
        return _load_text(path, steps)
    return _load_spreadsheet(path, sheet, steps)


def check_table(table: Table, id_column: str | None, text_columns: Sequence[str]) -> list[DataIssue]:
    """Everything wrong with the chosen ID and text columns; blocking issues stop a job being built."""
    frame = table.frame
    wanted = list(dict.fromkeys(([id_column] if id_column else []) + list(text_columns)))
    issues: list[DataIssue] = []
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        message = f"{_missing_columns_text(missing, table.columns)} Choose one of these columns."
        issues.append(DataIssue("missing_column", [], message, True))
    numbers = table._all_row_numbers()
    if id_column and id_column in frame.columns:
        issues.extend(_id_issues(frame[id_column], id_column, numbers))
    texts = [c for c in dict.fromkeys(text_columns) if c in frame.columns]
    if texts:
        blank = np.logical_and.reduce([_is_blank(frame[c]) for c in texts])
        if blank.any():
            rows = numbers[blank].tolist()
            where = f'"{texts[0]}"' if len(texts) == 1 else "any of " + _and_list([f'"{c}"' for c in texts])
            message = (
                f"{_count(len(rows), 'row')} {'has' if len(rows) == 1 else 'have'} no text in {where}: "
                f"{_rows_text(rows)}. There is nothing to code in {'it' if len(rows) == 1 else 'them'}."
            )
            issues.append(DataIssue("blank_text", rows, message, False))
    checked = [c for c in wanted if c in frame.columns] or list(frame.columns)
    issues.extend(_encoding_issues(table, checked, numbers))
    return issues


# --------------------------------------------------------------------------------------------
# Files, progress, errors


@dataclass
class _Steps:
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


def _check_file(path: Path) -> str:
    """The file's (lower-case) suffix, once it is known to exist and to be of a supported kind."""
    if not path.exists():
        raise DataError(
            f'The file "{path}" was not found.',
            "Check that it has not been moved, renamed or deleted, and choose it again.",
        )
    if path.is_dir():
        raise DataError(f'"{path}" is a folder, not a data file.', "Choose the data file inside it.")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f'"{suffix}" files' if suffix else "files without an extension such as .csv"
        raise DataError(
            f'BatchLab cannot read {kind} ("{path.name}").',
            f"Save your data as CSV or as an Excel workbook (.xlsx) and choose that file. "
            f"BatchLab reads: {', '.join(SUPPORTED_SUFFIXES)}.",
        )
    return suffix


def _open_binary(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except PermissionError:
        raise DataError(
            f'BatchLab is not allowed to open "{path.name}".',
            "If the file is open in Excel or another program, close it there and try again.",
        ) from None
    except OSError as exc:
        raise DataError(
            f'"{path.name}" could not be opened: {exc.strerror}.', "Copy it to a local folder and try again."
        ) from None


def _column_letter(index: int) -> str:
    """Excel's letter for a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_names(header: Sequence[str], first_column: int = 0) -> list[str]:
    """Stripped header names; a blank one becomes "column C", a repeated one "text (2)".

    Names written in the file win: a made-up name never takes one that a later column has.
    """
    written = [_LINE_BREAKS_IN_NAME.sub(" ", raw).strip() for raw in header]
    taken = set(written)
    names: list[str] = []
    for index, name in enumerate(written):
        base = name or f"column {_column_letter(first_column + index)}"
        candidate, copy = base, 2
        while candidate in names or (candidate != name and candidate in taken):
            candidate, copy = f"{base} ({copy})", copy + 1
        names.append(candidate)
    return names


def _build_table(
    path: Path,
    header: list[str],
    chunks: list[pd.DataFrame],
    numbers: list[np.ndarray],
    first_column: int = 0,
    **details: object,
) -> Table:
    """Join the chunks read, name the columns, and drop unnamed columns that hold nothing."""
    if not chunks:
        raise DataError(
            f'"{path.name}" has column names but no rows of data.',
            "Check that you chose the right file (and, for a workbook, the right sheet).",
        )
    frame = pd.concat(chunks, ignore_index=True)
    names = _column_names(header, first_column)
    keep = [j for j, raw in enumerate(header) if raw.strip() or not (frame[j] == "").all()]
    if len(keep) < len(header):
        frame = frame[keep]
    frame.columns = [names[j] for j in keep]
    return Table(frame, path, row_numbers=np.concatenate(numbers), **details)  # type: ignore[arg-type]


def _text_chunk(columns: Sequence[Sequence[str]]) -> pd.DataFrame:
    return pd.DataFrame({j: pd.array(list(values), dtype="str") for j, values in enumerate(columns)})


# --------------------------------------------------------------------------------------------
# Text files: encoding, delimiter, parsing


def _load_text(path: Path, steps: _Steps) -> Table:
    with _open_binary(path) as raw:
        head = raw.read(_HEAD_BYTES)
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
    encoding, guessed, strict = _detect_encoding(path, head, complete, steps)
    sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, complete)
    if len(_CONTROL.findall(sample)) > len(sample) / 50:
        raise _not_text(path)
    delimiter, skip = _sniff(sample, complete, path.suffix.lower())
    chunk_rows = max(1_000, min(200_000, _CHUNK_BYTES * max(1, head.count(b"\n")) // len(head)))
    fast = strict and codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    try:
        parsed = _parse_utf8_arrow(path, delimiter, skip, steps) if fast else None
        if parsed is None:
            parsed = _parse_text(path, encoding, "strict" if strict else "replace", delimiter, skip, chunk_rows, steps)
    except UnicodeDecodeError:  # valid at the start, not further on
        if encoding == "utf-8":
            encoding, guessed = _guess_encoding(path, steps)
        parsed = _parse_text(path, encoding, "replace", delimiter, skip, chunk_rows, steps)
    header, chunks, numbers = parsed
    return _build_table(
        path, header, chunks, numbers,
        encoding=codecs.lookup(encoding).name, delimiter=delimiter, encoding_guessed=guessed,
    )  # fmt: skip


def _not_text(path: Path) -> DataError:
    return DataError(
        f'"{path.name}" does not look like a table of text (it holds binary data).',
        "Choose a CSV, TSV or Excel file, or export your data as CSV from the program that made it.",
    )


def _detect_encoding(path: Path, head: bytes, complete: bool, steps: _Steps) -> tuple[str, bool, bool]:
    """(codec, guessed: no BOM and not UTF-8, strict: the start of the file decodes without a fault)."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, False, True
    if b"\x00" in head:  # UTF-16 without a BOM, or not text at all
        best = from_bytes(head).best()
        if best is not None and best.encoding.startswith(("utf_16", "utf_32")):
            return best.encoding, True, False
        raise _not_text(path)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, complete)
    except UnicodeDecodeError:
        return (*_guess_encoding(path, steps), False)
    return "utf-8", False, True


def _guess_encoding(path: Path, steps: _Steps) -> tuple[str, bool]:
    """Decide between UTF-8 with a few broken bytes and a legacy encoding, from non-ASCII lines.

    charset-normalizer often cannot tell neighbouring encodings apart on little text; among those
    that read the sample as well as its best guess, the most common one (first in the list) wins.
    """
    sample = _non_ascii_lines(path, steps)
    text = sample.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    if len(text) - len(text.encode("ascii", "ignore")) - broken > broken:
        return "utf-8", False  # mostly valid UTF-8: keep it, and report the damaged cells
    matches = from_bytes(sample, cp_isolation=list(_LEGACY_ENCODINGS))
    best = matches.best()
    if best is None:
        return "cp1252", True
    as_good = {
        name
        for match in matches
        if match.chaos <= best.chaos + 0.01 and match.coherence >= best.coherence - 0.01
        for name in match.could_be_from_charset
    }
    return next((name for name in _LEGACY_ENCODINGS if name in as_good), best.encoding), True


def _non_ascii_lines(path: Path, steps: _Steps) -> bytes:
    """Up to _HEAD_BYTES of the file's lines that hold non-ASCII bytes: what tells encodings apart."""
    found: list[bytes] = []
    total = 0
    rest = b""
    with _open_binary(path) as raw:
        while block := raw.read(1 << 20):
            steps.check()
            lines = (rest + block).splitlines(keepends=True)
            rest = b"" if lines[-1].endswith((b"\n", b"\r")) else lines.pop()
            if len(rest) > _HEAD_BYTES:  # a very long line: judge it as it is
                lines.append(rest)
                rest = b""
            for line in lines:
                if not line.isascii():
                    found.append(line)
                    total += len(line)
                    if total >= _HEAD_BYTES:
                        return b"".join(found)
    if not rest.isascii():
        found.append(rest)
    return b"".join(found)


def _sniff(sample: str, complete: bool, suffix: str) -> tuple[str, int]:
    """The delimiter that splits the sample into the most consistent rows, and leading blank lines."""
    blank = _LEADING_BLANK_LINES.match(sample).group()  # type: ignore[union-attr]
    body = sample[len(blank) :]
    if not complete:  # drop the partial last line
        ends = list(_LINE_END.finditer(body))
        body = body[: ends[-1].end()] if ends else body
    order = ("\t", ",", ";", "|") if suffix in (".tsv", ".txt") else (",", ";", "\t", "|")
    delimiter = max(order, key=lambda d: _delimiter_score(body, d, complete))
    return delimiter, len(_LINE_END.findall(blank))


def _delimiter_score(text: str, delimiter: str, complete: bool) -> tuple[bool, float, int]:
    """(more than one column, share of rows as wide as the header, header width)."""
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"'):
            if row:
                rows.append(row)
    except csv.Error:  # a cell longer than the csv module's limit: judge on the rows before it
        complete = False
    if not complete and len(rows) > 1:
        rows.pop()  # may have been cut inside a quoted cell
    if not rows:
        return False, 0.0, 0
    width = len(rows[0])
    data = rows[1:]
    fit = sum(len(row) == width for row in data) / len(data) if data else 1.0
    return width > 1, fit, width


def _parse_text(
    path: Path, encoding: str, errors: str, delimiter: str, skip: int, chunk_rows: int, steps: _Steps
) -> tuple[list[str], list[pd.DataFrame], list[np.ndarray]]:
    """Header, data chunks (column labels 0..n-1) and their spreadsheet row numbers (pandas' parser).

    This path handles every encoding and reports ragged rows in plain words; clean UTF-8 files
    take the faster :func:`_parse_utf8_arrow` first.
    """
    size = path.stat().st_size
    steps(0, size)
    with _open_binary(path) as raw:
        try:
            with pd.read_csv(
                raw, sep=delimiter, quotechar='"', header=None, dtype="str", na_filter=False,
                skip_blank_lines=False, skiprows=skip, encoding=encoding, encoding_errors=errors,
                engine="c", chunksize=chunk_rows,
            ) as reader:  # fmt: skip
                parsed = _gather(((chunk, raw.tell()) for chunk in reader), skip, size, steps)
        except pd.errors.ParserError as exc:
            raise _parser_problem(path, delimiter, exc) from None
    steps(size, size)
    return parsed


def _parse_utf8_arrow(
    path: Path, delimiter: str, skip: int, steps: _Steps
) -> tuple[list[str], list[pd.DataFrame], list[np.ndarray]] | None:
    """The same as :func:`_parse_text` for a well-formed UTF-8 file, with Arrow's CSV reader
    (several times faster). None when the file needs the careful path (bad bytes, ragged rows)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    size = path.stat().st_size
    steps(0, size)
    if _odd_quotes(path):  # an unclosed quote: Arrow would swallow the rest of the file into one cell
        return None
    as_text = pacsv.ConvertOptions(
        column_types={f"f{i}": pa.string() for i in range(_MAX_FAST_COLUMNS)},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    text_dtype = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' "str", as the other path makes
    with _open_binary(path) as raw:
        try:
            reader = pacsv.open_csv(
                raw,
                read_options=pacsv.ReadOptions(block_size=_CHUNK_BYTES, skip_rows=skip, autogenerate_column_names=True),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
                convert_options=as_text,
            )
            if len(reader.schema) > _MAX_FAST_COLUMNS:
                return None
            frames = (
                (batch.to_pandas(types_mapper={pa.string(): text_dtype}.get).set_axis(range(batch.num_columns), axis=1), raw.tell())
                for batch in reader
            )
            parsed = _gather(frames, skip, size, steps)
        except (pa.ArrowInvalid, UnicodeDecodeError):
            return None
    steps(size, size)
    return parsed


def _odd_quotes(path: Path) -> bool:
    """Whether the file holds an odd number of quotation marks (escaped ones come in pairs)."""
    count = 0
    with _open_binary(path) as raw:
        while block := raw.read(16 * _CHUNK_BYTES):
            count += block.count(b'"')
    return count % 2 == 1


def _gather(
    frames: Iterable[tuple[pd.DataFrame, int]], skip: int, size: int, steps: _Steps
) -> tuple[list[str], list[pd.DataFrame], list[np.ndarray]]:
    """Split off the header row and drop rows whose every cell is empty; row numbers keep counting them."""
    header: list[str] = []
    chunks: list[pd.DataFrame] = []
    numbers: list[np.ndarray] = []
    row = skip + 1  # spreadsheet row of the next record read (blank lines before the header count)
    for chunk, position in frames:
        rows = np.arange(row, row + len(chunk), dtype=np.int64)
        row += len(chunk)
        if not header:
            header = chunk.iloc[0].tolist()
            chunk, rows = chunk.iloc[1:], rows[1:]
        empty = (chunk == "").all(axis=1).to_numpy()
        if empty.any():
            chunk, rows = chunk[~empty], rows[~empty]
        if len(chunk):
            chunks.append(chunk)
            numbers.append(rows)
        steps(position, size)
    return header, chunks, numbers


def _parser_problem(path: Path, delimiter: str, exc: Exception) -> DataError:
    """The parser's complaint in plain words, naming the row (pandas counts the skipped blank lines too)."""
    text = str(exc)
    if match := _TOO_MANY_FIELDS.search(text):
        width, row, seen = (int(g) for g in match.groups())
        return DataError(
            f'Row {row} of "{path.name}" has {seen} values, but there are only {width} column names.',
            f"A text in that row probably contains the separator ({_DELIMITER_NAMES[delimiter]}) without "
            f"quotation marks around it. Open the file in Excel or LibreOffice, correct row {row} (or give "
            f"the extra column a name in the first row), save it as CSV and load it again.",
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


# --------------------------------------------------------------------------------------------
# Spreadsheets


def _open_workbook(path: Path) -> CalamineWorkbook:
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


def _worksheets(book: CalamineWorkbook) -> list[tuple[str, bool]]:
    """(name, visible) of every sheet that holds cells (not charts or macros)."""
    return [
        (sheet.name, sheet.visible == SheetVisibleEnum.Visible)
        for sheet in book.sheets_metadata
        if sheet.typ == SheetTypeEnum.WorkSheet
    ]


def _load_spreadsheet(path: Path, sheet: str | None, steps: _Steps) -> Table:
    steps.check()
    with _open_workbook(path) as book:
        sheets = _worksheets(book)
        names = [name for name, _ in sheets]
        if not names:
            raise DataError(f'"{path.name}" has no sheet with cells.', "Choose the workbook that holds your table.")
        if sheet is None:
            sheet = next((name for name, visible in sheets if visible), names[0])
        elif sheet not in names:
            listed = _and_list([f'"{n}"' for n in names])
            message = f'"{path.name}" has no sheet named "{sheet}". Its sheets are: {listed}.'
            raise DataError(message, "Choose one of these sheets.")
        try:
            cells = book.get_sheet_by_name(sheet)
        except CalamineError:
            raise _damaged(path) from None
        header, chunks, numbers, first_column = _read_sheet(path, sheet, cells, steps)
    return _build_table(path, header, chunks, numbers, first_column, sheet=sheet)


def _read_sheet(
    path: Path, sheet: str, cells: CalamineSheet, steps: _Steps
) -> tuple[list[str], list[pd.DataFrame], list[np.ndarray], int]:
    """Header, chunks, row numbers and first column index of a sheet, rows as Excel numbers them."""
    start, end = cells.start, cells.end
    if start is None or end is None:
        raise DataError(f'The sheet "{sheet}" of "{path.name}" is empty.', "Choose the sheet that holds your table.")
    total = end[0] + 1
    rows = cells.iter_rows()  # starts at row 1 (blank rows included) and at the first used column
    steps(0, total)
    for _ in range(start[0]):
        next(rows)
    header = [_cell_text(v) for v in next(rows)]
    chunks: list[pd.DataFrame] = []
    numbers: list[np.ndarray] = []
    buffer: list[list[str]] = []
    kept: list[int] = []

    def flush(done: int) -> None:
        if buffer:
            chunks.append(_text_chunk(list(zip(*buffer, strict=True))))
            numbers.append(np.array(kept, dtype=np.int64))
            buffer.clear()
            kept.clear()
        steps(done, total)

    for number, row in enumerate(rows, start=start[0] + 2):
        values = [v if type(v) is str else _cell_text(v) for v in row]
        if any(values):
            buffer.append(values)
            kept.append(number)
        if number % _EXCEL_CHUNK_ROWS == 0:
            flush(number)
    flush(total)
    return header, chunks, numbers, start[1]


def _cell_text(value: object) -> str:
    """A cell as Excel shows it by default: whole numbers without ".0", at most 15 digits, TRUE/FALSE."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------------------------
# Checks and their messages


def _is_blank(column: pd.Series) -> np.ndarray:
    return (column.str.isspace() | (column == "")).to_numpy(dtype=bool)


def _id_issues(ids: pd.Series, name: str, numbers: np.ndarray) -> list[DataIssue]:
    issues: list[DataIssue] = []
    blank = _is_blank(ids)
    if blank.any():
        rows = numbers[blank].tolist()
        message = (
            f'Column "{name}" is empty in {_count(len(rows), "row")}: {_rows_text(rows)}. Every row needs its '
            f"own ID: fill in the missing IDs, or use no ID column and BatchLab will number the rows itself."
        )
        issues.append(DataIssue("blank_id", rows, message, True))
    repeated = ids.duplicated(keep=False).to_numpy(dtype=bool) & ~blank
    if repeated.any():
        values = ids[repeated].to_numpy(dtype=object)
        rows_of = numbers[repeated]
        codes, uniques = pd.factorize(values)
        shown = [
            f'"{_short(uniques[k])}" in {_rows_text(rows_of[codes == k].tolist(), 5)}'
            for k in range(min(10, len(uniques)))
        ]
        more = f"; and {len(uniques) - 10} more" if len(uniques) > 10 else ""
        message = (
            f'Column "{name}" has {_count(len(uniques), "ID")} that '
            f"{'appears' if len(uniques) == 1 else 'appear'} more than once: "
            f"{'; '.join(shown)}{more}. Every row needs its own ID: correct these, or choose a column "
            f"whose values are all different."
        )
        issues.append(DataIssue("duplicate_id", rows_of.tolist(), message, True))
    return issues


def _encoding_issues(table: Table, columns: list[str], numbers: np.ndarray) -> list[DataIssue]:
    issues: list[DataIssue] = []
    frame = table.frame
    replaced = np.logical_or.reduce(
        [frame[c].str.contains("\ufffd", regex=False).to_numpy(dtype=bool) for c in columns]
    )
    if replaced.any():
        rows = numbers[replaced].tolist()
        message = (
            f'Some letters could not be read and show as "\ufffd" in {_count(len(rows), "row")}: '
            f"{_rows_text(rows)}. Check these rows; if the file came from another program, export it again "
            f'as "CSV UTF-8" and load it again.'
        )
        issues.append(DataIssue("encoding", rows, message, False))
    if table.encoding_guessed:
        accented = np.logical_or.reduce([(~frame[c].str.isascii()).to_numpy(dtype=bool) for c in columns])
        if accented.any():
            rows = numbers[accented].tolist()
            label = _ENCODING_NAMES.get(table.encoding or "", table.encoding)
            message = (
                f"The file is not saved as UTF-8, so BatchLab guessed how its letters are stored: {label}. "
                f"Check that accented letters and symbols look right, for example in {_rows_text(rows)}. "
                f'If they look wrong, open the file in Excel, save it as "CSV UTF-8", and load it again.'
            )
            issues.append(DataIssue("encoding", rows, message, False))
    return issues


def _missing_columns_text(missing: Sequence[str], available: Sequence[str]) -> str:
    names = _and_list([f'"{c}"' for c in missing])
    what = f"no column named {names}" if len(missing) == 1 else f"no columns named {names}"
    shown = [f'"{c}"' for c in available[:30]]
    if len(available) > 30:
        shown.append(f"{len(available) - 30} more")
    return f"The data file has {what}. Its columns are: {_and_list(shown)}."


def _rows_text(rows: Sequence[int], limit: int = 10) -> str:
    """ "row 4", "rows 4 and 9", "rows 2, 3, … 11 and 40 more" (no thousands separators: commas separate)."""
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = [str(r) for r in rows[:limit]]
    if len(rows) > limit:
        shown.append(f"{len(rows) - limit} more")
    return "rows " + _and_list(shown)


def _and_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _short(value: str, limit: int = 40) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"
