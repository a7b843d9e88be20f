"""Reading gold labels (what people coded) from a file or from columns of the job's own data.

Values are read the way a person means them: categories ignore case and spacing, booleans take
yes/no/true/false/1/0, lists take "a; b" or "a, b", numbers take a decimal comma. Anything that
cannot be read — a value outside the choices, an ID that is not a row of the job, a duplicate
ID — becomes a :class:`GoldProblem` with the row number the person sees in a spreadsheet; it is
reported, never dropped silently.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.data import Table, load_table
from app.core.errors import GoldFileError
from app.core.results.cells import FORMULA_START
from app.core.spec import FieldSpec, JobSpec

_TRUE = frozenset({"yes", "y", "true", "t", "1", "1.0", "x", "on"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "0.0", "off"})
#: Ways to write "no labels" in a list cell (an empty cell means "not coded").
_EMPTY_LIST = frozenset({"[]", "-", "none"})
_ID_NAMES = ("id", "row_id")
#: "1,000" or "12,500": a thousands separator to some people, a decimal comma to others.
_THOUSANDS_OR_DECIMAL = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")
#: An ID a spreadsheet made a number of: "7.0" for 7, "2" for "002".
_NUMERIC_ID = re.compile(r"\d+(\.0+)?")


@dataclass
class GoldProblem:
    """One thing wrong in a gold file; ``row`` is the spreadsheet row number as the Data step shows it."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f'column "{self.column}"')
        if not where:
            return self.message
        text = ", ".join(where)
        return f"{text[0].upper()}{text[1:]}: {self.message}"


@dataclass
class GoldImport:
    """Labels read from a file: row_id -> field -> value, which column fed each field, and the problems."""

    labels: dict[str, dict[str, Any]]
    mapping: dict[str, str]  # field -> column
    problems: list[GoldProblem]
    id_column: str | None = None
    sheet: str | None = None  # the workbook sheet read (None for a text file)
    sheets: list[str] = dataclasses.field(default_factory=list)  # every sheet of the workbook

    def raise_if_problems(self, source: str = "") -> None:
        """For callers that accept only a clean file (the command line)."""
        if self.problems:
            raise GoldFileError([str(p) for p in self.problems], source)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _choice(field: FieldSpec, raw: str) -> str | None:
    wanted = _key(raw)
    return next((c for c in field.choices if _key(c) == wanted), None)


def _outside(raw: Any, field: FieldSpec) -> str:
    return f'"{raw}" is not one of {", ".join(field.choices)}'


def _number(field: FieldSpec, raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, bool):
        return None, f"{raw} is not a number"
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
        if _THOUSANDS_OR_DECIMAL.fullmatch(text):
            whole, fraction = text.split(",")
            return None, (
                f'"{raw}" could mean {whole}{fraction} or {whole}.{fraction}; write it without a thousands '
                f"separator ({whole}{fraction}) or with a decimal point ({whole}.{fraction})"
            )
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # decimal comma
        try:
            value = float(text)
        except ValueError:
            return None, f'"{raw}" is not a number'
    if not math.isfinite(value):
        return None, f'"{raw}" is not a number'
    if field.type == "integer" and not value.is_integer():
        return None, f'"{raw}" is not a whole number'
    if field.minimum is not None and value < field.minimum:
        return None, f"{raw} is below the field's minimum {field.minimum:g}"
    if field.maximum is not None and value > field.maximum:
        return None, f"{raw} is above the field's maximum {field.maximum:g}"
    return (int(value) if field.type == "integer" else value), None


def _items(raw: Any) -> list[str] | None:
    if isinstance(raw, (list, tuple)):
        return [str(v) for v in raw]
    text = str(raw).strip()
    if text.casefold() in _EMPTY_LIST:
        return []
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            return None
        return [str(v) for v in parsed] if isinstance(parsed, list) else None
    separator = ";" if ";" in text else ","
    return [part.strip() for part in text.split(separator) if part.strip()]


