"""Checks of a loaded table against the chosen ID and text columns, and every finding in words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from app.core.data.encoding import encoding_label
from app.core.data.table import Chunk, DataIssue, Table
from app.core.data.words import and_list, count, missing_columns_text, rows_text, short

_ID_NAMES = ("id", "identifier", "key", "uuid", "respondent", "case", "caseid", "record", "serial", "nr", "no", "#")
_ID_ENDINGS = ("_id", " id", "-id", ".id", "_nr", " nr", " no", " no.", "_no", " number")
#: An ID column found by its values (no telling name): at most this long, no spaces.
_ID_MAX_LENGTH = 40


def check_table(
    table: Table, id_column: str | None, text_columns: Sequence[str], *, accept_unreadable: bool = False
) -> list[DataIssue]:
    """Everything wrong with the table and the chosen columns; blocking issues stop a job being built.

    Rows whose letters could not be read (shown as "\ufffd") block unless ``accept_unreadable``:
    then they are sent as they are and listed in the job's manifest. A table is checked once for
    each choice of columns; asked again (or by another thread meanwhile), the first answer is given.
    """
    key = (id_column, tuple(text_columns), accept_unreadable)
    with table.checking:
        if key not in table.findings:
            check = TableCheck(id_column, text_columns, accept_unreadable=accept_unreadable)
            check.start(table.columns)
            for chunk in table.chunks():
                check.add(chunk)
            table.findings[key] = check.issues(table)
        return list(table.findings[key])


class RowFindings(NamedTuple):
    """Positions (within one chunk) of the rows with a blank text, and of those with unreadable letters."""

    blank: list[int]
    unreadable: list[int]


class TableCheck:
    """:func:`check_table` for a table read a chunk at a time (so a million rows need not be in memory).

    Findings about single rows are gathered chunk by chunk, in plain Python over the cells the job
    uses (each test is a character-class check CPython answers without scanning most texts). For the
    duplicate check at the end only a 64-bit hash of each ID is kept, plus the chunk's ID column (a
    few bytes a row) to name the duplicates exactly.
    """

    def __init__(self, id_column: str | None, text_columns: Sequence[str], *, accept_unreadable: bool = False) -> None:
        self.wanted_id, self.wanted_texts = id_column, list(dict.fromkeys(text_columns))
        self.accept_unreadable = accept_unreadable
        self.start([])

    def start(self, columns: list[str]) -> None:
        """Begin (or begin again) with a table that has these columns."""
        self.columns = columns
        wanted = list(dict.fromkeys(([self.wanted_id] if self.wanted_id else []) + self.wanted_texts))
        self.missing = [c for c in wanted if c not in columns]
        self.id_column = self.wanted_id if self.wanted_id in columns else None
        self.texts = [c for c in self.wanted_texts if c in columns]
        self.checked = [c for c in wanted if c in columns] or columns
        self.id_hashes: list[np.ndarray] = []
        self.id_cells: list[Any] = []  # each chunk's ID column as read (Arrow or pandas)
        self.numbers: list[np.ndarray] = []
        self.blank_ids: list[int] = []
        self.blank: list[int] = []
        self.unreadable: list[int] = []
        self.unreadable_ids: list[str] = []
        self.accented: list[np.ndarray] = []
        self.rows = 0  # data rows checked

    def add(self, chunk: Chunk) -> RowFindings:
        """Check one chunk of rows; what it found about single rows, by position in the chunk."""
        self.rows += len(chunk)
        numbers = chunk.numbers
        plain = {column: chunk.is_ascii(column) for column in self.checked}
        blank = _blank_rows(chunk, self.texts, plain) if self.texts else []
        unreadable: set[int] = set()
        accented: set[int] = set()
        for column in self.checked:
            if plain[column]:
                continue
            cells = chunk.values(column)
            others = [i for i, cell in enumerate(cells) if not cell.isascii()]
            accented.update(others)
            unreadable.update(i for i in others if "\ufffd" in cells[i])
        if accented:
            self.accented.append(numbers[sorted(accented)])
        if self.id_column:
            ids = chunk.values(self.id_column)
            self.id_hashes.append(np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids)))
            self.id_cells.append(chunk.source[self.id_column])
            self.numbers.append(numbers)
            self.blank_ids.extend(int(numbers[i]) for i in _blank_rows(chunk, [self.id_column], plain))
            self.unreadable_ids.extend(ids[i] for i in sorted(unreadable))
        self.blank.extend(int(numbers[i]) for i in blank)
        self.unreadable.extend(int(numbers[i]) for i in sorted(unreadable))
        return RowFindings(blank, sorted(unreadable))

    def issues(self, table: Table) -> list[DataIssue]:
        """The findings, in the order the Data step lists them; ``table`` says how the file was read."""
        issues: list[DataIssue] = []
        if table.layout.doubtful:
            issues.append(DataIssue("layout", [], " ".join(table.layout.reasons), False))
        if self.missing:
            message = f"{missing_columns_text(self.missing, self.columns)} Choose one of these columns."
            issues.append(DataIssue("missing_column", [], message, True))
        if self.id_column and self.id_hashes:
            issues.extend(_id_issues(self.id_column, self.blank_ids, self._repeated_ids()))
        if blank := sorted(self.blank):
            texts = self.texts
            where = f'"{texts[0]}"' if len(texts) == 1 else "any of " + and_list([f'"{c}"' for c in texts])
            message = (
                f"{count(len(blank), 'row')} {'has' if len(blank) == 1 else 'have'} no text in {where}: "
                f"{rows_text(blank)}. There is nothing to code in {'it' if len(blank) == 1 else 'them'}."
            )
            issues.append(DataIssue("blank_text", blank, message, False))
        if self.unreadable:
            issues.append(_unreadable_issue(self.unreadable, self.unreadable_ids, self.accept_unreadable))
        if table.encoding_guessed and self.accented:
            accented = np.concatenate(self.accented).tolist()
            message = (
                f"The file is not saved as UTF-8, so BatchLab guessed how its letters are stored: "
                f"{encoding_label(table.encoding)}. "
                f"Check that accented letters and symbols look right, for example in "
                f"{rows_text(accented)}. "
                f'If they look wrong, choose another encoding, or open the file in Excel, save it as "CSV UTF-8", '
                "and load it again."
            )
            issues.append(DataIssue("encoding", accented, message, False))
        return issues

    def _repeated_ids(self) -> dict[str, list[int]]:
        """Every non-blank ID that occurs more than once, with its rows, in order of first appearance.

        Equal hashes are only candidates: the IDs behind them are compared as text.
        """
        hashes = np.concatenate(self.id_hashes)
        ordered = np.sort(hashes)  # a plain sort: ~10× faster than a stable argsort of 1M hashes
        repeated = ordered[1:][ordered[1:] == ordered[:-1]]
        if not len(repeated):
            return {}
        candidates = np.flatnonzero(np.isin(hashes, repeated))
        starts = np.cumsum([0] + [len(n) for n in self.numbers])
        numbers = np.concatenate(self.numbers)
        blank = set(self.blank_ids)
        rows: dict[str, list[int]] = {}
        for position in candidates.tolist():  # sorted: rows in file order
            part = int(np.searchsorted(starts, position, side="right")) - 1
            cells = self.id_cells[part]
            offset = position - int(starts[part])
            value = cells[offset].as_py() if hasattr(cells, "to_pylist") else cells.iloc[offset]
            number = int(numbers[position])
            if number not in blank:
                rows.setdefault(value, []).append(number)
        return {value: found for value, found in rows.items() if len(found) > 1}


def _blank_rows(chunk: Chunk, columns: Sequence[str], plain: dict[str, bool]) -> list[int]:
    """Positions of the rows whose cells are all empty or whitespace in every one of ``columns``
    (``plain``: whether a column is plain ASCII, from :meth:`Chunk.is_ascii`).

    A blank cell is empty or starts with whitespace, which in ASCII sorts before "!": so a column
    of plain ASCII whose smallest cell is not before "!" has none, and neither has the row. ``min``
    answers that in one C loop; testing every cell was most of the checks' time.
    """
    if any(plain[c] and min(chunk.values(c), default="!") >= "!" for c in columns):
        return []
    first, *others = (chunk.values(c) for c in columns)
    blank = [i for i, cell in enumerate(first) if not cell or cell.isspace()]
    for cells in others:
        blank = [i for i in blank if not cells[i] or cells[i].isspace()]
    return blank


def _unreadable_issue(rows: list[int], ids: list[str], accepted: bool) -> DataIssue:
    """``ids``: the IDs of these rows, when the table has an ID column."""
    named = f" (ID{'s' if len(ids) > 1 else ''} {', '.join(short(i) for i in ids[:10])}{' …' if len(ids) > 10 else ''})" if ids else ""
    message = (
        f'Some letters could not be read and show as "\ufffd" in {count(len(rows), "row")}: '
        f"{rows_text(rows)}{named}. The file mixes encodings or holds damaged bytes. If it came from another "
        f'program, export it again as "CSV UTF-8" and load it again'
    )
    if accepted:
        message += "; as chosen, these rows are sent as they are and listed in the job's manifest."
    else:
        message += ", or choose to send these rows as they are."
    return DataIssue("unreadable", rows, message, not accepted)


def describe_findings(
    table: Table, id_column: str | None = None, text_columns: Sequence[str] = (), *, accept_unreadable: bool = False
) -> list[str]:
    """Every data finding the Data step shows, as lines for the command line: the layout, then the checks."""
    return findings_text(table, check_table(table, id_column, text_columns, accept_unreadable=accept_unreadable))


def findings_text(table: Table, issues: Sequence[DataIssue]) -> list[str]:
    """The layout's notes, then each issue as "Problem: …" (blocking) or "Warning: …"."""
    return list(table.layout.notes) + [f"{'Problem' if i.blocking else 'Warning'}: {i.message}" for i in issues]


