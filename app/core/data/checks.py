"""Checks of a loaded table against the chosen ID and text columns, and every finding in words."""

from __future__ import annotations

from collections.abc import Sequence

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
    frame = table.frame
    wanted = list(dict.fromkeys(([id_column] if id_column else []) + list(text_columns)))
    issues: list[DataIssue] = []
    if table.layout.doubtful:
        issues.append(DataIssue("layout", [], " ".join(table.layout.reasons), False))
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        message = f"{missing_columns_text(missing, table.columns)} Choose one of these columns."
        issues.append(DataIssue("missing_column", [], message, True))
    numbers = table.all_row_numbers()
    if id_column and id_column in frame.columns:
        issues.extend(_id_issues(frame[id_column], id_column, numbers))
    texts = [c for c in dict.fromkeys(text_columns) if c in frame.columns]
    if texts:
        blank = np.logical_and.reduce([_is_blank(frame[c]) for c in texts])
        if blank.any():
            rows = numbers[blank].tolist()
            where = f'"{texts[0]}"' if len(texts) == 1 else "any of " + and_list([f'"{c}"' for c in texts])
            message = (
                f"{count(len(rows), 'row')} {'has' if len(rows) == 1 else 'have'} no text in {where}: "
                f"{rows_text(rows)}. There is nothing to code in {'it' if len(rows) == 1 else 'them'}."
            )
            issues.append(DataIssue("blank_text", rows, message, False))
    checked = [c for c in wanted if c in frame.columns] or list(frame.columns)
    issues.extend(_encoding_issues(table, checked, numbers, accept_unreadable))
    return issues


def unreadable_rows(table: Table, columns: Sequence[str]) -> list[int]:
    """Spreadsheet rows where a letter of these columns could not be read (a "\ufffd" in its place)."""
    present = [c for c in columns if c in table.frame.columns]
    if not present:
        return []
    replaced = np.logical_or.reduce([table.frame[c].str.contains("\ufffd", regex=False).to_numpy(dtype=bool) for c in present])
    return table.all_row_numbers()[replaced].tolist()


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
    repeated = ids.duplicated(keep=False).to_numpy(dtype=bool) & ~blank
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


def _encoding_issues(table: Table, columns: list[str], numbers: np.ndarray, accept_unreadable: bool) -> list[DataIssue]:
    issues: list[DataIssue] = []
    frame = table.frame
    rows = unreadable_rows(table, columns)
    if rows:
        message = (
            f'Some letters could not be read and show as "\ufffd" in {count(len(rows), "row")}: '
            f"{rows_text(rows)}. The file mixes encodings or holds damaged bytes. If it came from another "
            f'program, export it again as "CSV UTF-8" and load it again'
        )
        if accept_unreadable:
            message += "; as chosen, these rows are sent as they are and listed in the job's manifest."
        else:
            message += ", or choose to send these rows as they are."
        issues.append(DataIssue("unreadable", rows, message, not accept_unreadable))
    if table.encoding_guessed:
        accented = np.logical_or.reduce([(~frame[c].str.isascii()).to_numpy(dtype=bool) for c in columns])
        if accented.any():
            rows = numbers[accented].tolist()
            message = (
                f"The file is not saved as UTF-8, so BatchLab guessed how its letters are stored: "
                f"{encoding_label(table.encoding)}. "
                f"Check that accented letters and symbols look right, for example in {rows_text(rows)}. "
                f'If they look wrong, choose another encoding, or open the file in Excel, save it as "CSV UTF-8", '
                "and load it again."
            )
            issues.append(DataIssue("encoding", rows, message, False))
    return issues