def _labels(field: FieldSpec, raw: Any) -> tuple[Any, str | None]:
    items = _items(raw)
    if items is None:
        return None, f'"{raw}" is not a list (write labels separated by ";" or ",")'
    if _key(str(raw)) == "none" and field.choices and _choice(field, "none"):
        items = ["none"]  # "none" is a real label of this field
    if not field.choices:
        return list(dict.fromkeys(items)), None
    chosen = [_choice(field, item) for item in items]
    wrong = [item for item, c in zip(items, chosen) if c is None]
    if wrong:
        return None, _outside(wrong[0], field)
    return list(dict.fromkeys(c for c in chosen if c is not None)), None


def _unprotected(raw: Any) -> Any:
    """A cell as it was before an export protected it from spreadsheets: "'@anna" is "@anna".

    BatchLab's exports (the gold export, "CSV for Excel", .xlsx) put an apostrophe before a text
    that would start a formula; a file made from one must read back as the values themselves.
    """
    if type(raw) is str and raw.startswith("'") and raw[1:].startswith(FORMULA_START):
        return raw[1:]
    return raw


def normalise_value(field: FieldSpec, raw: Any) -> tuple[Any, str | None]:
    """The field value a person meant by ``raw``, and a problem (or None); (None, None) for a blank cell."""
    raw = _unprotected(raw)
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if field.type == "category":
        choice = _choice(field, str(raw))
        return (choice, None) if choice is not None else (None, _outside(str(raw).strip(), field))
    if field.type == "boolean":
        if isinstance(raw, bool):
            return raw, None
        word = _key(str(raw))
        if word in _TRUE or word in _FALSE:
            return word in _TRUE, None
        return None, f'"{raw}" is not yes/no (write yes, no, true, false, 1 or 0)'
    if field.type in ("number", "integer"):
        return _number(field, raw)
    if field.type == "list":
        return _labels(field, raw)
    return str(raw).strip(), None


def _find_column(columns: Sequence[str], name: str) -> str | None:
    if name in columns:
        return name
    return next((c for c in columns if _key(c) == _key(name)), None)


def _collect(
    table: Table,
    ids: Sequence[str],
    spec: JobSpec,
    mapping: dict[str, str],
    known_ids: set[str] | None,
    problems: list[GoldProblem],
    id_column: str | None,
) -> dict[str, dict[str, Any]]:
    fields = {f.name: f for f in spec.fields}
    cells = {name: table.frame[column].tolist() for name, column in mapping.items()}
    labels: dict[str, dict[str, Any]] = {}
    first_row: dict[str, int] = {}
    numeric_ids: dict[str, list[str]] | None = None  # built on the first unknown ID
    for position, raw_id in enumerate(ids):
        row = table.row_number(position)
        text = str(_unprotected(raw_id))
        # Spaces around an ID are a spreadsheet's doing, unless the job's own IDs have them.
        row_id = text if known_ids is None or text in known_ids else text.strip()
        values: dict[str, Any] = {}
        for name, column in mapping.items():
            value, problem = normalise_value(fields[name], cells[name][position])
            if problem:
                problems.append(GoldProblem(row, column, problem))
            elif value is not None:
                values[name] = value
        if not values:
            continue
        if not row_id.strip():
            problems.append(GoldProblem(row, id_column, "the ID is blank"))
        elif row_id in first_row:
            problems.append(GoldProblem(row, id_column, f'the ID "{row_id}" is also on row {first_row[row_id]}'))
        elif known_ids is not None and row_id not in known_ids:
            numeric_ids = numeric_ids if numeric_ids is not None else _by_number(known_ids)
            problems.append(GoldProblem(row, id_column, _unknown_id(row_id, numeric_ids)))
        else:
            first_row[row_id] = row
            labels[row_id] = values
    return labels


def _by_number(ids: set[str]) -> dict[str, list[str]]:
    """The job's IDs made of digits, by the number they spell ("002" under "2")."""
    found: dict[str, list[str]] = {}
    for row_id in ids:
        if row_id.isdigit():
            found.setdefault(str(int(row_id)), []).append(row_id)
    return found


def _unknown_id(row_id: str, numeric_ids: dict[str, list[str]]) -> str:
    """Why an ID matches no row, naming the row it most likely means when a spreadsheet turned
    the IDs into numbers (dropping leading zeros, adding ".0"): the fix is in the file, not a guess."""
    message = f'the ID "{row_id}" is not a row of this job'
    if not _NUMERIC_ID.fullmatch(row_id):
        return message
    meant = numeric_ids.get(str(int(row_id.split(".")[0])), [])
    if len(meant) != 1:
        return message
    return f'{message}, but "{meant[0]}" is (the IDs may have been stored as numbers: format the ID column as text)'



