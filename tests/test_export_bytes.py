"""Exports stay byte for byte what they were when the speed work began (issue 11).

The fixtures under ``tests/data/export_bytes/`` were written by the export before the job
history was read in bulk: the same job, kept in a real job history (SQLite), must export to the
same CSV bytes (plain, and "CSV for Excel" with its byte-order mark, separator and apostrophes)
and to an Excel sheet with the same cells of the same types, whether the rows are read in one
page or in pages of three, whether Arrow can type the coded fields (the fast path) or not (mixed
kinds, NaN: parsed row by row). Regenerate only on purpose: ``python tests/test_export_bytes.py``.
Also here: the bulk read of a page of rows; a page read ahead that no longer matches the data, and
Cancel, stop the export without leaving a file or a reading thread behind.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data" / "export_bytes"

TEXTS = [
    "plain", "@user36082", "-3", "=1+1", "+49 30 1234", "lone\rreturn", "crlf\r\nand lf\n", 'quote " ; ,',
    "emoji 😀 𝒳 ☃", "", "tab\tinside", "vertical\x0btab", "  spaced  ", "& <tag> >",
]  # fmt: skip
#: Row outcomes by position: coded values of every kind, and each status without values.
OUTCOMES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("coded", "", {"tone": "good", "count": 3.0, "score": 0.5, "sarcastic": True, "topics": ["a", "b"]}),
    ("coded", "", {"tone": "bad", "count": 2, "score": -1.25, "sarcastic": False, "topics": []}),
    ("invalid", "the text is blank, so it was not sent", None),
    ("coded", "", {"tone": "=HYPERLINK(\"x\")", "count": 0, "score": 3, "sarcastic": False, "topics": ["c"]}),
    ("failed", 'refused: "policy"\nline two', None),
    ("coded", "", {"tone": "-", "count": -7, "score": 1e-05, "sarcastic": True, "topics": ["x; y"]}),
    ("missing", "no answer came back for this row", None),
    ("coded", "", {"tone": "mixed", "count": 10**12, "score": 123456.789, "sarcastic": None, "topics": None}),
    ("pending", "", None),
    ("coded", "", {"tone": "good", "count": 1, "score": 2.0}),
    ("coded", "", {"tone": "emoji 😀\r\n", "count": 4, "score": 0.1, "sarcastic": False, "topics": ["é"]}),
    ("invalid", "score: 11 is above the maximum 10", None),
    ("coded", "", {}),
    ("coded", "", {"tone": "bad", "count": 5, "score": 9.75, "sarcastic": True, "topics": ["a"]}),
]  # fmt: skip
#: Fields Arrow cannot type the same in every row, and a NaN: the row-by-row path.
MIXED = {0: {"tone": 5, "score": 1}, 1: {"tone": "bad", "score": "n/a"}, 3: {"tone": {"odd": 1}, "score": math.nan}}
CASES = {
    "plain.csv": {},
    "excel.csv": {"csv_for_excel": True, "separator": ";"},
    "protected.csv": {"neutralise_formulas": True},
    "sheet.xlsx": {},
    "raw.xlsx": {"neutralise_formulas": False},
}


def make_job(folder: Path, mixed: bool) -> tuple[Any, Any, Any]:
    """(reader, spec, table) of a job kept in a real job history."""
    import pandas as pd

    from app.core.data import Table
    from app.core.run.store import Store, row_record
    from app.core.spec import FieldSpec, JobSpec

    ids = [f"u{i:02d}" for i in range(len(TEXTS))]
    data = folder / "input.csv"
    columns = {"id": ids, "text": TEXTS, "age": [str(20 + i) if i % 4 else "" for i in range(len(TEXTS))],
               "code": ["007" if i == 5 else str(i) for i in range(len(TEXTS))]}  # fmt: skip
    frame = pd.DataFrame(columns, dtype="str")
    frame.to_csv(data, index=False)
    spec = JobSpec(
        name="t", data=data, instructions="x", input_template="{text}", id_column="id",
        fields=[FieldSpec("tone", "category", choices=["good", "bad"]), FieldSpec("count", "integer"),
                FieldSpec("score", "number"), FieldSpec("sarcastic", "boolean"), FieldSpec("topics", "list")],
    )  # fmt: skip
    store = Store(folder / "history.sqlite3")
    store.add_job({"id": "j", "name": "t", "provider": "openai", "model": "m", "endpoint": "chat", "state": "done",
                   "folder": str(folder), "rows_total": len(ids)})  # fmt: skip
    store.add_rows("j", ((rid, pos) for pos, rid in enumerate(ids)))
    records = []
    for position, (rid, (status, reason, values)) in enumerate(zip(ids, OUTCOMES, strict=True)):
        if mixed and position in MIXED:
            values = MIXED[position]
        records.append(row_record(rid, status, reason, values_json=None if values is None else json.dumps(values)))
    store.set_rows("j", records)
    return Reader(store), spec, Table(frame, data)


class Reader:
    """The engine's read of a job's rows, over a bare job history (no keys, no providers)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def row_page(self, job_id: str, offset: int, limit: int) -> Any:
        from app.core.run.engine import Engine

        return Engine.row_page(self, job_id, offset, limit)  # type: ignore[arg-type]


