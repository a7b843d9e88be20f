"""The Data step with spreadsheets as people make them: a notes sheet, a title row and merged
headers are read right; how the file was read is shown and can be changed; doubts are warnings."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from app.ui.wizard import NewJobWizard
from tests.ui.test_wizard import WAIT, wizard  # noqa: F401 - fixture


def survey_workbook(path: Path) -> Path:
    """A notes sheet first; then a title row, merged group headers over the real ones, and 12 answers."""
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    for text in ["About this survey", "Collected in spring 2024.", "Contact: someone@example.org"]:
        notes.append([text])
    data = book.create_sheet("Responses")
    data.append(["Customer survey 2024 – open answers"])
    data.append(["Respondent", None, "Answers"])
    data.append(["respondent_id", "age", "answer", "comment"])
    for row in range(12):
        data.append([f"P{row:03d}", 20 + row, f"Answer text {row}", "ok" if row % 2 else ""])
    data.merge_cells("A1:D1")
    data.merge_cells("A2:B2")
    data.merge_cells("C2:D2")
    book.save(path)
    return path



def loaded(qtbot, wizard: NewJobWizard) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: wizard.table is not None and not wizard.data_page.is_loading()
                    and not wizard.data_page.is_checking(), timeout=WAIT)


def test_a_workbook_with_notes_title_and_merged_headers_loads_the_right_table(qtbot, wizard: NewJobWizard, tmp_path: Path) -> None:  # noqa: ANN001
    page = wizard.data_page
    wizard.load_file(survey_workbook(tmp_path / "survey.xlsx"))
    loaded(qtbot, wizard)
    table = wizard.table
    assert table.sheet == "Responses" and len(table) == 12
    assert [c.split(" – ")[-1] for c in table.columns] == ["respondent_id", "age", "answer", "comment"]
    assert table.frame.iloc[0].tolist() == ["P000", "20", "Answer text 0", ""]
    assert table.row_number(0) == 4  # the spreadsheet's own row number
    assert page.id_column() == table.columns[0]  # found as for CSV files
    assert [page.file_row.sheet_combo.itemText(i) for i in range(page.file_row.sheet_combo.count())] == ["Notes", "Responses"]
    assert page.file_row.sheet_combo.isVisible() and page.file_row.sheet_combo.currentText() == "Responses"
    assert page.read_as.header_spin.value() == table.layout.header_row
    assert "title" in page.read_as.layout_notes.text()
    assert not page.read_as.encoding_combo.isVisible()  # workbooks have no encoding to choose

    page.read_as.header_spin.setValue(3)  # "the column names are in row 3 only"
    qtbot.waitUntil(lambda: wizard.table is not table and wizard.table is not None, timeout=WAIT)
    loaded(qtbot, wizard)
    assert wizard.table.columns == ["respondent_id", "age", "answer", "comment"]
    assert wizard.spec_dict()["header_row"] == 3 and wizard.spec_dict()["sheet"] == "Responses"


def test_the_separator_is_shown_and_the_encoding_can_be_changed(qtbot, wizard: NewJobWizard, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "export.csv"
    path.write_bytes("id;answer;note\n1;Café crème;a, b\n2;Ça va;c, d\n3;Très bien;e\n".encode("cp1252"))
    page = wizard.data_page
    wizard.load_file(path)
    loaded(qtbot, wizard)
    assert wizard.table.columns == ["id", "answer", "note"]
    assert page.read_as.delimiter_combo.currentData() == ";" and page.read_as.encoding_combo.isVisible()
    assert wizard.table.frame["answer"][0] == "Café crème"

    assert wizard.spec_dict()["encoding"] is None  # detected: the spec leaves it to detection again

    page.read_as.encoding_combo.setCurrentIndex(page.read_as.encoding_combo.findData("cp1251"))  # the person knows better
    page.read_as.encoding_combo.activated.emit(page.read_as.encoding_combo.currentIndex())
    qtbot.waitUntil(lambda: wizard.table is not None and wizard.table.encoding == "cp1251", timeout=WAIT)
    assert wizard.table.frame["answer"][0] == "Cafй crиme"
    assert wizard.spec_dict()["encoding"] == "cp1251"
    assert page.read_as.encoding_combo.currentData() == "cp1251"


def test_a_doubtful_layout_is_a_warning_not_a_tick(qtbot, wizard: NewJobWizard, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "numbers.csv"
    path.write_text("1,2,3\n4,5,6\n7,8,9\n", encoding="utf-8")
    wizard.load_file(path)
    loaded(qtbot, wizard)
    panel = wizard.data_page.issues_panel
    assert wizard.table.layout.doubtful
    assert panel.kind == "warning" and "numbers where column names are expected" in panel.plain_text()
