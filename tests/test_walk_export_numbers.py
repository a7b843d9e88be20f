"""Coded numbers keep their value and their plain written form in every export, whatever else
their chunk of rows holds: 10^12 is written 1000000000000 beside fractions too (never 1e+12),
an integer past 2^53 keeps its last digit, and pandas reads every cell back as the same number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import app.core.results.export as export_module
from app.core.results.cells import number_text
from tests.test_export import coded, job, read_csv

#: (value the model gave, as stored) → the cell a CSV export must hold.
NUMBERS: list[tuple[Any, str]] = [
    (1e12, "1000000000000"),
    (10**12, "1000000000000"),
    (0.30000000000000004, "0.30000000000000004"),
    (-0.0, "0"),
    (1e-7, "0.0000001"),
    (9007199254740993, "9007199254740993"),  # 2^53 + 1: a double would drop the last digit
    (1e20, "100000000000000000000"),
    (2.5, "2.5"),
    (-12.75, "-12.75"),
    (1.2345678901234568e17, "123456789012345680"),
    (123456789012345678901, "123456789012345678901"),  # past 64 bits
]
COLUMNS = {"id": [f"u{i}" for i in range(len(NUMBERS))], "text": ["t"] * len(NUMBERS)}


def records(odd_row: bool) -> list[dict[str, Any]]:
    """Every number as a coded score; ``odd_row`` gives one row a text score (the row-by-row path)."""
    rows = [coded(f"u{i}", tone="good", count=1, score=value) for i, (value, _) in enumerate(NUMBERS)]
    if odd_row:
        rows.append(coded("odd", tone="good", count=1, score="n/a"))
    return rows


@pytest.mark.parametrize("chunk", [1, 2, 3, 50_000])
@pytest.mark.parametrize("odd_row", [False, True])
@pytest.mark.parametrize("for_excel", [False, True])
def test_csv_numbers_are_written_plainly_whatever_their_chunk_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, odd_row: bool, for_excel: bool
) -> None:
    columns = {k: v + (["odd"] if k == "id" else ["t"]) * odd_row for k, v in COLUMNS.items()}
    stored, spec, table = job(tmp_path, columns, records(odd_row))
    monkeypatch.setattr(export_module, "CHUNK", chunk)
    path = tmp_path / "out.csv"
    export_module.export_rows(stored, "j", spec, table, path, csv_for_excel=for_excel, separator=";" if for_excel else None)
    rows = read_csv(path, ";" if for_excel else ",", "utf-8-sig")
    score = rows[0].index("score")
    mark = "," if for_excel else "."  # the separator ";" goes with a decimal comma
    assert [r[score] for r in rows[1 : len(NUMBERS) + 1]] == [text.replace(".", mark) for _, text in NUMBERS]
    read_back = pd.read_csv(path, sep=";" if for_excel else ",", encoding="utf-8-sig", dtype={"score": str})
    for (value, _), cell in zip(NUMBERS, read_back["score"], strict=False):
        assert json.loads(cell.replace(",", ".")) == value  # the same number, digit for digit


def test_number_text_reads_back_as_the_same_number() -> None:
    for value, text in NUMBERS:
        assert number_text(value) == text
        assert float(text) == float(value)
    assert number_text(1e300) == "1" + "0" * 300
    assert number_text(5e-324) == "0." + "0" * 323 + "5"


@pytest.mark.parametrize("odd_row", [False, True])
def test_excel_keeps_every_digit_of_whole_numbers_longer_than_it_holds(tmp_path: Path, odd_row: bool) -> None:
    """Excel keeps 15 significant digits: 9007199254740993 would open as 9007199254740990. Such a
    number is written as text (and counted); numbers Excel holds stay numbers."""
    import openpyxl

    values = [9007199254740993, 1234567890123456, 1e12, 0.5, 1e20, -1234567890123456, 10**15, 123456789012345]
    ids = [f"u{i}" for i in range(len(values))] + ["odd"] * odd_row
    rows = [coded(i, tone="good", count=1, score=v) for i, v in zip(ids, values)]
    rows += [coded("odd", tone="good", count=1, score="n/a")] * odd_row
    stored, spec, table = job(tmp_path, {"id": ids, "text": ["t"] * len(ids)}, rows)
    summary = export_module.export_rows(stored, "j", spec, table, tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(summary.path).active
    score = [c.value for c in sheet[1]].index("score")
    cells = [row[score] for row in sheet.iter_rows(min_row=2, max_row=len(values) + 1, values_only=True)]
    assert cells == ["9007199254740993", "1234567890123456", 1000000000000, 0.5, 1e20, "-1234567890123456", 10**15, 123456789012345]
    assert summary.numbers_as_text == 3
    assert any("3 whole number(s) had more than Excel's 15 digits and were written as text" in note for note in summary.notes)


@pytest.mark.parametrize("odd_row", [False, True])
def test_csv_for_excel_writes_the_decimal_mark_of_its_separator(tmp_path: Path, odd_row: bool) -> None:
    """Where the list separator is ";" the decimal mark is a comma: Excel there reads "1.5" as a
    date (1 May) and "0.75" as text, so coded numbers are written "1,5" — never with an apostrophe."""
    values = [1.5, 0.75, -12.75, 10**12, 1e-7, 3]
    ids = [f"u{i}" for i in range(len(values))] + ["odd"] * odd_row
    rows = [coded(i, tone="good", count=1, score=v) for i, v in zip(ids, values)]
    rows += [coded("odd", tone="good", count=1, score="n/a")] * odd_row
    stored, spec, table = job(tmp_path, {"id": ids, "text": ["t"] * len(ids)}, rows)
    comma = ["1,5", "0,75", "-12,75", "1000000000000", "0,0000001", "3"]
    for decimal_mark, expected in ((None, comma), (",", comma), (".", [number_text(v) for v in values])):
        path = tmp_path / f"out-{decimal_mark}.csv"
        summary = export_module.export_rows(stored, "j", spec, table, path, csv_for_excel=True, separator=";", decimal_mark=decimal_mark)
        rows_read = read_csv(path, ";", "utf-8-sig")
        score = rows_read[0].index("score")
        assert [r[score] for r in rows_read[1 : len(values) + 1]] == expected
        assert summary.cells_neutralised == 0
    plain = tmp_path / "plain.csv"
    export_module.export_rows(stored, "j", spec, table, plain, decimal_mark=",")  # plain CSV is for R and pandas: always a point
    assert read_csv(plain)[1][read_csv(plain)[0].index("score")] == "1.5"