def find_id_column(table: Table) -> str | None:
    """The ID column, found the same way in every format: a name that says so ("id", "respondent_id",
    "Case no" …), else a first column of short, distinct values without spaces."""
    for name in table.columns:
        low = name.strip().lower()
        if low in _ID_NAMES or low.endswith(_ID_ENDINGS) or low.startswith(("id_", "id ", "id-")):
            return name
    if not table.columns or not len(table):
        return None
    first = table.frame[table.columns[0]]
    lengths = first.str.len()
    if (
        not (first.str.isspace() | (first == "")).any()
        and int(lengths.max()) <= _ID_MAX_LENGTH
        and not first.str.contains(r"\s", regex=True).any()
        and not first.duplicated().any()
    ):
        return table.columns[0]
    return None


def _id_issues(name: str, blank_rows: list[int], repeated: dict[str, list[int]]) -> list[DataIssue]:
    issues: list[DataIssue] = []
    if blank_rows:
        rows = sorted(blank_rows)
        message = (
            f'Column "{name}" is empty in {count(len(rows), "row")}: {rows_text(rows)}. Every row needs its '
            f"own ID: fill in the missing IDs, or use no ID column and BatchLab will number the rows itself."
        )
        issues.append(DataIssue("blank_id", rows, message, True))
    if repeated:
        uniques = list(repeated)
        shown = [f'"{short(value)}" in {rows_text(repeated[value], 5)}' for value in uniques[:10]]
        more = f"; and {len(uniques) - 10} more" if len(uniques) > 10 else ""
        message = (
            f'Column "{name}" has {count(len(uniques), "ID")} that '
            f"{'appears' if len(uniques) == 1 else 'appear'} more than once: "
            f"{'; '.join(shown)}{more}. Every row needs its own ID: correct these, or choose a column "
            f"whose values are all different."
        )
        if any(value.isdigit() and len(value) > 15 for value in uniques):
            message += (
                " These IDs are long numbers: a spreadsheet keeps only 15 digits of a number, so IDs longer "
                "than that lose their last digits and can become equal. Store the IDs as text (format the "
                "column as Text before entering them, or export them as CSV from where they came from)."
            )
        rows = sorted(row for found in repeated.values() for row in found)
        issues.append(DataIssue("duplicate_id", rows, message, True))
    return issues
