"""Checks of a loaded table against the chosen ID and text columns, and every finding in words."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from app.core.data.encoding import encoding_label
from app.core.data.table import DataIssue, Table
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
    then they are sent as they are and listed in the job's manifest.
    """
    check = TableCheck(id_column, text_columns, accept_unreadable=accept_unreadable)
    check.start(table.columns)
    check.add(table.frame, table.all_row_numbers())
    return check.issues(table)


class TableCheck:
    """:func:`check_table` for a table read a chunk at a time (so a million rows need not be in memory).

    Findings about single rows are gathered chunk by chunk; the ID column is kept (as Arrow text,
    a few bytes per row) for the duplicate check at the end.
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
        self.ids: list[pd.Series] = []
        self.numbers: list[np.ndarray] = []
        self.blank: list[np.ndarray] = []
        self.unreadable: list[np.ndarray] = []
        self.accented: list[np.ndarray] = []
        self.rows = 0  # data rows checked

    def add(self, frame: pd.DataFrame, numbers: np.ndarray) -> None:
        """Check one chunk of rows (``numbers``: their spreadsheet row numbers)."""
        self.rows += len(frame)
        if self.id_column:
            self.ids.append(frame[self.id_column])
            self.numbers.append(numbers)
        if self.texts:
            self.blank.append(numbers[np.logical_and.reduce([_is_blank(frame[c]) for c in self.texts])])
        self.unreadable.append(numbers[_any_row(frame, self.checked, lambda c: c.str.contains("\ufffd", regex=False))])
        self.accented.append(numbers[_any_row(frame, self.checked, lambda c: ~c.str.isascii())])

    def issues(self, table: Table) -> list[DataIssue]:
        """The findings, in the order the Data step lists them; ``table`` says how the file was read."""
        issues: list[DataIssue] = []
        if table.layout.doubtful:
            issues.append(DataIssue("layout", [], " ".join(table.layout.reasons), False))
        if self.missing:
            message = f"{missing_columns_text(self.missing, self.columns)} Choose one of these columns."
            issues.append(DataIssue("missing_column", [], message, True))
        ids = numbers = None
        if self.id_column and self.ids:
            ids = pd.concat(self.ids, ignore_index=True) if len(self.ids) > 1 else self.ids[0].reset_index(drop=True)
            numbers = np.concatenate(self.numbers)
            issues.extend(_id_issues(ids, self.id_column, numbers))
        blank = _joined(self.blank)
        if blank:
            texts = self.texts
            where = f'"{texts[0]}"' if len(texts) == 1 else "any of " + and_list([f'"{c}"' for c in texts])
            message = (
                f"{count(len(blank), 'row')} {'has' if len(blank) == 1 else 'have'} no text in {where}: "
                f"{rows_text(blank)}. There is nothing to code in {'it' if len(blank) == 1 else 'them'}."
            )
            issues.append(DataIssue("blank_text", blank, message, False))
        if unreadable := _joined(self.unreadable):
            named = ids[np.isin(numbers, unreadable)].tolist() if ids is not None and numbers is not None else []
            issues.append(_unreadable_issue(unreadable, named, self.accept_unreadable))
        if table.encoding_guessed and (accented := _joined(self.accented)):
            message = (
                f"The file is not saved as UTF-8, so BatchLab guessed how its letters are stored: "
                f"{encoding_label(table.encoding)}. "
                f"Check that accented letters and symbols look right, for example in {rows_text(accented)}. "
                f'If they look wrong, choose another encoding, or open the file in Excel, save it as "CSV UTF-8", '
                "and load it again."
            )
            issues.append(DataIssue("encoding", accented, message, False))
        return issues


def _any_row(frame: pd.DataFrame, columns: Sequence[str], test: Callable[[pd.Series], pd.Series]) -> np.ndarray:
    """Rows where ``test`` holds in any of the columns."""
    if not columns:
        return np.zeros(len(frame), dtype=bool)
    return np.logical_or.reduce([test(frame[c]).to_numpy(dtype=bool) for c in columns])


def _joined(parts: list[np.ndarray]) -> list[int]:
    return np.concatenate(parts).tolist() if parts else []


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
        not _is_blank(first).any()
        and int(lengths.max()) <= _ID_MAX_LENGTH
        and not first.str.contains(r"\s", regex=True).any()
        and not first.duplicated().any()
    ):
        return table.columns[0]
    return None


def _is_blank(column: pd.Series) -> np.ndarray:
    return (column.str.isspace() | (column == "")).to_numpy(dtype=bool)


def _repeated(values: pd.Series) -> np.ndarray:
    """Which values occur more than once, found by sorting them in Arrow: a few bytes per row,
    where pandas' ``duplicated`` made a Python object of every ID (about 190 bytes a row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(values, type=pa.string(), from_pandas=True)
    order = pc.sort_indices(array)
    ordered = array.take(order)
    same = pc.equal(ordered[1:], ordered[:-1]).to_numpy(zero_copy_only=False)
    del ordered
    twice = np.zeros(len(values), dtype=bool)  # in sorted order: equal to a neighbour
    twice[1:] |= same
    twice[:-1] |= same
    repeated = np.zeros(len(values), dtype=bool)
    repeated[order.to_numpy()] = twice
    return repeated


def _id_issues(ids: pd.Series, name: str, numbers: np.ndarray) -> list[DataIssue]:
    issues: list[DataIssue] = []
    blank = _is_blank(ids)
    if blank.any():
        rows = numbers[blank].tolist()
        message = (
            f'Column "{name}" is empty in {count(len(rows), "row")}: {rows_text(rows)}. Every row needs its '
            f"own ID: fill in the missing IDs, or use no ID column and BatchLab will number the rows itself."
        )
        issues.append(DataIssue("blank_id", rows, message, True))
    repeated = _repeated(ids) & ~blank
    if repeated.any():
        values = ids[repeated].to_numpy(dtype=object)
        rows_of = numbers[repeated]
        codes, uniques = pd.factorize(values)
        shown = [
            f'"{short(uniques[k])}" in {rows_text(rows_of[codes == k].tolist(), 5)}'
            for k in range(min(10, len(uniques)))
        ]
        more = f"; and {len(uniques) - 10} more" if len(uniques) > 10 else ""
        message = (
            f'Column "{name}" has {count(len(uniques), "ID")} that '
            f"{'appears' if len(uniques) == 1 else 'appear'} more than once: "
            f"{'; '.join(shown)}{more}. Every row needs its own ID: correct these, or choose a column "
            f"whose values are all different."
        )
        if any(str(u).isdigit() and len(str(u)) > 15 for u in uniques):
            message += (
                " These IDs are long numbers: a spreadsheet keeps only 15 digits of a number, so IDs longer "
                "than that lose their last digits and can become equal. Store the IDs as text (format the "
                "column as Text before entering them, or export them as CSV from where they came from)."
            )
        issues.append(DataIssue("duplicate_id", rows_of.tolist(), message, True))
    return issues
