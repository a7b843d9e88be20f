"""Data import: encodings, delimiters, exact text values, spreadsheets, errors, progress, and checks."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import app.core.data.sheets as sheets
import app.core.data.text as text_files
from app.core.data import (
    SUPPORTED_SUFFIXES,
    DataIssue,
    Table,
    check_table,
    list_sheets,
    load_table,
)
from app.core.errors import CancelledError, DataError


def write(tmp_path: Path, content: str | bytes, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def cells(table: Table) -> list[list[str]]:
    return table.frame.to_numpy().tolist()


def error_of(path: Path, **kwargs: object) -> DataError:
    with pytest.raises(DataError) as caught:
        load_table(path, **kwargs)  # type: ignore[arg-type]
    assert caught.value.hint  # every error says what to do
    return caught.value


def workbook(tmp_path: Path, sheets: dict[str, list[list[object]]], name: str = "data.xlsx") -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


# ------------------------------------------------------------------------------------------
# Values stay text exactly as written


def test_values_stay_exactly_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, 'id,text,other\n007,NA,null\n0012,"  spaced  ",N/A\n1e5,,TRUE\n-0,"",#N/A\n')
    table = load_table(path)
    assert table.columns == ["id", "text", "other"]
    assert cells(table) == [
        ["007", "NA", "null"],
        ["0012", "  spaced  ", "N/A"],
        ["1e5", "", "TRUE"],
        ["-0", "", "#N/A"],
    ]
    assert not table.frame.isna().any().any()
    assert all(isinstance(v, str) for v in table.frame.to_numpy().ravel())
    assert (table.encoding, table.delimiter, table.sheet, len(table)) == ("utf-8", ",", None, 4)


def test_short_rows_are_padded_with_empty_text(tmp_path: Path) -> None:
    table = load_table(write(tmp_path, "id,text,label\n1,hello\n2\n3,x,y\n"))
    assert cells(table) == [["1", "hello", ""], ["2", "", ""], ["3", "x", "y"]]


def test_quoted_line_breaks_and_quotes_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path, 'id,text\r\n1,"line one\r\nline two"\r\n2,"He said ""hi"", then left"\r\n3,plain\r\n')
    table = load_table(path)
    assert table.frame["text"].tolist() == ["line one\r\nline two", 'He said "hi", then left', "plain"]
    # one record per spreadsheet row, as Excel shows the file
    assert [table.row_number(i) for i in range(3)] == [2, 3, 4]


def test_old_mac_line_endings(tmp_path: Path) -> None:
    assert cells(load_table(write(tmp_path, "id,text\r1,a\r2,b\r"))) == [["1", "a"], ["2", "b"]]


def test_very_long_cells(tmp_path: Path) -> None:
    long = "word, " * 50_000  # longer than the csv module's default field limit
    table = load_table(write(tmp_path, f'id,text\n1,"{long}"\n2,short\n'))
    assert table.frame["text"].tolist() == [long, "short"]


# ------------------------------------------------------------------------------------------
# Encodings


def test_utf8_bom_is_not_part_of_the_first_column_name(tmp_path: Path) -> None:
    table = load_table(write(tmp_path, "\ufeffid,text\n1,café\n"))
    assert table.columns == ["id", "text"]
    assert table.encoding == "utf-8-sig"
    assert cells(table) == [["1", "café"]]
    assert check_table(table, "id", ["text"]) == []


def test_windows_1252_is_detected_and_reported(tmp_path: Path) -> None:
    text = "id,text\n1,café naïve\n2,“quoted” costs €5\n3,plain\n"
    table = load_table(write(tmp_path, text, encoding="cp1252"))
    assert table.encoding == "cp1252" and table.encoding_guessed
    assert cells(table) == [["1", "café naïve"], ["2", "“quoted” costs €5"], ["3", "plain"]]
    (issue,) = check_table(table, "id", ["text"])
    assert issue.kind == "encoding" and not issue.blocking
    assert issue.rows == [2, 3]
    assert "Windows-1252" in issue.message and "UTF-8" in issue.message


def test_latin1_text_reads_through_windows_1252(tmp_path: Path) -> None:
    text = "id;texte\n1;Le garçon était très content, à côté de l'île\n2;Ça coûte cher\n"
    table = load_table(write(tmp_path, text, encoding="latin-1"))
    assert table.frame["texte"].tolist() == ["Le garçon était très content, à côté de l'île", "Ça coûte cher"]
    assert table.delimiter == ";"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path: Path, encoding: str) -> None:
    content = "id\ttext\n1\tcafé “x”\n2\t日本語\n"
    bom = "\ufeff" if encoding != "utf-16" else ""  # the plain codec writes its own BOM
    table = load_table(write(tmp_path, bom + content, "data.txt", encoding))
    assert table.encoding == "utf-16"
    assert table.delimiter == "\t"
    assert table.columns == ["id", "text"]
    assert cells(table) == [["1", "café “x”"], ["2", "日本語"]]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_guessed(tmp_path: Path, encoding: str) -> None:
    table = load_table(write(tmp_path, 'id,text\n1,café “x”\n2,"hello, friend"\n', encoding=encoding))
    assert (table.encoding, table.encoding_guessed) == (encoding, True)
    assert cells(table) == [["1", "café “x”"], ["2", "hello, friend"]]


def test_mostly_utf8_with_a_broken_byte_is_kept_and_reported(tmp_path: Path) -> None:
    content = "id,text\n1,café\n2,naïve\n".encode() + b"3,bad \xff byte\n4,ok\n"
    table = load_table(write(tmp_path, content))
    assert table.encoding == "utf-8" and not table.encoding_guessed
    assert table.frame["text"].tolist() == ["café", "naïve", "bad \ufffd byte", "ok"]
    (issue,) = check_table(table, "id", ["text"])
    assert (issue.kind, issue.rows, issue.blocking) == ("unreadable", [4], True)  # stops a job being built
    (accepted,) = check_table(table, "id", ["text"], accept_unreadable=True)
    assert (accepted.kind, accepted.rows, accepted.blocking) == ("unreadable", [4], False)
    assert "manifest" in accepted.message


def test_utf8_start_then_windows_1252_later_in_the_file(tmp_path: Path) -> None:
    plain = "".join(f"{i},just ascii text here\n" for i in range(20_000))  # beyond the sniffed start
    content = b"id,text\n" + plain.encode() + "20000,café “x”\n".encode("cp1252")
    table = load_table(write(tmp_path, content))
    assert table.encoding == "cp1252" and table.encoding_guessed
    assert table.frame["text"].iloc[-1] == "café “x”"
    assert len(table) == 20_001


# ------------------------------------------------------------------------------------------
# Delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_detected_with_separators_inside_quoted_text(tmp_path: Path, delimiter: str) -> None:
    d = delimiter
    rows = [
        f"id{d}text{d}label",
        f'1{d}"Good, cheap; fast | ok\tyes"{d}pos',
        f'2{d}"Bad, slow"{d}neg',
        f"3{d}Fine{d}neutral",
    ]
    table = load_table(write(tmp_path, "\n".join(rows) + "\n"))
    assert table.delimiter == delimiter
    assert table.columns == ["id", "text", "label"]
    assert table.frame["text"].tolist() == ["Good, cheap; fast | ok\tyes", "Bad, slow", "Fine"]


def test_semicolon_file_whose_texts_have_unquoted_commas(tmp_path: Path) -> None:
    content = "id;text\n1;Nice, but expensive, really\n2;Meh, ok\n3;Great\n"
    assert cells(load_table(write(tmp_path, content))) == [
        ["1", "Nice, but expensive, really"],
        ["2", "Meh, ok"],
        ["3", "Great"],
    ]


def test_tsv_file(tmp_path: Path) -> None:
    table = load_table(write(tmp_path, "id\ttext\n1\ta, b\n", "data.tsv"))
    assert (table.delimiter, cells(table)) == ("\t", [["1", "a, b"]])


def test_single_column_of_texts_with_commas(tmp_path: Path) -> None:
    table = load_table(write(tmp_path, "text\nI liked it, a lot\nNo, thanks\nFine\n", "texts.txt"))
    assert table.columns == ["text"]
    assert table.frame["text"].tolist() == ["I liked it, a lot", "No, thanks", "Fine"]


# ------------------------------------------------------------------------------------------
# Headers and empty rows


def test_header_names_are_stripped_and_made_unique(tmp_path: Path) -> None:
    content = ' id , ,text,text,"Q1\nscore",column B\n1,a,b,c,d,e\n'
    table = load_table(write(tmp_path, content))
    assert table.columns == ["id", "column B (2)", "text", "text (2)", "Q1 score", "column B"]
    # the blank header of column 2 gets the Excel letter; "column B" was already taken by column 6
    assert cells(table) == [["1", "a", "b", "c", "d", "e"]]


def test_unnamed_empty_columns_are_dropped(tmp_path: Path) -> None:
    table = load_table(write(tmp_path, "id,text,\n1,a,\n2,b,\n"))  # trailing separators from Excel
    assert table.columns == ["id", "text"]
    assert cells(table) == [["1", "a"], ["2", "b"]]


def test_unnamed_columns_with_values_are_kept(tmp_path: Path) -> None:
    table = load_table(write(tmp_path, "id,,text\n1,x,a\n"))
    assert table.columns == ["id", "column B", "text"]


def test_blank_rows_are_skipped_but_row_numbers_match_excel(tmp_path: Path) -> None:
    content = "\n\nid,text\n1,a\n\n,\n2,b\n , \n3,c\n\n\n"
    table = load_table(write(tmp_path, content))
    assert cells(table) == [["1", "a"], ["2", "b"], [" ", " "], ["3", "c"]]
    assert [table.row_number(i) for i in range(len(table))] == [4, 7, 8, 9]
    assert table.row_ids(None).tolist() == ["1", "2", "3", "4"]


# ------------------------------------------------------------------------------------------
# Files that cannot be used


def test_too_many_values_in_a_row_names_the_row(tmp_path: Path) -> None:
    content = 'id,text\n1,"two\nlines"\n2,ok\n3,too,many\n4,ok\n'
    error = error_of(write(tmp_path, content))
    assert "Row 4" in error.message and "3 values" in error.message and "2 column names" in error.message
    assert "comma" in error.hint


def test_too_many_values_in_the_first_data_row_is_not_taken_as_an_index(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "id,text\n1,a,b\n2,c\n"))
    assert "Row 2" in error.message


def test_too_many_values_far_into_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_files, "CHUNK_BYTES", 1)  # many small chunks
    rows = "".join(f"{i},text {i}\n" for i in range(5_000))
    error = error_of(write(tmp_path, "id,text\n" + rows + "x,y,z\n"))
    assert "Row 5002 " in error.message


def test_unclosed_quote_names_the_row(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, 'id,text\n1,ok\n2,"never closed\n3,more\n'))
    assert "Row 3" in error.message and "quotation mark" in error.message


@pytest.mark.parametrize("content", [b"", b"   \n\n\r\n", b"\xef\xbb\xbf", b"\xff\xfe"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    assert "empty" in error_of(write(tmp_path, content)).message


def test_header_only(tmp_path: Path) -> None:
    assert "no rows" in error_of(write(tmp_path, "id,text\n")).message
    assert "no rows" in error_of(write(tmp_path, "id,text\n\n,\n", "blank.csv")).message


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >>\n", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "Excel"),
        (bytes(range(256)) * 40, "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
        (bytes(range(1, 32)) * 100, "binary"),
    ],
)
def test_files_that_are_not_tables(tmp_path: Path, content: bytes, words: str) -> None:
    error = error_of(write(tmp_path, content))
    assert "not" in error.message and words in error.message


@pytest.mark.parametrize("name", ["data.docx", "data.json", "data", "data.parquet"])
def test_unknown_extension(tmp_path: Path, name: str) -> None:
    error = error_of(write(tmp_path, "id,text\n1,a\n", name))
    assert "cannot read" in error.message and ".csv" in error.hint


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert "not found" in error_of(tmp_path / "nope.csv").message
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert "folder" in error_of(folder).message
    with pytest.raises(DataError):
        list_sheets(tmp_path / "nope.xlsx")


def test_suffixes_are_case_insensitive(tmp_path: Path) -> None:
    assert len(load_table(write(tmp_path, "id,text\n1,a\n", "DATA.CSV"))) == 1
    assert {".csv", ".tsv", ".txt", ".xlsx"} <= set(SUPPORTED_SUFFIXES)


# ------------------------------------------------------------------------------------------
# Progress and cancelling


def test_progress_counts_bytes_and_ends_at_the_file_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_files, "CHUNK_BYTES", 1)
    monkeypatch.setattr(text_files, "ARROW_BLOCK", 16_384)
    path = write(tmp_path, "id,text\n" + "".join(f"{i},some text {i}\n" for i in range(5_000)))
    calls: list[tuple[int, int]] = []
    table = load_table(path, progress=lambda done, total: calls.append((done, total)))
    size = path.stat().st_size
    assert len(table) == 5_000
    assert calls[0] == (0, size) and calls[-1] == (size, size)
    assert len(calls) >= 5  # several steps, not one per row
    assert len(calls) < 100
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_cancel_stops_loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_files, "CHUNK_BYTES", 1)
    monkeypatch.setattr(text_files, "ARROW_BLOCK", 16_384)
    path = write(tmp_path, "id,text\n" + "".join(f"{i},some text\n" for i in range(5_000)))
    asked = []

    def should_cancel() -> bool:
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(CancelledError):
        load_table(path, should_cancel=should_cancel)
    with pytest.raises(CancelledError):
        load_table(workbook(tmp_path, {"S": [["id"], ["1"]]}), should_cancel=lambda: True)


# ------------------------------------------------------------------------------------------
# Spreadsheets


def test_xlsx_values_become_text_as_excel_shows_them(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["id", "text", "n", "flag", "when", "day", "time"],
        ["007", "café “x”", 7, True, dt.datetime(2024, 1, 2, 3, 4, 5), dt.date(2024, 1, 2), dt.time(13, 45)],
        ["8", "line\nbreak", 1.5, False, None, None, None],
        [9, "NA", 0.1 + 0.2, None, None, None, None],
        [12345678901234, None, -3.0, None, None, None, None],
    ]
    table = load_table(workbook(tmp_path, {"Data": rows}))
    assert (table.sheet, table.encoding, table.delimiter) == ("Data", None, None)
    assert table.columns == ["id", "text", "n", "flag", "when", "day", "time"]
    assert cells(table) == [
        ["007", "café “x”", "7", "TRUE", "2024-01-02 03:04:05", "2024-01-02", "13:45:00"],
        ["8", "line\nbreak", "1.5", "FALSE", "", "", ""],
        ["9", "NA", "0.3", "", "", "", ""],
        ["12345678901234", "", "-3", "", "", "", ""],
    ]
    assert not table.frame.isna().any().any()


def test_sheets_are_listed_and_chosen(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"First": [["id", "text"], ["1", "a"]], "Second": [["key"], ["x"], ["y"]]})
    assert list_sheets(path) == ["First", "Second"]
    assert load_table(path).columns == ["id", "text"]
    second = load_table(path, "Second")
    assert (second.sheet, second.columns, len(second)) == ("Second", ["key"], 2)
    error = error_of(path, sheet="Third")
    assert "Third" in error.message and '"First" and "Second"' in error.message


def test_default_sheet_is_the_first_visible_one(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Lookup"
    book.active.append(["code"])
    book.active.append(["x"])
    book.active.sheet_state = "hidden"
    book.create_sheet("Data").append(["id"])
    book["Data"].append(["1"])
    path = tmp_path / "hidden.xlsx"
    book.save(path)
    assert load_table(path).sheet == "Data"
    assert list_sheets(path) == ["Lookup", "Data"]


def test_xlsx_table_away_from_a1_and_empty_rows_keep_excel_row_numbers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["C3"], sheet["D3"] = "id", "text"
    sheet["C4"], sheet["D4"] = "a1", "first"
    sheet["C7"], sheet["D7"] = "a2", "second"
    sheet["F8"] = "stray"
    sheet["D12"].number_format = "0.00"  # formatted but empty
    path = tmp_path / "offset.xlsx"
    book.save(path)
    table = load_table(path)
    assert table.columns == ["id", "text", "column F"]  # the empty, unnamed column E is left out
    assert table.frame["id"].tolist() == ["a1", "a2", ""]
    assert [table.row_number(i) for i in range(len(table))] == [4, 7, 8]
    issues = check_table(table, "id", ["text"])
    assert [(i.kind, i.rows) for i in issues] == [("blank_id", [8]), ("blank_text", [8])]


def test_xlsx_header_only_and_empty_sheet(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Head": [["id", "text"]], "Empty": []})
    assert "no rows" in error_of(path, sheet="Head").message
    assert "empty" in error_of(path, sheet="Empty").message


@pytest.mark.parametrize(
    "content",
    [b"not a workbook at all", b"PK\x03\x04garbage", b"id,text\n1,a\n"],
)
def test_damaged_workbooks(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path, content, "broken.xlsx")
    assert "could not be opened" in error_of(path).message
    with pytest.raises(DataError):
        list_sheets(path)


def test_truncated_xlsx(tmp_path: Path) -> None:
    good = workbook(tmp_path, {"S": [["id"], ["1"]]})
    path = write(tmp_path, good.read_bytes()[:-200], "cut.xlsx")
    assert "could not be opened" in error_of(path).message


def test_xlsx_progress_counts_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "EXCEL_CHUNK_ROWS", 100)
    path = workbook(tmp_path, {"S": [["id", "text"]] + [[i, f"t{i}"] for i in range(1_000)]})
    calls: list[tuple[int, int]] = []
    table = load_table(path, progress=lambda done, total: calls.append((done, total)))
    assert len(table) == 1_000
    assert calls[0] == (0, 1_001) and calls[-1] == (1_001, 1_001) and 10 <= len(calls) <= 20


def test_ods_spreadsheet(tmp_path: Path) -> None:
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )

    def cell(value: str, number: bool = False) -> str:
        kind = f'office:value-type="float" office:value="{value}"' if number else 'office:value-type="string"'
        return f"<table:table-cell {kind}><text:p>{value}</text:p></table:table-cell>"

    rows = [[cell("id"), cell("text")], [cell("007"), cell("très bien")], [cell("8"), cell("2.5", True)]]
    body = "".join(f"<table:table-row>{''.join(r)}</table:table-row>" for r in rows)
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Reviews">{body}</table:table>'
        f"</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>'
    )
    path = tmp_path / "data.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    assert list_sheets(path) == ["Reviews"]
    assert cells(load_table(path)) == [["007", "très bien"], ["8", "2.5"]]


def test_text_files_have_no_sheets(tmp_path: Path) -> None:
    assert list_sheets(write(tmp_path, "id\n1\n")) == []


# ------------------------------------------------------------------------------------------
# Row IDs and row numbers


def test_row_ids_and_row_numbers(tmp_path: Path) -> None:
    table = load_table(write(tmp_path, "id,text\n007,a\n b ,c\n"))
    assert table.row_ids("id").tolist() == ["007", " b "]
    assert table.row_ids(None).tolist() == ["1", "2"]
    assert table.row_number(0) == 2 and table.row_number(1) == 3
    with pytest.raises(DataError) as caught:
        table.row_ids("ID")
    assert '"id"' in caught.value.message and '"text"' in caught.value.message


def test_a_table_built_by_hand() -> None:
    table = Table(pd.DataFrame({"id": ["a", "b"], "text": ["x", ""]}, dtype="str"), Path("mem.csv"))
    assert table.columns == ["id", "text"] and len(table) == 2
    assert table.row_number(1) == 3
    assert [i.rows for i in check_table(table, "id", ["text"])] == [[3]]


# ------------------------------------------------------------------------------------------
# check_table


def table_of(columns: dict[str, list[str]], numbers: list[int] | None = None) -> Table:
    frame = pd.DataFrame(columns, dtype="str")
    rows = None if numbers is None else np.array(numbers)
    return Table(frame, Path("t.csv"), encoding="utf-8", delimiter=",", row_numbers=rows)


def test_clean_table_has_no_issues() -> None:
    table = table_of({"id": ["1", "2", "3"], "text": ["a", "b", "c"]})
    assert check_table(table, "id", ["text"]) == []
    assert check_table(table, None, ["text"]) == []


def test_duplicate_ids_are_listed_with_their_rows() -> None:
    ids = ["a7", "b2", "c1", "a7", "b2", "b2", "d4"]
    table = table_of({"id": ids, "text": ["t"] * 7})
    (issue,) = check_table(table, "id", ["text"])
    assert issue == DataIssue("duplicate_id", [2, 3, 5, 6, 7], issue.message, True)
    assert 'Column "id" has 2 IDs that appear more than once' in issue.message
    assert '"a7" in rows 2 and 5' in issue.message and '"b2" in rows 3, 6 and 7' in issue.message


def test_many_duplicates_keep_every_row_but_a_short_message() -> None:
    table = table_of({"label": ["pos", "neg"] * 5_000, "text": ["t"] * 10_000})
    (issue,) = check_table(table, "label", ["text"])
    assert issue.kind == "duplicate_id" and len(issue.rows) == 10_000
    assert '"pos" in rows 2, 4, 6, 8, 10 and 4995 more' in issue.message and len(issue.message) < 400


def test_more_than_ten_duplicated_ids_are_summarised() -> None:
    ids = [str(i % 15) for i in range(30)]
    (issue,) = check_table(table_of({"id": ids}), "id", [])
    assert len(issue.rows) == 30 and "; and 5 more" in issue.message


def test_blank_ids_block_and_are_not_counted_as_duplicates() -> None:
    table = table_of({"id": ["1", "", "  ", "2", "\t"], "text": ["a"] * 5})
    (issue,) = check_table(table, "id", ["text"])
    assert (issue.kind, issue.rows, issue.blocking) == ("blank_id", [3, 4, 6], True)
    assert "rows 3, 4 and 6" in issue.message


def test_blank_text_means_every_text_column_is_blank() -> None:
    table = table_of({"id": ["1", "2", "3", "4"], "a": ["x", "", " ", ""], "b": ["", "y", "\n", ""]})
    (issue,) = check_table(table, "id", ["a", "b"])
    assert (issue.kind, issue.rows, issue.blocking) == ("blank_text", [4, 5], False)
    assert '"a" and "b"' in issue.message
    (issue,) = check_table(table, "id", ["a"])
    assert issue.rows == [3, 4, 5]


def test_issues_use_spreadsheet_row_numbers() -> None:
    table = table_of({"id": ["1", "1", ""], "text": ["", "b", "c"]}, numbers=[4, 7, 9])
    kinds = {i.kind: i.rows for i in check_table(table, "id", ["text"])}
    assert kinds == {"blank_id": [9], "duplicate_id": [4, 7], "blank_text": [4]}


def test_missing_columns_block_and_list_the_available_ones() -> None:
    table = table_of({"id": ["1"], "text": ["a"]})
    issues = check_table(table, "ID", ["text", "body"])
    assert [(i.kind, i.blocking, i.rows) for i in issues] == [("missing_column", True, [])]
    message = issues[0].message
    assert '"ID" and "body"' in message and '"id" and "text"' in message


def test_row_list_in_messages_is_capped() -> None:
    table = table_of({"id": [str(i) for i in range(40)], "text": [""] * 40})
    (issue,) = check_table(table, "id", ["text"])
    assert len(issue.rows) == 40
    assert "rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 30 more" in issue.message


def test_replacement_characters_are_reported_in_checked_columns_only() -> None:
    table = table_of({"id": ["1", "2", "3"], "text": ["ok", "caf\ufffd", "ok"], "other": ["\ufffd", "", ""]})
    (issue,) = check_table(table, "id", ["text"])
    assert (issue.kind, issue.rows, issue.blocking) == ("unreadable", [3], True)


def test_a_table_is_checked_once_for_each_choice_of_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's data check, its preview and its estimate ask the same of one table, often at once."""
    import threading

    from app.core.data.checks import TableCheck

    table = table_of({"id": ["1", "1", "2"], "text": ["a", "", "c"]})
    checked: list[int] = []
    real_add = TableCheck.add
    monkeypatch.setattr(TableCheck, "add", lambda self, chunk: checked.append(len(chunk)) or real_add(self, chunk))
    answers: list[list[DataIssue]] = []
    threads = [threading.Thread(target=lambda: answers.append(check_table(table, "id", ["text"]))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert checked == [3]  # one pass over the rows for three askers
    assert answers[0] == answers[1] == answers[2]
    assert [i.kind for i in answers[0]] == ["duplicate_id", "blank_text"]
    answers[0].clear()  # each asker gets its own list
    assert check_table(table, "id", ["text"]) == answers[1]
    check_table(table, None, ["text"])  # other columns: checked again
    assert checked == [3, 3]
