"""Exports say what they change: formulas, numbers, booleans, long and unsafe cells, separators, failures."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from app.core.data import Table
from app.core.data.provenance import file_sha256
from app.core.errors import CancelledError, DataError, StorageError
from app.core.results.cells import EXCEL_MAX_CHARS, list_separator
from app.core.results.export import ExportSummary, export_rows
from app.core.run.summary import RowPage
from app.core.spec import FieldSpec, JobSpec


class Stored:
    """The stored rows of one job, as the engine's ``row_page`` reads them."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def row_page(self, job_id: str, offset: int, limit: int) -> RowPage:
        part = self.records[offset : offset + limit]
        values = [r["values_json"] if r["status"] == "coded" and r["values_json"] else "{}" for r in part]
        return RowPage([r["row_id"] for r in part], [r["status"] for r in part], [r["reason"] for r in part], "\n".join(values).encode())


def coded(row_id: str, **values: Any) -> dict[str, Any]:
    return {"row_id": row_id, "status": "coded", "reason": "", "values_json": json.dumps(values)}


def job(tmp_path: Path, columns: dict[str, list[str]], records: list[dict[str, Any]], id_column: str = "id") -> tuple[Stored, JobSpec, Table]:
    data = tmp_path / "input.csv"
    pd.DataFrame(columns, dtype="str").to_csv(data, index=False)
    spec = JobSpec(
        name="t", data=data, instructions="x", input_template="{text}", id_column=id_column,
        fields=[FieldSpec("tone", "category", choices=["good", "bad"]), FieldSpec("count", "integer"),
                FieldSpec("score", "number"), FieldSpec("sarcastic", "boolean"), FieldSpec("topics", "list")],
    )  # fmt: skip
    table = Table(pd.DataFrame(columns, dtype="str"), data)
    return Stored(records), spec, table


TRICKY = {
    "id": ["u1", "u2", "u3", "u4"],
    "text": ["@user36082", "-3", "=1+1", "+49 30 1234"],
    "age": ["34", "", "51", "7"],
    "code": ["007", "12", "1e5", "3"],
}
RECORDS = [
    coded("u1", tone="good", count=3.0, score=0.5, sarcastic=True, topics=["a", "b"]),
    coded("u2", tone="bad", count=2, score=-1.25, sarcastic=False, topics=[]),
    {"row_id": "u3", "status": "invalid", "reason": "the text is blank, so it was not sent", "values_json": None},
    coded("u4", tone="=HYPERLINK(\"x\")", count=0, score=3, sarcastic=False, topics=["c"]),
]


def read_csv(path: Path, separator: str = ",", encoding: str = "utf-8") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle, delimiter=separator))


def test_plain_csv_keeps_every_cell_as_it_is(tmp_path: Path) -> None:
    stored, spec, table = job(tmp_path, TRICKY, RECORDS)
    summary = export_rows(stored, "j", spec, table, tmp_path / "out.csv")
    assert (summary.format, summary.rows, summary.cells_neutralised, summary.separator) == ("csv", 4, 0, ",")
    assert "not neutralised" in summary.notes[0]
    rows = read_csv(summary.path)
    assert rows[0] == ["id", "text", "age", "code", "tone", "count", "score", "sarcastic", "topics", "batchlab_status", "batchlab_reason"]
    assert [r[1] for r in rows[1:]] == TRICKY["text"]  # no apostrophes in plain CSV
    assert rows[1][4:9] == ["good", "3", "0.5", "yes", "a; b"]  # booleans as the window shows them, 3.0 as 3
    assert rows[3][4:] == ["", "", "", "", "", "invalid", "the text is blank, so it was not sent"]
    assert not summary.path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_csv_for_excel_neutralises_formulas_but_not_numbers(tmp_path: Path) -> None:
    stored, spec, table = job(tmp_path, TRICKY, RECORDS)
    summary = export_rows(stored, "j", spec, table, tmp_path / "out.csv", csv_for_excel=True, separator=";")
    assert summary.path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_csv(summary.path, ";", "utf-8-sig")
    assert [r[1] for r in rows[1:]] == ["'@user36082", "-3", "'=1+1", "'+49 30 1234"]
    assert rows[2][6] == "-1,25" and rows[4][4] == "'=HYPERLINK(\"x\")"  # ";" goes with a decimal comma
    assert summary.cells_neutralised == 4 and summary.notes[0].startswith("4 text cells")


