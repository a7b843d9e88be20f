"""The whole app as a person uses it: a real MainWindow, its real buttons, editors and lists.

Only the native file dialogs are stepped over (``wizard.load_file`` for Open, ``export_to`` for
Save). Everything runs offline: the Demo provider, or BatchLab's simulated service for OpenAI.
Controller-level checks of the same situations live in test_jobs_window.py; these follow the
screens a person sees.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QListWidget,
    QMessageBox,
    QTableView,
    QToolButton,
    QWidget,
)

from app.core.run.engine import Engine
from app.core.keys import KeyStore
from app.core.run.providers.demo import demo_service, stop_demo_services
from app.core.simulator import SimulatedService
from app.ui.jobs_controller import JobsController
from app.ui.jobs_view import JobsView
from app.ui.main_window import MainWindow
from app.ui.models.jobs_model import NEEDS_ATTENTION, PROGRESS, STATUS
from app.ui.wizard import NewJobWizard
from tests.ui.test_jobs_window import REFUSED_TEXT, stop
from tests.ui.test_wizard import type_choices_and_range

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample" / "reviews.csv"
SAMPLE_IDS = [f"R{i:03d}" for i in range(1, 41)]
SENTIMENTS = ("positive", "neutral", "negative")
WAIT = 20_000


# ---- starting the app ----------------------------------------------------------------------------


def launch(qtbot, home: Path, keys: KeyStore) -> MainWindow:  # noqa: ANN001 - pytest-qt's QtBot
    """Open the app as run_gui does: the window first, then the controller resumes unfinished jobs."""
    controller = JobsController(Engine(home, keys, poll_interval=0.05))
    window = MainWindow(controller)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    controller.start()
    return window


def close(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    """Close the window and stop the controller, as the app does when it quits."""
    window.wizard.cancel_work()
    window.close()
    stop(window.controller, qtbot)


@pytest.fixture
def window(qtbot, batchlab_home: Path, keys: KeyStore) -> Iterator[MainWindow]:  # noqa: ANN001
    opened = launch(qtbot, batchlab_home, keys)
    yield opened
    close(qtbot, opened)


# ---- what a person does --------------------------------------------------------------------------


def wait_for(qtbot, condition, timeout: int = WAIT) -> None:  # noqa: ANN001
    qtbot.waitUntil(condition, timeout=timeout)


def click(qtbot, widget: QWidget) -> None:  # noqa: ANN001
    assert widget.isVisible() and widget.isEnabled(), f"{widget.objectName() or widget} cannot be clicked"
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def choose(qtbot, combo: QComboBox, text: str) -> None:  # noqa: ANN001
    """Open a drop-down with a click, walk to ``text`` with the arrow keys and press Enter."""
    target = combo.findText(text)
    assert target >= 0, f"{text!r} is not offered"
    click(qtbot, combo)
    view = combo.view()
    wait_for(qtbot, view.isVisible)
    key = Qt.Key.Key_Down if target > combo.currentIndex() else Qt.Key.Key_Up
    for _ in range(abs(target - combo.currentIndex())):
        qtbot.keyClick(view, key)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    wait_for(qtbot, lambda: not view.isVisible())
    assert combo.currentText() == text


def click_item(qtbot, items: QListWidget, text: str) -> None:  # noqa: ANN001
    item = items.findItems(text, Qt.MatchFlag.MatchExactly)[0]
    qtbot.mouseClick(items.viewport(), Qt.MouseButton.LeftButton, pos=items.visualItemRect(item).center())


def tick(qtbot, box: QAbstractButton) -> None:  # noqa: ANN001
    """Click a check box on its indicator (the widget may be wider than its label)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def go_to(qtbot, window: MainWindow, page: str) -> None:  # noqa: ANN001
    """Click "New job", "Jobs" or "Settings" in the sidebar."""
    click_item(qtbot, window.sidebar.nav, {"new": "New job", "jobs": "Jobs", "settings": "Settings"}[page])