def export(folder: Path, name: str, mixed: bool) -> tuple[Path, dict[str, Any]]:
    """The exported file and its summary's figures."""
    from app.core.results.export import export_rows

    reader, spec, table = make_job(folder, mixed)
    extra = {"tone__agreement": {"u00": 0.5, "u03": 1, "u07": True}}
    summary = export_rows(reader, "j", spec, table, folder / name, extra_columns=extra, **CASES[name])
    figures = {"rows": summary.rows, "neutralised": summary.cells_neutralised, "cut": summary.cells_cut,
               "cleaned": summary.cells_cleaned, "notes": summary.notes}  # fmt: skip
    return summary.path, figures


def sheet_cells(path: Path) -> list[list[Any]]:
    """Every cell of the first sheet with its type: numbers stay numbers, texts stay texts."""
    import openpyxl

    sheet = openpyxl.load_workbook(path).active
    return [[[type(v).__name__, v] for v in row] for row in sheet.iter_rows(values_only=True)]


#: (file, mixed kinds, rows per page): every case in one page, and the main ones in pages of three.
RUNS = [(name, mixed, 50_000) for name in CASES for mixed in (False, True)]
RUNS += [(name, mixed, 3) for name in ("plain.csv", "sheet.xlsx") for mixed in (False, True)]


def fixture_name(name: str, mixed: bool, chunk: int) -> str:
    return f"{'mixed' if mixed else 'typed'}{'-paged' if chunk == 3 else ''}-{name}"


def run_case(folder: Path, name: str, mixed: bool, chunk: int) -> tuple[Path, dict[str, Any]]:
    import app.core.results.export as export_module

    saved, export_module.CHUNK = export_module.CHUNK, chunk
    try:
        return export(folder, name, mixed)
    finally:
        export_module.CHUNK = saved


@pytest.mark.parametrize(("name", "mixed", "chunk"), RUNS)
def test_export_is_unchanged(tmp_path: Path, name: str, mixed: bool, chunk: int) -> None:
    path, figures = run_case(tmp_path, name, mixed, chunk)
    fixture = FIXTURES / fixture_name(name, mixed, chunk)
    expected = json.loads(fixture.with_name(fixture.name + ".json").read_text(encoding="utf-8"))
    assert figures == expected["summary"]
    if path.suffix == ".csv":
        assert path.read_bytes() == fixture.read_bytes()
    else:
        assert sheet_cells(path) == expected["cells"]


def test_a_page_is_read_a_column_at_a_time(tmp_path: Path) -> None:
    from app.core.run.summary import read_row_page

    reader, _, _ = make_job(tmp_path, mixed=False)
    page = read_row_page(reader.store, "j", 3, 4)
    assert page.row_ids == ["u03", "u04", "u05", "u06"]
    assert page.statuses == ["coded", "failed", "coded", "missing"]
    assert page.reasons == ["", 'refused: "policy"\nline two', "", "no answer came back for this row"]
    lines = page.values.split(b"\n")
    assert [json.loads(line) for line in lines] == [OUTCOMES[3][2], {}, OUTCOMES[5][2], {}]
    assert read_row_page(reader.store, "j", 12, 50).row_ids == ["u12", "u13"]
    assert read_row_page(reader.store, "j", 14, 50).values == b""


@pytest.mark.parametrize("name", ["plain.csv", "sheet.xlsx"])
def test_a_later_page_that_does_not_match_the_data_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    import app.core.results.export as export_module
    from app.core.errors import DataError

    reader, spec, table = make_job(tmp_path, mixed=False)
    reader.store.db.execute("UPDATE rows SET row_id = 'elsewhere' WHERE job_id = 'j' AND row_id = 'u10'")
    monkeypatch.setattr(export_module, "CHUNK", 3)
    with pytest.raises(DataError, match="no longer match"):
        export_module.export_rows(reader, "j", spec, table, tmp_path / name)
    assert not (tmp_path / name).exists() and not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("name", ["plain.csv", "sheet.xlsx"])
def test_cancel_stops_the_reading_ahead_and_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    import threading

    import app.core.results.export as export_module
    from app.core.errors import CancelledError

    reader, spec, table = make_job(tmp_path, mixed=False)
    monkeypatch.setattr(export_module, "CHUNK", 3)
    threads = threading.active_count()
    with pytest.raises(CancelledError):
        export_module.export_rows(reader, "j", spec, table, tmp_path / name, progress=lambda done, total: done < 6)
    assert threading.active_count() == threads  # no reader thread left behind
    assert not (tmp_path / name).exists() and not list(tmp_path.glob(".*.part"))


def regenerate() -> None:
    import tempfile

    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, mixed, chunk in RUNS:
        fixture = FIXTURES / fixture_name(name, mixed, chunk)
        with tempfile.TemporaryDirectory() as tmp:
            path, figures = run_case(Path(tmp), name, mixed, chunk)
            record: dict[str, Any] = {"summary": figures}
            if path.suffix == ".csv":
                fixture.write_bytes(path.read_bytes())
            else:
                record["cells"] = sheet_cells(path)
            text = json.dumps(record, ensure_ascii=False)
            fixture.with_name(fixture.name + ".json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    regenerate()