def test_neutralising_is_an_explicit_option(tmp_path: Path) -> None:
    stored, spec, table = job(tmp_path, TRICKY, RECORDS)
    on = export_rows(stored, "j", spec, table, tmp_path / "on.csv", neutralise_formulas=True)
    assert [r[1] for r in read_csv(on.path)[1:]] == ["'@user36082", "-3", "'=1+1", "'+49 30 1234"]
    off = export_rows(stored, "j", spec, table, tmp_path / "off.xlsx", neutralise_formulas=False)
    sheet = openpyxl.load_workbook(off.path).active
    assert [sheet.cell(r, 2).value for r in range(2, 6)] == ["@user36082", "-3", "=1+1", "+49 30 1234"]
    assert all(sheet.cell(r, 2).data_type != "f" for r in range(2, 6))  # text, never a formula
    assert off.cells_neutralised == 0


def test_excel_keeps_numbers_as_numbers_and_booleans_as_shown(tmp_path: Path) -> None:
    stored, spec, table = job(tmp_path, TRICKY, RECORDS)
    summary = export_rows(stored, "j", spec, table, tmp_path / "out.xlsx")
    rows = list(openpyxl.load_workbook(summary.path).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("id", "text", "age", "code")
    assert [r[2] for r in rows[1:]] == [34, None, 51, 7]  # a numeric input column stays numeric
    assert [r[3] for r in rows[1:]] == ["007", "12", "1e5", "3"]  # "007" would lose its zeros: all text
    assert rows[1][4:9] == ("good", 3, 0.5, "yes", "a; b") and isinstance(rows[1][5], int)
    assert rows[2][5:8] == (2, -1.25, "no")
    assert rows[3][4:9] == (None,) * 5  # a row without results stays blank, not 1.0 or "nan"
    assert [r[1] for r in rows[1:]] == ["'@user36082", "-3", "'=1+1", "'+49 30 1234"]  # a text column stays text
    assert summary.cells_neutralised == 4


def test_csv_round_trips_line_breaks_quotes_and_non_bmp_text(tmp_path: Path) -> None:
    texts = ["lone\rcarriage return", "=1+1 after\r=2+2", "crlf\r\nand lf\n", 'quote " and ; and ,', "emoji 😀 𝒳 ☃", ""]
    columns = {"id": [f"r{i}" for i in range(len(texts))], "text": texts}
    records = [coded(f"r{i}", tone=t) for i, t in enumerate(texts)]
    for separator in (",", ";"):
        stored, spec, table = job(tmp_path, columns, records)
        summary = export_rows(stored, "j", spec, table, tmp_path / "round.csv", separator=separator, csv_for_excel=separator == ";", neutralise_formulas=False)
        rows = read_csv(summary.path, separator, "utf-8-sig")
        assert len(rows) == len(texts) + 1
        assert [r[1] for r in rows[1:]] == texts and [r[2] for r in rows[1:]] == texts


def test_xlsx_cleans_control_characters_and_cuts_long_cells_with_a_note(tmp_path: Path) -> None:
    long = "x" * (EXCEL_MAX_CHARS + 100)
    columns = {"id": ["a", "b"], "text": ["vertical\x0btab and \x01 bell", long]}
    stored, spec, table = job(tmp_path, columns, [coded("a", tone="ok\x0c"), coded("b", tone="fine")])
    summary = export_rows(stored, "j", spec, table, tmp_path / "out.xlsx")
    assert (summary.cells_cleaned, summary.cells_cut) == (2, 1)
    assert any("control characters" in n for n in summary.notes) and any("32,767" in n for n in summary.notes)
    rows = list(openpyxl.load_workbook(summary.path).active.iter_rows(values_only=True))
    assert rows[1][1] == "vertical\ufffdtab and \ufffd bell" and rows[1][2] == "ok\ufffd"
    assert len(rows[2][1]) == EXCEL_MAX_CHARS and rows[2][1].endswith(f"[…cut: {len(long):,} characters in all]")
    whole = export_rows(stored, "j", spec, table, tmp_path / "whole.csv")
    assert read_csv(whole.path)[2][1] == long and whole.cells_cut == whole.cells_cleaned == 0


def test_extra_columns_get_names_that_do_not_collide(tmp_path: Path) -> None:
    stored, spec, table = job(tmp_path, {"id": ["a", "b"], "text": ["x", "y"], "quote_ok": ["1", "2"]}, [coded("a"), coded("b")])
    extra = {"quote_ok": {"a": True, "b": False}, "tone__agreement": {"a": 0.5}}
    summary = export_rows(stored, "j", spec, table, tmp_path / "out.csv", extra_columns=extra)
    rows = read_csv(summary.path)
    assert rows[0][-2:] == ["quote_ok_2", "tone__agreement"]
    assert [r[-2:] for r in rows[1:]] == [["yes", "0.5"], ["no", ""]]


def test_progress_reaches_the_end_and_can_stop_the_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.core.results.export as export

    monkeypatch.setattr(export, "CHUNK", 2)
    stored, spec, table = job(tmp_path, TRICKY, RECORDS)
    seen: list[tuple[int, int]] = []
    export_rows(stored, "j", spec, table, tmp_path / "out.csv", progress=lambda d, t: seen.append((d, t)))
    assert seen == [(0, 4), (2, 4), (4, 4)]
    for kind in ("csv", "xlsx"):
        target = tmp_path / f"stopped.{kind}"
        with pytest.raises(CancelledError):
            export_rows(stored, "j", spec, table, target, progress=lambda d, t: d < 2)
        with pytest.raises(CancelledError):
            export_rows(stored, "j", spec, table, target, should_cancel=lambda: True)
        assert not target.exists() and list(tmp_path.glob("*.part")) == [] and list(tmp_path.glob(".*.part")) == []


def test_a_failed_export_leaves_no_file_and_says_why(tmp_path: Path) -> None:
    stored, spec, table = job(tmp_path, TRICKY, RECORDS)
    folder = tmp_path / "x.csv"
    folder.mkdir()
    with pytest.raises(StorageError, match="is a folder, not a file"):
        export_rows(stored, "j", spec, table, folder)
    blocker = tmp_path / "plain-file"
    blocker.write_text("in the way")
    with pytest.raises(StorageError, match="Cannot write the export file") as caught:
        export_rows(stored, "j", spec, table, blocker / "out.csv")
    assert caught.value.hint and "Errno" not in caught.value.message
    with pytest.raises(DataError, match="Cannot export"):
        export_rows(stored, "j", spec, table, tmp_path / "out.json")
    broken = Stored(RECORDS[:2] + [coded("other"), RECORDS[3]])
    with pytest.raises(DataError, match="no longer match"):
        export_rows(broken, "j", spec, table, tmp_path / "bad.xlsx")
    assert not (tmp_path / "bad.xlsx").exists() and not list(tmp_path.rglob("*.part"))
    assert list(folder.iterdir()) == []


def test_a_changed_copy_of_the_data_is_reported(tmp_path: Path) -> None:
    stored, spec, table = job(tmp_path, TRICKY, RECORDS)
    record = {"file": spec.data.name, "bytes": spec.data.stat().st_size, "sha256": file_sha256(spec.data)}
    same = export_rows(stored, "j", spec, table, tmp_path / "a.csv", data_record=record)
    assert not any("changed" in n for n in same.notes)
    spec.data.write_text(spec.data.read_text() + "u5,new,1,1\n")
    changed = export_rows(stored, "j", spec, table, tmp_path / "b.csv", data_record=record)
    assert any("was changed after the requests were built" in n for n in changed.notes)


def test_summary_is_a_path_for_callers_that_open_it(tmp_path: Path) -> None:
    stored, spec, table = job(tmp_path, TRICKY, RECORDS)
    summary = export_rows(stored, "j", spec, table, tmp_path / "out.csv")
    assert isinstance(summary, ExportSummary) and Path(summary) == tmp_path / "out.csv"


def test_row_numbers_of_a_table_do_not_change_the_join(tmp_path: Path) -> None:
    stored, spec, table = job(tmp_path, TRICKY, RECORDS)
    table.row_numbers = np.array([5, 6, 8, 9])
    rows = read_csv(export_rows(stored, "j", spec, table, tmp_path / "out.csv").path)
    assert [r[0] for r in rows[1:]] == TRICKY["id"]


@pytest.mark.parametrize(("name", "separator"), [("de_DE", ";"), ("fr_FR.UTF-8", ";"), ("pt_BR", ";"), ("en_US", ","), ("de_CH", ","), ("", ",")])
def test_list_separator_follows_the_decimal_mark(name: str, separator: str) -> None:
    assert list_separator(name) == separator


def test_csv_for_excel_takes_the_locale_separator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    stored, spec, table = job(tmp_path, TRICKY, RECORDS)
    summary = export_rows(stored, "j", spec, table, tmp_path / "out.csv", csv_for_excel=True)
    assert summary.separator == ";" and read_csv(summary.path, ";", "utf-8-sig")[1][0] == "u1"


def test_xlsx_reads_back_in_batchlab_and_pandas(tmp_path: Path) -> None:
    from app.core.data import load_table

    texts = ["line\r\nbreak & <tag>", "emoji 😀 𝒳", "  spaced  ", "=1+1"]
    columns = {"id": ["a", "b", "c", "d"], "text": texts}
    stored, spec, table = job(tmp_path, columns, [coded(i, count=n) for n, i in enumerate(columns["id"])])
    summary = export_rows(stored, "j", spec, table, tmp_path / "out.xlsx", neutralise_formulas=False)
    again = load_table(summary.path)
    assert again.sheet == "Export" and again.frame["text"].tolist() == texts
    assert pd.read_excel(summary.path, engine="openpyxl")["count"].tolist() == [0, 1, 2, 3]


def test_csv_fields_of_every_kind_and_mixed_kinds(tmp_path: Path) -> None:
    columns = {"id": ["a", "b", "c"], "text": ["x", "y", "z"]}
    same_kind = [
        coded("a", tone="good", count=2, score=3.0, sarcastic=True, topics=[1, 2]),
        coded("b", tone="bad", count=5, score=0.25, sarcastic=False, topics=[]),
        {"row_id": "c", "status": "failed", "reason": "refused", "values_json": None},
    ]
    mixed = [coded("a", tone=5, score=1), coded("b", tone="bad", score="n/a"), coded("c", tone={"odd": 1})]
    expected = {
        "same": [["good", "2", "3", "yes", "1; 2"], ["bad", "5", "0.25", "no", ""], ["", "", "", "", ""]],
        "mixed": [["5", "", "1", "", ""], ["bad", "", "n/a", "", ""], ["{'odd': 1}", "", "", "", ""]],
    }
    for name, records in (("same", same_kind), ("mixed", mixed)):
        stored, spec, table = job(tmp_path, columns, records)
        rows = read_csv(export_rows(stored, "j", spec, table, tmp_path / f"{name}.csv").path)
        assert [r[2:7] for r in rows[1:]] == expected[name], name