def _resolve_mapping(
    columns: Sequence[str], spec: JobSpec, mapping: dict[str, str] | None, by_name: bool = True
) -> tuple[dict[str, str], list[str]]:
    """field -> column: the person's mapping first, then (``by_name``) columns named like the fields."""
    problems: list[str] = []
    fields = {f.name for f in spec.fields}
    resolved: dict[str, str] = {}
    for name, column in (mapping or {}).items():
        field = _find_column(sorted(fields), name)
        found = _find_column(columns, column)
        if field is None:
            problems.append(f'"{name}" is not a field of this job (the fields are {", ".join(sorted(fields))}).')
        elif found is None:
            problems.append(f'The file has no column "{column}" for the field "{name}".')
        else:
            resolved[field] = found
    for f in spec.fields:
        if by_name and f.name not in resolved and not problems:
            found = _find_column(columns, f.name)
            if found is not None and found not in resolved.values():
                resolved[f.name] = found
    return resolved, problems


def read_gold_file(
    path: Path,
    spec: JobSpec,
    *,
    id_column: str | None = None,
    mapping: dict[str, str] | None = None,
    known_ids: set[str] | None = None,
    sheet: str | None = None,
) -> GoldImport:
    """Read hand-coded labels from a CSV/TSV/Excel file with the same loader as the Data step.

    The ID column is ``id_column``, else the job's ID column, else one called "id" or "row_id".
    Columns are matched to fields by name (ignoring case) unless ``mapping`` (field -> column)
    says otherwise. Raises GoldFileError when the file is empty, has no ID column, matches no
    field or yields no usable label; otherwise the problems come back with the labels.
    """
    path = Path(path)
    table = load_table(path, sheet)
    if len(table) == 0:
        raise GoldFileError(["The file has no rows of labels."], path.name)
    columns = table.columns
    if id_column is not None:
        found = _find_column(columns, id_column)
        if found is None:
            raise GoldFileError([f'There is no column "{id_column}". The columns are: {", ".join(columns)}.'], path.name)
    else:
        candidates = [spec.id_column] if spec.id_column else []
        found = next((c for name in [*candidates, *_ID_NAMES] if (c := _find_column(columns, name))), None)
        if found is None:
            wanted = f'"{spec.id_column}" (the job\'s ID column)' if spec.id_column else '"id"'
            raise GoldFileError(
                [f"No ID column: the file needs a column {wanted} saying which row each label belongs to, "
                 f"or choose it (--id-column). The columns are: {', '.join(columns)}."],
                path.name,
            )
    resolved, mapping_problems = _resolve_mapping([c for c in columns if c != found], spec, mapping)
    if mapping_problems:
        raise GoldFileError(mapping_problems, path.name)
    if not resolved:
        raise GoldFileError(
            [f"No column is named like a field ({', '.join(f.name for f in spec.fields)}); "
             f"map them by hand (--map FIELD=COLUMN). The columns are: {', '.join(columns)}."],
            path.name,
        )
    problems: list[GoldProblem] = []
    labels = _collect(table, table.frame[found].tolist(), spec, resolved, known_ids, problems, found)
    if not labels:
        raise GoldFileError([str(p) for p in problems] or ["No row has a label in the matched columns."], path.name)
    return GoldImport(labels, resolved, problems, found, table.layout.sheet, list(table.layout.sheets or []))


def gold_from_columns(table: Table, spec: JobSpec, mapping: dict[str, str]) -> GoldImport:
    """Gold labels already in columns of the job's own data file (``mapping``: field -> column)."""
    resolved, problems = _resolve_mapping(table.columns, spec, mapping, by_name=False)
    if problems or not resolved:
        raise GoldFileError(problems or ["Choose at least one column of hand-coded labels."], table.path.name)
    found: list[GoldProblem] = []
    ids = table.row_ids(spec.id_column).tolist()
    labels = _collect(table, ids, spec, resolved, None, found, spec.id_column)
    return GoldImport(labels, resolved, found, spec.id_column)