def menu_action(window: MainWindow, text: str) -> QAction:
    return next(a for a in window.findChildren(QAction) if a.text() == text)


def next_step(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    wizard = window.wizard
    wait_for(qtbot, wizard.next_button.isEnabled)
    step = wizard.current_index()
    click(qtbot, wizard.next_button)
    assert wizard.current_index() == step + 1, wizard.next_reason()


def add_field(qtbot, window: MainWindow, name: str, kind: str, choices=(), low: str = "", high: str = "") -> None:  # noqa: ANN001
    """Add field, type its name, choose its type, type its choices or range."""
    page = window.wizard.fields_page
    click(qtbot, page.add_button)
    qtbot.keyClicks(page.editor.name_edit, name)  # "Add field" selected the suggested name: typing replaces it
    choose(qtbot, page.editor.type_combo, kind)
    type_choices_and_range(qtbot, page, choices, low, high)


def answer_dialog(qtbot, button: str, seen: list[str]) -> None:  # noqa: ANN001
    """Click ``button`` in the next message box that opens (modal ones block, so answer from a timer)."""
    deadline = time.monotonic() + WAIT / 1000

    def look() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                seen.append(f"{widget.windowTitle()} | {widget.text()}")
                next(b for b in widget.buttons() if b.text() == button).click()
                return
        if time.monotonic() < deadline:
            QTimer.singleShot(20, look)

    QTimer.singleShot(0, look)


def action_button(view: JobsView, name: str) -> QToolButton:
    """The tool button above the job list that carries one of the view's actions."""
    action = view.actions_by_name[name]
    return next(b for b in view.findChildren(QToolButton) if b.defaultAction() is action)


def row_cell(view: JobsView, job_id: str, column: int) -> str:
    """What the job list shows for a job (through the sorting proxy, as the table draws it)."""
    row = view.model.row_of(job_id)
    return view.proxy.mapFromSource(view.model.index(row, column)).data() if row >= 0 else ""


def open_job(qtbot, window: MainWindow, job_id: str) -> None:  # noqa: ANN001
    """Double-click the job in the list."""
    view = window.jobs_view
    table: QTableView = view.table
    index = view.proxy.mapFromSource(view.model.index(view.model.row_of(job_id), 0))
    where = table.visualRect(index).center()
    # QTest's double click is only the second press; a person's starts with a first click
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    wait_for(qtbot, lambda: window.jobs_stack.currentWidget() is window.job_detail)
    assert window.job_detail.job_id == job_id


def shown_rows(window: MainWindow) -> list[dict[str, str]]:
    """Every row of the rows view as {column title: cell text}."""
    model = window.job_detail.rows_view.rows_model
    titles = model.column_titles()
    return [{t: model.index(r, c).data() for c, t in enumerate(titles)} for r in range(model.rowCount())]


def chips(window: MainWindow) -> dict[str, str]:
    """The visible filter chips above the rows: {"All rows": "40", "Coded": "35", …}."""
    group = window.job_detail.rows_view.filter_group
    found = {}
    for button in group.buttons():
        if button.isVisible():
            label, _, count = button.text().rpartition("  ")
            found[label] = count
    return found


def open_sample_project(qtbot, window: MainWindow) -> NewJobWizard:  # noqa: ANN001
    """File → Open sample project, and wait until its data is loaded and checked."""
    menu_action(window, "Open &sample project").trigger()
    wizard = window.wizard
    wait_for(qtbot, lambda: wizard.table is not None and not wizard.data_page.problems())
    return wizard


def submit_sample_project(qtbot, window: MainWindow) -> str:  # noqa: ANN001
    """File → Open sample project, Next through the steps, Submit; the job's id."""
    wizard = open_sample_project(qtbot, window)
    for _ in range(4):
        next_step(qtbot, window)
    review = wizard.review_page
    wait_for(qtbot, lambda: review.submit_button.isEnabled())
    with qtbot.waitSignal(window.controller.job_created, timeout=WAIT) as created:
        click(qtbot, review.submit_button)
    wait_for(qtbot, lambda: window.pages.currentWidget() is window.jobs_stack)
    job_id = created.args[0]
    assert window.jobs_view.selected_job().id == job_id
    return job_id


def state(window: MainWindow, job_id: str) -> str:
    return row_cell(window.jobs_view, job_id, STATUS)


# ---- the whole way through -------------------------------------------------------------------------


def test_a_person_codes_the_sample_reviews_and_exports_them(qtbot, window: MainWindow, tmp_path: Path) -> None:  # noqa: ANN001
    wizard = window.wizard
    assert window.pages.currentWidget() is wizard and not wizard.next_button.isEnabled()

    # 1 · Data: the Open dialog would call load_file
    wizard.load_file(SAMPLE)
    data = wizard.data_page
    wait_for(qtbot, lambda: wizard.table is not None and data.issues() is not None)
    assert "40 rows · 4 columns" in data.facts_label.text()
    assert data.view.isVisible() and data.model.rowCount() == 40
    assert data.model.index(0, 1).data() == "Great value for the money"
    choose(qtbot, data.id_chooser.combo, "review_id")
    wait_for(qtbot, lambda: "No problems found" in data.issues_panel.text())
    next_step(qtbot, window)

    # 2 · Instructions and the row template, built by clicking the column names
    page = wizard.instructions_page
    assert "Write the instructions" in wizard.next_reason()
    qtbot.keyClicks(page.instructions_edit, "Decide whether each review is positive, neutral or negative.")
    qtbot.mouseClick(page.template_edit.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClicks(page.template_edit, "Title: ")
    click_item(qtbot, page.columns_list, "title")
    qtbot.keyClick(page.template_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(page.template_edit, "Review: ")
    click_item(qtbot, page.columns_list, "body")
    assert page.template() == "Title: {title}\nReview: {body}"
    assert page.preview.toPlainText() == (
        "Title: Great value for the money\n"
        "Review: The blender is powerful and cheap. I use it every morning for smoothies."
    )
    next_step(qtbot, window)

    # 3 · Output fields through the editor
    fields = wizard.fields_page
    assert "Add at least one output field" in wizard.next_reason()
    add_field(qtbot, window, "sentiment", "Category", choices=SENTIMENTS)
    add_field(qtbot, window, "confidence", "Number", low="0", high="1")
    add_field(qtbot, window, "quote", "Text")
    qtbot.keyClicks(fields.editor.description_edit, "shortest supporting quote")
    assert fields.problems() == []
    assert "All 3 fields are complete" in fields.problems_panel.text()
    made = {f.name: f for f in fields.fields()}
    assert [(f.name, f.type) for f in made.values()] == [("sentiment", "category"), ("confidence", "number"), ("quote", "text")]
    assert made["sentiment"].choices == list(SENTIMENTS)
    assert (made["confidence"].minimum, made["confidence"].maximum) == (0, 1)
    assert made["quote"].description == "shortest supporting quote"
    next_step(qtbot, window)

    # 4 · Model: the offline Demo
    model_page = wizard.model_page
    choose(qtbot, model_page.provider_combo, "Demo (offline, free, made-up answers)")
    assert model_page.model() == "demo-model" and "needs no key" in model_page.key_label.text()
    next_step(qtbot, window)

    # 5 · Review: the exact requests and the cost
    review = wizard.review_page
    assert wizard.current_page() is review
    wait_for(qtbot, lambda: review.requests is not None and review.manifest is not None)
    shown = review.requests_view.toPlainText()
    blocks = [b.split("\n", 1)[1] for b in shown.split("// Request ")[1:]]
    first = json.loads(blocks[0])
    assert first["custom_id"] == "preview-000001" and first["method"] == "POST"
    body = json.dumps(first["body"], ensure_ascii=False)
    assert "Title: Great value for the money" in body and "Decide whether each review" in body
    assert '"sentiment"' in body and '"negative"' in body and '"confidence"' in body and '"quote"' in body
    assert "Estimated cost" in review.estimate_box.cost_label.text() and "$0.00" in review.estimate_box.cost_label.text()
    assert "40 rows" in review.summary_label.text() and "3 fields: sentiment, confidence, quote" in review.summary_label.text()
    assert review.consent.check.isHidden()  # the demo sends nothing anywhere: no consent to give

    # the 5-row trial
    click(qtbot, review.trial.button)
    wait_for(qtbot, lambda: review.trial.results is not None or bool(review.trial.error.messages))
    assert not review.trial.error.messages, review.trial.error.plain_text()
    trial = review.trial.view.model()
    assert review.trial.view.isVisible() and trial.rowCount() == 5
    assert trial.columns() == ["Row ID", "Status", "Reason", "sentiment", "confidence", "quote"]
    for r in range(5):
        row_id, status, reason, sentiment, confidence, quote = (trial.index(r, c).data() for c in range(6))
        assert row_id in SAMPLE_IDS and status == "coded" and reason == ""
        assert sentiment in SENTIMENTS and 0 <= float(confidence) <= 1 and quote.strip()
    assert review.trial.status.text().startswith("Trial finished: 5 coded.")

    # Submit, then follow the job in the list
    with qtbot.waitSignal(window.controller.job_created, timeout=WAIT) as created:
        click(qtbot, review.submit_button)
    job_id = created.args[0]
    wait_for(qtbot, lambda: window.pages.currentWidget() is window.jobs_stack)
    jobs = window.jobs_view
    assert jobs.isVisible() and jobs.selected_job().id == job_id and jobs.selected_job().name == "reviews"
    wait_for(qtbot, lambda: state(window, job_id) == "Done")
    assert row_cell(jobs, job_id, PROGRESS) == "40 of 40 rows coded"
    assert "Finished: 40 rows coded." in jobs.message.text()
    if window.notices.tray is None:  # with a system tray, the notice goes there instead
        assert "reviews: finished" in window.statusBar().currentMessage()
    assert wizard.table is None  # the wizard is ready for the next job

    # Open it: every row coded, with the fields' values
    open_job(qtbot, window, job_id)
    detail = window.job_detail
    assert detail.state.text() == "Done" and chips(window) == {"All rows": "40", "Coded": "40"}
    rows = shown_rows(window)
    assert [(r["Row"], r["review_id"], r["Status"], r["Reason"]) for r in rows[:2]] == [
        ("2", "R001", "Coded", ""),
        ("3", "R002", "Coded", ""),
    ]
    assert len(rows) == 40 and {r["Status"] for r in rows} == {"Coded"}
    assert all(r["sentiment"] in SENTIMENTS and 0 <= float(r["confidence"]) <= 1 and r["quote"] for r in rows)

    # Export (the Save dialog would call export_to) and read the file back
    out = tmp_path / "coded reviews.csv"
    with qtbot.waitSignal(window.controller.exported, timeout=WAIT):
        detail.export_to(out)
    wait_for(qtbot, lambda: "Exported to" in window.statusBar().currentMessage())
    with out.open(encoding="utf-8", newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert len(exported) == 40
    assert list(exported[0])[:4] == ["review_id", "title", "body", "stars"]
    assert {"sentiment", "confidence", "quote", "batchlab_status", "batchlab_reason"} <= set(exported[0])
    assert [r["review_id"] for r in exported] == SAMPLE_IDS
    assert exported[0]["title"] == "Great value for the money"
    for record in exported:
        assert record["batchlab_status"] == "coded" and record["batchlab_reason"] == ""
        assert record["sentiment"] in SENTIMENTS
        assert 0 <= float(record["confidence"]) <= 1
        assert record["quote"].strip()
    by_id = {r["review_id"]: r for r in rows}
    assert all(by_id[r["review_id"]]["sentiment"] == r["sentiment"] for r in exported)  # the file says what the screen said


# ---- when things go wrong ---------------------------------------------------------------------------


def test_a_binary_file_named_csv_gets_a_plain_message_and_the_data_stays(  # noqa: ANN001
    qtbot, window: MainWindow, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    wizard = window.wizard
    wizard.load_file(SAMPLE)
    wait_for(qtbot, lambda: wizard.table is not None and not wizard.data_page.problems())
    bad = tmp_path / "survey.csv"
    bad.write_bytes(bytes(range(256)) * 64)

    wizard.load_file(bad)
    panel = wizard.data_page.error_panel
    wait_for(qtbot, lambda: bool(panel.messages))
    assert panel.isVisible() and panel.kind == "error"
    assert "survey.csv could not be used" in panel.text()
    said = panel.plain_text()
    assert "binary" in said or "not a table" in said
    assert "The data shown below is still reviews.csv." in said
    assert not any(w in said for w in ("Traceback", "Error", "Exception", 'File "'))
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert "Traceback" not in capfd.readouterr().err  # handled as a plain BatchLabError, not a crash

    # the earlier file is still the one in use, and the person can carry on with it
    assert wizard.table.path == SAMPLE and wizard.data_page.model.rowCount() == 40
    next_step(qtbot, window)
    assert wizard.current_page() is wizard.instructions_page


def test_cancelling_a_running_job_ends_it_cancelled(qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("BATCHLAB_DEMO_STEP_SECONDS", "1.0")  # slow enough to cancel it while it runs
    job_id = submit_sample_project(qtbot, window)
    jobs = window.jobs_view
    wait_for(qtbot, lambda: state(window, job_id) == "At the provider")
    cancel = action_button(jobs, "cancel")
    asked: list[str] = []
    answer_dialog(qtbot, "Cancel job", asked)
    click(qtbot, cancel)
    assert len(asked) == 1 and asked[0].startswith("Cancel this job? | BatchLab will ask Demo to stop")

    wait_for(qtbot, lambda: state(window, job_id) == "Cancelled")
    job = window.controller.job(job_id)
    coded = job.status_counts.get("coded", 0)
    assert job.state == "cancelled" and job.status_counts["pending"] == 0 and coded < 40
    assert job.message == f"Cancelled. {coded:,} rows were coded before it stopped."
    assert job.message in jobs.message.text()
    assert not cancel.isEnabled() and action_button(jobs, "delete").isEnabled()

    open_job(qtbot, window, job_id)
    assert window.job_detail.state.text() == "Cancelled"
    assert window.job_detail.message.text() == job.message
    rows = shown_rows(window)
    assert len(rows) == 40 and sum(r["Status"] == "Coded" for r in rows) == coded
    assert all(r["Status"] == "Coded" or (r["Status"] == "Failed" and "cancelled" in r["Reason"]) for r in rows)  # none left waiting


def test_retrying_the_rows_that_were_refused_codes_them_all(qtbot, window: MainWindow) -> None:  # noqa: ANN001
    demo_service().configure(text_rules=[{"contains": REFUSED_TEXT, "outcome": "refusal"}])  # one request of 5 rows is refused
    job_id = submit_sample_project(qtbot, window)
    wait_for(qtbot, lambda: state(window, job_id) == "Done")
    open_job(qtbot, window, job_id)
    detail = window.job_detail
    assert chips(window) == {"All rows": "40", "Coded": "35", "Refused": "5"}
    refused = [r for r in shown_rows(window) if r["Status"] == "Refused"]
    assert len(refused) == 5 and all(r["Reason"] for r in refused)  # each says why

    demo_service().configure(text_rules=[])  # this time the provider answers
    click(qtbot, detail.retry_button)
    wait_for(qtbot, lambda: chips(window) == {"All rows": "40", "Coded": "40"} and detail.state.text() == "Done")
    rows = shown_rows(window)
    assert len(rows) == 40 and {r["Status"] for r in rows} == {"Coded"}
    assert {r["review_id"] for r in rows} == set(SAMPLE_IDS)
    assert not detail.retry_button.isEnabled()
    assert window.controller.job(job_id).message == "Finished: 40 rows coded."


def test_a_job_left_running_is_finished_by_the_next_start(  # noqa: ANN001
    qtbot, batchlab_home: Path, keys: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCHLAB_DEMO_STEP_SECONDS", "0.3")
    first = launch(qtbot, batchlab_home, keys)
    job_id = submit_sample_project(qtbot, first)
    wait_for(qtbot, lambda: state(first, job_id) == "At the provider")
    close(qtbot, first)  # the person quits while the batch is at the provider
    stop_demo_services()
    assert first.controller.engine.job(job_id).state == "running"

    second = launch(qtbot, batchlab_home, keys)
    try:
        assert second.pages.currentWidget() is second.wizard  # the app opens on "New job"
        go_to(qtbot, second, "jobs")
        assert second.pages.currentWidget() is second.jobs_stack
        wait_for(qtbot, lambda: second.jobs_view.model.rowCount() == 1)
        wait_for(qtbot, lambda: state(second, job_id) == "Done")
        assert row_cell(second.jobs_view, job_id, PROGRESS) == "40 of 40 rows coded"
        if second.notices.tray is None:
            assert "Review sentiment (sample): finished" in second.statusBar().currentMessage()
        open_job(qtbot, second, job_id)
        rows = shown_rows(second)
        assert len(rows) == 40 and {r["Status"] for r in rows} == {"Coded"}
    finally:
        close(qtbot, second)


def test_a_wrong_openai_key_gets_a_plain_message_and_a_fixed_key_carries_on(  # noqa: ANN001
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = SimulatedService(api_key="sk-right-key-for-this-test")
    service.start()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", service.openai_base_url)

        # Settings → API keys: the person pastes a key that is wrong
        go_to(qtbot, window, "settings")
        key_row = window.settings_page.key_rows["openai"]
        qtbot.keyClicks(key_row.entry, "sk-wrong-key-for-this-test")
        click(qtbot, key_row.save_button)
        wait_for(qtbot, lambda: key_row.result.text().startswith("Saved"))

        # the sample project, sent to OpenAI instead of the Demo
        go_to(qtbot, window, "new")
        wizard = open_sample_project(qtbot, window)
        for _ in range(3):
            next_step(qtbot, window)
        model_page = wizard.model_page
        choose(qtbot, model_page.provider_combo, "OpenAI")
        assert "A key is set for OpenAI" in model_page.key_label.text()
        next_step(qtbot, window)
        review = wizard.review_page
        assert review.consent.check.isVisible() and not review.submit_button.isEnabled()
        tick(qtbot, review.consent.check)
        assert review.consent.check.isChecked()
        with qtbot.waitSignal(window.controller.job_created, timeout=WAIT) as created:
            click(qtbot, review.submit_button)
        job_id = created.args[0]

        # the message the person sees
        def error_box() -> QMessageBox | None:
            return next((b for b in window.findChildren(QMessageBox, "errorDialog") if b.isVisible()), None)

        wait_for(qtbot, lambda: error_box() is not None)
        box = error_box()
        assert box.windowTitle() == "The API key was not accepted"
        assert box.text() == "OpenAI did not accept the API key."
        assert "Settings" in box.informativeText()
        assert "Traceback" not in box.text() + box.informativeText() + (box.detailedText() or "")
        assert state(window, job_id) == NEEDS_ATTENTION
        assert "did not accept the API key" in window.jobs_view.message.text()
        assert action_button(window.jobs_view, "resume").isVisible()
        click(qtbot, box.button(QMessageBox.StandardButton.Ok))
        wait_for(qtbot, lambda: error_box() is None)

        # with the right key saved, the stopped job carries on by itself
        go_to(qtbot, window, "settings")
        qtbot.keyClicks(key_row.entry, "sk-right-key-for-this-test")
        with qtbot.waitSignal(window.settings_page.keys_changed, timeout=WAIT):
            click(qtbot, key_row.save_button)
        go_to(qtbot, window, "jobs")
        wait_for(qtbot, lambda: state(window, job_id) == "Done")
        assert row_cell(window.jobs_view, job_id, PROGRESS) == "40 of 40 rows coded"
        assert window.controller.problem(job_id) is None
    finally:
        service.stop()
