"""The export dialog: formula protection as an explained option with per-format defaults, the
locale's separator for "CSV for Excel", the export in the background, and what it changed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from python_calamine import CalamineWorkbook

from app.core.keys import KeyStore
from app.core.run.engine import Engine
from app.ui.export_dialog import ExportDialog, locale_separator
from app.ui.jobs_controller import JobsController
from tests.ui.test_rows_view import fill_job

TRICKY = ["@handle", "-3", "=1+1"]


@pytest.fixture
def dialog(qtbot, batchlab_home: Path, keys: KeyStore, tmp_path: Path) -> ExportDialog:  # noqa: ANN001
    data = tmp_path / "tweets.csv"
    data.write_text("rid,body\n" + "".join(f"R{i:06d},{t}\n" for i, t in enumerate(TRICKY)), encoding="utf-8")
    job_id, spec = fill_job(batchlab_home, len(TRICKY), data)
    folder = batchlab_home / "jobs" / job_id
    folder.mkdir(parents=True)
    spec.save(folder / "spec.json")
    controller = JobsController(Engine(batchlab_home, keys))
    controller.start()
    qtbot.waitUntil(lambda: controller.job(job_id) is not None, timeout=10_000)
    shown = ExportDialog(controller, job_id)
    qtbot.addWidget(shown)
    shown.show()
    return shown


def export(qtbot, dialog: ExportDialog, kind: str, path: Path) -> None:  # noqa: ANN001
    dialog.set_format(kind)
    dialog.set_path(path)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=10_000)


def test_plain_csv_keeps_every_cell_as_coded(qtbot, dialog: ExportDialog, tmp_path: Path) -> None:  # noqa: ANN001
    dialog.set_format("csv")
    assert not dialog.neutralise_check.isChecked()  # off by default for plain CSV
    export(qtbot, dialog, "csv", tmp_path / "plain.csv")
    with (tmp_path / "plain.csv").open(encoding="utf-8", newline="") as handle:
        assert [r["body"] for r in csv.DictReader(handle)] == TRICKY
    assert "formulas are not neutralised" in dialog.result_panel.plain_text()


def test_excel_protects_cells_that_would_start_a_formula_and_says_how_many(qtbot, dialog: ExportDialog, tmp_path: Path) -> None:  # noqa: ANN001
    dialog.set_format("xlsx")
    assert dialog.neutralise_check.isChecked()  # on by default for Excel
    export(qtbot, dialog, "xlsx", tmp_path / "coded.xlsx")
    sheet = CalamineWorkbook.from_path(str(tmp_path / "coded.xlsx")).get_sheet_by_index(0).to_python()
    body = sheet[0].index("body")
    assert [row[body] for row in sheet[1:]] == ["'@handle", "-3", "'=1+1"]  # -3 is a number's text: untouched
    assert dialog.summary is not None and dialog.summary.cells_neutralised == 2
    assert "2 text cells" in dialog.result_panel.plain_text()

    dialog.neutralise_check.setChecked(False)  # the person's choice wins
    export(qtbot, dialog, "xlsx", tmp_path / "raw.xlsx")
    sheet = CalamineWorkbook.from_path(str(tmp_path / "raw.xlsx")).get_sheet_by_index(0).to_python()
    assert [row[body] for row in sheet[1:]] == TRICKY


def test_csv_for_excel_uses_the_locales_list_separator(qtbot, dialog: ExportDialog, tmp_path: Path) -> None:  # noqa: ANN001
    assert locale_separator(QLocale(QLocale.Language.German, QLocale.Country.Germany)) == ";"
    assert locale_separator(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)) == ","
    dialog.set_format("csv-excel")
    assert dialog.neutralise_check.isChecked() and dialog.path().suffix == ".csv"
    export(qtbot, dialog, "csv-excel", tmp_path / "excel.csv")
    header = (tmp_path / "excel.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.count(locale_separator()) == 6
