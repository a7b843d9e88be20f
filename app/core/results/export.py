"""Export a job's coded rows next to the input columns, as CSV or Excel.

Rows are joined to the input by ID (checked chunk by chunk, never assumed from order). Added
columns get names that cannot collide with the input's, and any text cell that a spreadsheet
would run as a formula is neutralised with a leading apostrophe.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from app.core.data import Table
from app.core.errors import DataError
from app.core.spec import JobSpec

if TYPE_CHECKING:
    from app.core.run.engine import Engine

CHUNK = 50_000
EXCEL_MAX_ROWS = 1_048_575
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value: Any) -> Any:
    """Make a text cell safe to open in a spreadsheet (numbers such as -3.5 stay as they are)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


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


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _chunk_frame(engine: Engine, job_id: str, table: Table, start: int, ids: list[str], names: tuple[dict[str, str], str, str]) -> pd.DataFrame:
    field_cols, status_col, reason_col = names
    stored = engine.store.rows(job_id, None, start, len(ids))
    if [r["row_id"] for r in stored] != ids:
        raise DataError(
            "The job's rows no longer match its data file, so the results cannot be joined safely.",
            "The copy of the data in the job folder was changed or replaced; restore it and export again.",
        )
    frame = table.frame.iloc[start : start + len(ids)].copy()
    values = [json.loads(r["values_json"]) if r["values_json"] and r["status"] == "coded" else {} for r in stored]
    for field, column in field_cols.items():
        frame[column] = [_cell(v.get(field)) for v in values]
    frame[status_col] = [r["status"] for r in stored]
    frame[reason_col] = [r["reason"] for r in stored]
    return frame.map(neutralise)


def export_rows(engine: Engine, job_id: str, spec: JobSpec, table: Table, path: Path, *, excel_bom: bool = False) -> Path:
    """Write the export; ``excel_bom`` adds a UTF-8 byte-order mark so Excel reads accents right."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise DataError(f'Cannot export to "{path.name}".', "Choose a file name ending in .csv or .xlsx.")
    if suffix == ".xlsx" and len(table) > EXCEL_MAX_ROWS:
        raise DataError(f"Excel holds at most {EXCEL_MAX_ROWS:,} rows; this job has {len(table):,}.", "Export to .csv instead.")
    names = output_columns(spec, table.columns)
    all_ids = table.row_ids(spec.id_column).tolist()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    chunks = (
        _chunk_frame(engine, job_id, table, start, all_ids[start : start + CHUNK], names)
        for start in range(0, len(all_ids), CHUNK)
    )
    if suffix == ".csv":
        encoding = "utf-8-sig" if excel_bom else "utf-8"
        with partial.open("w", encoding=encoding, newline="") as handle:
            for i, chunk in enumerate(chunks):
                chunk.to_csv(handle, index=False, header=i == 0)
    else:
        pd.concat(list(chunks)).to_excel(partial, index=False, engine="openpyxl")
    partial.replace(path)
    return path
