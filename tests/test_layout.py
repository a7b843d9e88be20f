"""Spreadsheets as people make them: title rows, merged headers, notes sheets, overrides, doubtful layouts."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from app.core.data import (
    LoadOptions,
    Table,
    check_table,
    describe_findings,
    find_id_column,
    list_sheets,
    load_table,
)
from app.core.errors import DataError

SURVEY_ROWS = [
    ["Respondent", "Answer", "Age", "Remark"],
    ["r1", "Sehr gut,\nwirklich gut", "34", ""],
    ["r2", "", "45", "Señor Müller"],
    ["r2", "schlecht", "22", "ok"],
    ["r3", "naïve café", "51", ""],
]


def survey_csv(tmp_path: Path) -> Path:
    """A semicolon-separated Windows-1252 export with two title lines, a blank line, quoted line breaks,
    a blank answer and a duplicate respondent."""
    lines = ["Kundenumfrage 2024;;;", "Export vom 3.5.2024;;;", ""]
    for row in SURVEY_ROWS:
        lines.append(";".join(f'"{c}"' if "\n" in c or ";" in c else c for c in row))
    path = tmp_path / "survey.csv"
    path.write_bytes("\r\n".join(lines).encode("cp1252") + b"\r\n")
    return path


def survey_workbook(tmp_path: Path) -> Path:
    """A notes sheet first, then the data under a merged title and a two-row header with merged group cells."""
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["This workbook holds the customer survey of May 2024."])
    notes.append(["The answers are on the next sheet; ages are in years."])
    data = book.create_sheet("Answers")
    data.append(["Customer survey 2024"])
    data.merge_cells("A1:E1")
    data.append([])
    data.append(["Respondent", "Open answers", None, "Age", "Remark"])
    data.merge_cells("B3:C3")
    data.append([None, "Liked", "Disliked", None, None])
    data.append(["r1", "the staff", "the wait", 34, "x"])
    data.append(["r2", "prices", "", 45, ""])
    data.append(["r3", "", "parking", 51, "y"])
    path = tmp_path / "survey.xlsx"
    book.save(path)
    return path


def test_workbook_with_notes_sheet_title_row_and_merged_header(tmp_path: Path) -> None:
    table = load_table(survey_workbook(tmp_path))
    assert table.sheet == "Answers"
    assert table.layout.sheets == ["Notes", "Answers"] == list_sheets(table.path)
    assert table.columns == ["Respondent", "Open answers – Liked", "Open answers – Disliked", "Age", "Remark"]
    assert table.frame.to_numpy().tolist() == [
        ["r1", "the staff", "the wait", "34", "x"],
        ["r2", "prices", "", "45", ""],
        ["r3", "", "parking", "51", "y"],
    ]
    assert table.all_row_numbers().tolist() == [5, 6, 7]
    assert table.layout.header_row == 3
    notes = " ".join(table.layout.notes)
    assert '"Notes" does not look like a table' in notes and "row 1" in notes and "Rows 3 and 4" in notes
    assert not table.layout.doubtful
    assert [i.kind for i in check_table(table, "Respondent", ["Open answers – Liked"])] == ["blank_text"]


def test_semicolon_windows_1252_survey_with_title_lines(tmp_path: Path) -> None:
    table = load_table(survey_csv(tmp_path))
    assert (table.encoding, table.delimiter, table.layout.header_row) == ("cp1252", ";", 4)
    assert table.columns == SURVEY_ROWS[0]
    assert table.frame.to_numpy().tolist() == SURVEY_ROWS[1:]
    assert table.all_row_numbers().tolist() == [5, 6, 7, 8]  # as the file shows when opened in Excel
    assert "rows 1 and 2" in table.layout.notes[0]
    kinds = {i.kind: i.rows for i in check_table(table, "Respondent", ["Answer"])}
    assert kinds == {"duplicate_id": [6, 7], "blank_text": [6], "encoding": [8]}


def test_the_id_column_is_found_the_same_way_in_every_format(tmp_path: Path) -> None:
    assert find_id_column(load_table(survey_csv(tmp_path))) == "Respondent"
    assert find_id_column(load_table(survey_workbook(tmp_path))) == "Respondent"
    unnamed = tmp_path / "codes.csv"
    unnamed.write_text("code,text\nA-17,first answer\nB-02,second answer\n", encoding="utf-8")
    assert find_id_column(load_table(unnamed)) == "code"  # short distinct values without spaces
    texts = tmp_path / "texts.csv"
    texts.write_text("text,label\nhello there,a\nhello there,b\n", encoding="utf-8")
    assert find_id_column(load_table(texts)) is None


def test_header_row_encoding_and_delimiter_overrides(tmp_path: Path) -> None:
    path = survey_csv(tmp_path)
    table = load_table(path, options=LoadOptions(header_row=2))
    assert table.columns[0] == "Export vom 3.5.2024" and table.layout.header_row == 2
    assert table.layout.notes == ["The column names are taken from row 2, as chosen."]
    as_utf8 = load_table(path, options=LoadOptions(encoding="utf-8"))
    assert as_utf8.layout.encoding == "utf-8" and not as_utf8.encoding_guessed
    (issue,) = [i for i in check_table(as_utf8, "Respondent", ["Remark"]) if i.kind == "unreadable"]
    assert issue.rows == [6] and issue.blocking
    with pytest.raises(DataError, match="Row 5 .* has 2 values"):  # the comma inside row 5's answer
        load_table(path, options=LoadOptions(delimiter=",", header_row=4))
    with pytest.raises(DataError, match="not an encoding"):
        load_table(path, options=LoadOptions(encoding="klingon"))


def test_workbook_header_row_and_sheet_overrides(tmp_path: Path) -> None:
    path = survey_workbook(tmp_path)
    table = load_table(path, options=LoadOptions(header_row=4))
    assert table.columns[:3] == ["column A", "Liked", "Disliked"] and table.all_row_numbers().tolist() == [5, 6, 7]
    with pytest.raises(DataError, match="Row 40 .* cannot hold the column names"):
        load_table(path, options=LoadOptions(header_row=40))
    notes = load_table(path, "Notes")
    assert notes.sheet == "Notes" and notes.columns == ["This workbook holds the customer survey of May 2024."]


def test_a_first_row_of_numbers_is_a_doubtful_header(tmp_path: Path) -> None:
    path = tmp_path / "no_header.csv"
    path.write_text("1,4.5,2024\n2,3.0,2023\n3,1.5,2022\n", encoding="utf-8")
    table = load_table(path)
    assert table.layout.doubtful and "no row of column names" in table.layout.reasons[0]
    issues = check_table(table, None, [table.columns[1]])
    assert issues[0].kind == "layout" and not issues[0].blocking  # a warning, not "no problems"


def test_no_sheet_that_looks_like_a_table_is_doubtful(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Readme"
    book.active.append(["just one line of notes"])
    book.create_sheet("Other").append(["another note"])
    path = tmp_path / "notes.xlsx"
    book.save(path)
    with pytest.raises(DataError, match="no rows of data"):  # one line: a name and nothing under it
        load_table(path)
    book["Readme"].append(["a second line"])
    book.save(path)
    table = load_table(path)
    assert table.sheet == "Readme" and table.layout.doubtful and "No sheet looks clearly like a table" in table.layout.reasons[0]


def _xlsx_with_digits(tmp_path: Path, ids: list[str]) -> Path:
    """A workbook whose ID cells store the given digits, as some tools write them."""
    book = openpyxl.Workbook()
    book.active.append(["user_id", "text"])
    for i, _ in enumerate(ids):
        book.active.append([1.25 + i, f"text {i}"])
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    path = tmp_path / "ids.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                for i, digits in enumerate(ids):
                    content = content.replace(f"<v>{1.25 + i}</v>".encode(), f"<v>{digits}</v>".encode())
            target.writestr(item, content)
    return path


def test_twenty_digit_ids_stored_in_full_are_read_exactly(tmp_path: Path) -> None:
    ids = ["12345678901234567890", "12345678901234567891", "98765432109876543210"]
    table = load_table(_xlsx_with_digits(tmp_path, ids))
    assert table.frame["user_id"].tolist() == ids
    assert check_table(table, "user_id", ["text"]) == []


def test_ids_that_lost_their_digits_say_why_they_are_equal(tmp_path: Path) -> None:
    table = load_table(_xlsx_with_digits(tmp_path, ["1.234567890123457E+19", "1.234567890123457E+19"]))
    assert table.frame["user_id"].tolist() == ["12345678901234600000"] * 2  # digits, as Excel shows them
    (issue,) = check_table(table, "user_id", ["text"])
    assert issue.kind == "duplicate_id" and "15 digits" in issue.message and "e+19" not in issue.message


def test_random_bytes_and_folders_say_what_they_are(tmp_path: Path) -> None:
    import random

    noise = tmp_path / "noise.csv"
    noise.write_bytes(random.Random(4).randbytes(20_000))
    with pytest.raises(DataError, match="not a spreadsheet or a table of text"):
        load_table(noise)
    folder = tmp_path / "data.csv"
    folder.mkdir()
    with pytest.raises(DataError, match="is a folder, not a file"):
        load_table(folder)


def test_mixed_utf8_and_windows_1252_rows_are_named(tmp_path: Path) -> None:
    lines = [f"{i},Señor número {i}".encode() for i in range(1, 40)]
    lines[9] = "10,Señor from Excel".encode("cp1252")
    lines[29] = "30,Café crème".encode("cp1252")
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"id,text\n" + b"\n".join(lines) + b"\n")
    table = load_table(path)
    assert table.encoding == "utf-8"
    (issue,) = check_table(table, "id", ["text"])
    assert (issue.kind, issue.rows, issue.blocking) == ("unreadable", [11, 31], True)
    assert "rows 11 and 31" in issue.message


def test_findings_in_words_for_the_command_line(tmp_path: Path) -> None:
    table: Table = load_table(survey_csv(tmp_path))
    lines = describe_findings(table, "Respondent", ["Answer"])
    assert lines[0].startswith("The column names were taken from row 4")
    assert any(line.startswith("Problem: ") and "more than once" in line for line in lines)
    assert any(line.startswith("Warning: ") and "no text" in line for line in lines)


def test_one_utf8_row_and_one_windows_1252_row_stop_with_the_row_and_its_id(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_bytes("id,text\nR1,Señor\n".encode() + "R2,Señor\n".encode("cp1252"))
    table = load_table(path)
    assert table.encoding == "utf-8" and table.frame["text"].tolist() == ["Señor", "Se\ufffdor"]
    (issue,) = check_table(table, "id", ["text"])
    assert issue.kind == "unreadable" and issue.blocking and "row 3 (ID R2)" in issue.message
