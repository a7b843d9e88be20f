"""The window at its smallest size (960×640) and at its default size, with a messy file: every shown
control gets the height it needs and none is drawn over another (see layout_checks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from app.core.keys import KeyStore
from app.core.run.engine import Engine
from app.ui.jobs_controller import JobsController
from app.ui.main import configure
from app.ui.main_window import MainWindow
from app.ui.wizard.estimate_box import NOT_YET
from tests.ui.layout_checks import layout_problems
from tests.ui.test_rows_view import fill_job, small_data

WAIT = 10_000
DEFAULT_SIZE = (1200, 800)


def messy_csv(path: Path) -> Path:
    """As exported by hand: a title row above the header, semicolons, accented letters, a quoted line
    break, a blank ID, a duplicate ID and a blank text."""
    path.write_text(
        "Umfrage 2024 – offene Antworten\n"
        "id;name;text;note\n"
        '1;Zoë;"Très bon produit, je recommande";ok\n'
        '2;José;"Qualité médiocre\nmais livraison rapide";\n'
        ';Ana;"Sin ID aquí";x\n'
        "4;Björn;;leer\n"
        '4;Åsa;"Dubbel ID, gärna igen";\n'
        '5;Łukasz;"Świetny, polecam";\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(autouse=True)
def app_look() -> Iterator[None]:
    """The app's own style and style sheet, as people see it (its buttons' padding takes room)."""
    app = QApplication.instance()
    style, palette, sheet = app.style().name(), app.palette(), app.styleSheet()
    configure(app)
    yield
    app.setStyleSheet(sheet)
    app.setStyle(style)
    app.setPalette(palette)


@pytest.fixture
def window(qtbot, batchlab_home: Path, keys: KeyStore) -> Iterator[MainWindow]:  # noqa: ANN001
    shown = MainWindow(JobsController(Engine(batchlab_home, keys)))
    qtbot.addWidget(shown)
    shown.show()
    yield shown
    shown.wizard.cancel_work()


def settle(window: MainWindow, width: int, height: int) -> None:
    """Resize and let the layouts (and the labels' word wrapping) catch up."""
    window.resize(width, height)
    for _ in range(10):  # a layout request can post another for the layout around it
        QApplication.processEvents()


def test_the_data_step_of_a_messy_file_is_laid_out_at_the_smallest_and_default_size(  # noqa: ANN001
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    wizard, page = window.wizard, window.wizard.data_page
    wizard.instructions_page.set_texts("Code the tone.", "{text}")  # so the blank text is a finding too
    long_name = "Umfrage Frühjahr 2024 – offene Antworten aller Befragten, bereinigte und endgültige Fassung.csv"
    wizard.load_file(messy_csv(tmp_path / long_name))
    qtbot.waitUntil(lambda: wizard.table is not None and not wizard.is_busy(), timeout=WAIT)
    findings = page.issues_panel.plain_text()
    assert "empty in 1 row" in findings and "more than once" in findings and "has no text" in findings
    assert page.facts_label.text().endswith("column names in row 2")

    for size in (window.minimumSize().toTuple(), DEFAULT_SIZE):
        settle(window, *size)
        assert window.size().toTuple() == size
        assert layout_problems(page) == [], size
        assert page.view.height() >= page.view.minimumHeight()
        assert "…" in page.file_row.path_label.text()  # the name shortened in its middle, not cut off


def test_every_wizard_step_of_the_sample_project_is_laid_out_at_the_smallest_and_default_size(  # noqa: ANN001
    qtbot, window: MainWindow
) -> None:
    wizard = window.wizard
    window.open_sample_project()
    qtbot.waitUntil(lambda: wizard.table is not None and not wizard.is_busy(), timeout=WAIT)
    for step in range(len(wizard.step_names)):
        wizard.go_to(step)
        qtbot.waitUntil(lambda: not wizard.is_busy(), timeout=WAIT)
        for size in (window.minimumSize().toTuple(), DEFAULT_SIZE):
            settle(window, *size)
            assert layout_problems(wizard) == [], (wizard.step_names[step], size)
    page = wizard.instructions_page
    wizard.go_to(1)
    settle(window, *window.minimumSize().toTuple())
    assert page.instructions_edit.width() > page.preview.width()  # the writing gets the larger share
    texts = page.instructions(), page.template()
    page.set_texts("", "{missing}")  # two problems: the template's in a panel under it
    qtbot.waitUntil(lambda: not wizard.is_busy(), timeout=WAIT)  # the data checked for the template's columns
    for size in (window.minimumSize().toTuple(), DEFAULT_SIZE):
        settle(window, *size)
        assert page.template_panel.isVisible() and layout_problems(wizard) == [], ("Instructions", size)

    review, gold = wizard.review_page, wizard.review_page.gold_pilot
    wizard.go_to(4)  # with those problems: the steps to finish, no cost or requests yet
    for size in (window.minimumSize().toTuple(), DEFAULT_SIZE):
        settle(window, *size)
        assert layout_problems(wizard) == [], ("Review of an incomplete job", size)
    assert review.estimate_box.cost_label.text() == NOT_YET
    page.set_texts(*texts)
    qtbot.waitUntil(lambda: not wizard.is_busy(), timeout=WAIT)
    wizard.go_to(4)
    QThreadPool.globalInstance().waitForDone(WAIT)  # the look for hand-coded rows (none) is over
    QApplication.processEvents()
    gold.last.setText("<b>Last check</b> (a trial on 10 hand-coded rows, just now): sentiment: accuracy 0.400, "
                      "α 0.136; topics: macro-F1 0.328.")
    gold.show()  # as shown once a job on this file has hand-coded rows
    for trial_done in (False, True):
        if trial_done:
            review.run_pilot()  # the trial's answers take room of their own
            qtbot.waitUntil(lambda: review.trial.results is not None and not wizard.is_busy(), timeout=WAIT)
            assert review.trial.model.rowCount() == 5
        for size in (window.minimumSize().toTuple(), DEFAULT_SIZE):
            settle(window, *size)
            assert gold.isVisible()
            assert layout_problems(wizard) == [], ("trial and hand-coded rows", trial_done, size)


def finished_job(qtbot, window: MainWindow, batchlab_home: Path, tmp_path: Path) -> str:  # noqa: ANN001
    """A done job with refused rows (most of the actions apply), known to the window's controller."""
    job_id, spec = fill_job(batchlab_home, 20, small_data(tmp_path, 20), quotes=True)
    folder = batchlab_home / "jobs" / job_id
    folder.mkdir(parents=True)
    spec.save(folder / "spec.json")
    window.controller.start()
    qtbot.waitUntil(lambda: window.controller.job(job_id) is not None, timeout=WAIT)
    return job_id


def test_the_jobs_list_and_a_jobs_tabs_are_laid_out_at_the_smallest_and_default_size(  # noqa: ANN001
    qtbot, window: MainWindow, batchlab_home: Path, tmp_path: Path
) -> None:
    job_id = finished_job(qtbot, window, batchlab_home, tmp_path)
    window.show_page("jobs")
    window.jobs_view.select_job(job_id)
    for size in (window.minimumSize().toTuple(), DEFAULT_SIZE):
        settle(window, *size)
        assert layout_problems(window.jobs_view) == [], ("jobs", size)  # no button's text cut short

    window.open_job(job_id)
    detail = window.job_detail
    assert detail.isVisible()
    for tab in range(detail.tabs.count()):
        detail.tabs.setCurrentIndex(tab)
        QThreadPool.globalInstance().waitForDone(WAIT)
        for size in (window.minimumSize().toTuple(), DEFAULT_SIZE):
            settle(window, *size)
            assert layout_problems(detail) == [], (detail.tabs.tabText(tab), size)
    coding = detail.research.hand_coding  # no sample drawn yet: its two rows at the top, not spread apart
    gap = coding.import_button.geometry().top() - coding.draw_button.geometry().bottom()
    assert gap <= 2 * coding.layout().spacing()


def test_a_jobs_tabs_keep_their_controls_whole_with_a_larger_font_at_the_smallest_size(  # noqa: ANN001
    qtbot, window: MainWindow, batchlab_home: Path, tmp_path: Path
) -> None:
    app = QApplication.instance()
    font = app.font()
    larger = QFont(font)
    larger.setPointSizeF(font.pointSizeF() * 1.25)  # as with a system font set larger, or a Mac's 13 pt
    app.setFont(larger)
    try:
        window.open_job(finished_job(qtbot, window, batchlab_home, tmp_path))
        detail = window.job_detail
        coding = detail.research.hand_coding
        detail.tabs.setCurrentWidget(coding)
        qtbot.waitUntil(lambda: coding.data is not None, timeout=WAIT)
        coding.coder.setText("Ana")
        coding.draw()
        qtbot.waitUntil(lambda: coding.sample is not None and coding.controls.isVisible(), timeout=WAIT)
        for tab in range(detail.tabs.count()):
            detail.tabs.setCurrentIndex(tab)
            QThreadPool.globalInstance().waitForDone(WAIT)
            settle(window, *window.minimumSize().toTuple())
            assert layout_problems(detail) == [], detail.tabs.tabText(tab)
    finally:
        app.setFont(font)
