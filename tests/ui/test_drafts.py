"""Work is never lost: the wizard's draft survives a restart, leaving it asks, spec files round-trip, undo."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QMessageBox

from app.core.keys import KeyStore
from app.core.run.engine import Engine
from app.core.spec import FieldSpec, load_spec
from app.ui.jobs_controller import JobsController
from app.ui.main_window import MainWindow
from app.ui.resources import SAMPLE_SPEC
from app.ui.spec_files import SpecFiles

WAIT = 10_000
Button = QMessageBox.StandardButton


@pytest.fixture
def open_window(qtbot, batchlab_home: Path, keys: KeyStore) -> Iterator[Callable[[], MainWindow]]:  # noqa: ANN001
    """Opens main windows over one data folder, as starting the app again would."""
    windows: list[MainWindow] = []

    def make() -> MainWindow:
        window = MainWindow(JobsController(Engine(batchlab_home, keys, poll_interval=0.05)))
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.wizard.cancel_work()
    QThreadPool.globalInstance().waitForDone(WAIT)
    QApplication.processEvents()


def answer(monkeypatch: pytest.MonkeyPatch, button: Button) -> list[int]:
    """Answer the "save your draft?" question with ``button``; returns a list counting the questions."""
    asked: list[int] = []

    def ask(_self: SpecFiles) -> Button:
        asked.append(1)
        return button

    monkeypatch.setattr(SpecFiles, "ask_about_draft", ask)
    return asked


def draft_file(window: MainWindow) -> Path:
    return window.spec_files.drafts.path


def write_some_work(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    wizard = window.wizard
    wizard.load_file(SAMPLE_SPEC.parent / "reviews.csv")
    qtbot.waitUntil(lambda: wizard.table is not None and not wizard.is_busy(), timeout=WAIT)
    wizard.instructions_page.instructions_edit.setPlainText("Code the tone of each review.")
    wizard.fields_page.set_fields([FieldSpec("tone", "category", choices=["good", "bad"])])
    qtbot.waitUntil(lambda: draft_file(window).is_file(), timeout=WAIT)


def test_the_draft_survives_a_restart(qtbot, open_window, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    first = open_window()
    write_some_work(qtbot, first)
    first.wizard.go_to(2)
    qtbot.waitUntil(lambda: json.loads(draft_file(first).read_text())["step"] == 2, timeout=WAIT)
    del first  # the app stops without a word (a crash, a power cut): the draft on disk is all there is

    second = open_window()
    wizard = second.wizard
    qtbot.waitUntil(lambda: wizard.table is not None, timeout=WAIT)
    assert wizard.instructions_page.instructions() == "Code the tone of each review."
    assert [f.name for f in wizard.fields_page.fields()] == ["tone"]
    assert wizard.table.path.name == "reviews.csv"
    assert wizard.data_page.id_column() == "review_id"
    assert wizard.current_index() == 2


def test_leaving_a_draft_asks_first(qtbot, open_window, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    window = open_window()
    write_some_work(qtbot, window)

    asked = answer(monkeypatch, Button.Cancel)
    for leave in (window.new_job, window.open_sample_project):
        leave()
    assert not window.close()
    assert len(asked) == 3
    assert window.wizard.instructions_page.instructions() == "Code the tone of each review."

    asked = answer(monkeypatch, Button.Discard)
    window.new_job()
    assert asked == [1]
    assert window.wizard.instructions_page.instructions() == ""
    qtbot.waitUntil(lambda: not draft_file(window).exists(), timeout=WAIT)

    window.open_sample_project()  # nothing to lose now: no question
    assert asked == [1]


def test_a_draft_discarded_on_closing_does_not_come_back(qtbot, open_window, monkeypatch) -> None:  # noqa: ANN001
    window = open_window()
    write_some_work(qtbot, window)
    answer(monkeypatch, Button.Discard)
    assert window.close()
    qtbot.wait(600)  # longer than the autosave pause
    assert not draft_file(window).exists()
    assert open_window().wizard.instructions_page.instructions() == ""


def test_save_and_open_a_job_spec_round_trip(qtbot, open_window, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    window = open_window()
    asked = answer(monkeypatch, Button.Cancel)
    window.open_sample_project()
    wizard = window.wizard
    qtbot.waitUntil(lambda: wizard.table is not None and not wizard.is_busy(), timeout=WAIT)
    wizard.instructions_page.instructions_edit.appendPlainText("Be strict.")
    assert wizard.has_unsaved_work()

    saved = tmp_path / "specs" / "my job.json"
    saved.parent.mkdir()
    assert window.spec_files.save_spec(saved)
    assert not wizard.has_unsaved_work()
    spec = load_spec(saved)  # the file the command line runs
    sample = load_spec(SAMPLE_SPEC)
    assert spec.instructions == sample.instructions + "\nBe strict."
    assert spec.fields == sample.fields
    assert spec.data == sample.data

    window.new_job()  # saved: no question
    assert asked == [] and wizard.instructions_page.instructions() == ""
    assert window.spec_files.open_spec(saved)
    qtbot.waitUntil(lambda: wizard.table is not None and not wizard.is_busy(), timeout=WAIT)
    assert wizard.current_spec() is not None
    assert wizard.current_spec().to_dict() == spec.to_dict()
    assert not wizard.has_unsaved_work()
    recent = window.spec_files.recent_menu.actions()
    assert [a.text() for a in recent] == ["my job.json"]


def test_an_unfinished_spec_is_saved_and_opened_too(qtbot, open_window, tmp_path: Path) -> None:  # noqa: ANN001
    window = open_window()
    window.wizard.instructions_page.instructions_edit.setPlainText("Only instructions so far.")
    path = tmp_path / "unfinished.json"
    assert window.spec_files.save_spec(path)
    assert "not run yet" in window.statusBar().currentMessage()
    window.new_job()
    assert window.spec_files.open_spec(path)
    assert window.wizard.instructions_page.instructions() == "Only instructions so far."


def test_undo_and_redo_in_the_fields_list(qtbot, open_window) -> None:  # noqa: ANN001
    window = open_window()
    page = window.wizard.fields_page
    page.add_field()
    page.editor.name_edit.setText("tone")
    page.editor.description_edit.setPlainText("how the review sounds")
    page.add_field()
    assert [f.name for f in page.fields()] == ["tone", "field_1"]

    window.wizard.go_to(2)
    page.list_view.setFocus()
    window._edit("undo")
    assert [f.name for f in page.fields()] == ["tone"]
    window._edit("undo")  # the typing in one field is one step
    assert [f.name for f in page.fields()] == ["field_1"]
    window._edit("redo")
    window._edit("redo")
    assert [f.name for f in page.fields()] == ["tone", "field_1"]
    assert page.fields()[0].description == "how the review sounds"


def test_changing_a_fields_type_clears_its_old_description(qtbot, open_window) -> None:  # noqa: ANN001
    page = open_window().wizard.fields_page
    page.set_fields([FieldSpec("score", "category", "pick good or bad", ["good", "bad"])])
    page.editor.type_combo.setCurrentIndex(page.editor.type_combo.findData("number"))
    assert page.fields()[0].description == ""
    assert page.fields()[0].type == "number"
    page.undo_stack.undo()
    assert page.fields()[0].description == "pick good or bad"
