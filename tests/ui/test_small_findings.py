"""The smaller findings of the new-user trial, each as it was seen: blank texts, retry, the context
menu, Show folder without a file manager, a cancelled job's bar, where the app opens, late signals."""

from __future__ import annotations

from pathlib import Path

import pytest
import shiboken6
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.keys import KeyStore
from app.core.run.engine import Engine
from app.core.run.jobs import BLANK_REASON
from app.core.run.store import Store
from app.ui.jobs_controller import JobsController
from app.ui.jobs_view import JobsView, can_retry, show_folder
from app.ui.main_window import MainWindow
from app.ui.models.jobs_model import progress_value
from app.ui.rows_view import RowsView
from app.ui.tasks import Task, _Runnable
from tests.ui.test_rows_view import fill_job

WAIT = 10_000


def set_rows(home: Path, where: str, status: str, reason: str = "") -> None:
    store = Store(home / "batchlab.sqlite3")
    with store.transaction() as db:
        db.execute(f"UPDATE rows SET status = ?, reason = ? WHERE job_id = 'job1' AND {where}", (status, reason))
    store.close()


def started(qtbot, home: Path, keys: KeyStore) -> JobsController:  # noqa: ANN001
    controller = JobsController(Engine(home, keys))
    controller.start()
    qtbot.waitUntil(lambda: bool(controller.jobs()), timeout=WAIT)
    return controller


def test_blank_texts_are_not_invalid_answers_and_retry_needs_rows_to_retry(qtbot, batchlab_home: Path, keys: KeyStore) -> None:  # noqa: ANN001
    job_id, spec = fill_job(batchlab_home, 20)
    set_rows(batchlab_home, "position % 10 = 0", "invalid", BLANK_REASON)  # the only rows not coded
    controller = started(qtbot, batchlab_home, keys)
    job = controller.job(job_id)
    assert not can_retry(controller, job)  # nothing the engine would send again

    view = RowsView(controller)
    qtbot.addWidget(view)
    view.show_job(job_id, spec)
    status = view.rows_model.column_titles().index("Status")
    assert view.rows_model.index(0, status).data() == "Blank text"
    assert view.rows_model.index(1, status).data() == "Coded"

    set_rows(batchlab_home, "position = 1", "failed", "the request expired")
    assert can_retry(controller, controller.engine.job(job_id))


def test_the_context_menu_offers_only_what_the_jobs_state_allows(qtbot, batchlab_home: Path, keys: KeyStore) -> None:  # noqa: ANN001
    job_id, _spec = fill_job(batchlab_home, 20)  # a finished job with refused rows
    view = JobsView(started(qtbot, batchlab_home, keys))
    qtbot.addWidget(view)
    view.select_job(job_id)
    menu = view.context_menu()
    assert menu is not None
    offered = {a.text() for a in menu.actions() if not a.isSeparator()}
    assert "Cancel" not in offered and "Try again" not in offered
    assert {"Open", "Retry failed rows", "Export…", "Show folder", "Delete…"} <= offered


def test_show_folder_says_where_the_folder_is_without_a_file_manager(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda _url: False))
    parent = QWidget()
    qtbot.addWidget(parent)
    assert not show_folder(parent, tmp_path)
    box = parent.findChild(QMessageBox, "folderMessage")
    assert box is not None and box.informativeText() == str(tmp_path)


def test_a_cancelled_job_with_nothing_coded_has_an_empty_bar(batchlab_home: Path) -> None:
    job_id, _spec = fill_job(batchlab_home, 10)
    set_rows(batchlab_home, "1 = 1", "failed", "the batch was cancelled before this row ran")
    store = Store(batchlab_home / "batchlab.sqlite3")
    store.update_job(job_id, state="cancelled")
    store.close()
    job = Engine(batchlab_home).job(job_id)
    assert job.status_counts["coded"] == 0
    assert progress_value(job) == 0.0


def test_the_app_opens_on_jobs_while_a_job_is_running(qtbot, batchlab_home: Path, keys: KeyStore) -> None:  # noqa: ANN001
    fill_job(batchlab_home, 10)
    store = Store(batchlab_home / "batchlab.sqlite3")
    store.update_job("job1", state="running")
    store.close()
    controller = JobsController(Engine(batchlab_home, keys))
    window = MainWindow(controller)
    qtbot.addWidget(window)
    assert window.pages.currentWidget() is window.wizard
    controller.shutdown()  # read the list, but leave the job alone
    controller.start()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.jobs_stack, timeout=WAIT)


def test_work_that_reports_after_its_receiver_is_gone_stays_quiet() -> None:
    task = Task(None, lambda _context: 42)
    shiboken6.delete(task.signals)  # the window closed while a status check ran
    _Runnable(task).run()  # must not raise "Signal source has been deleted"


def test_submit_is_in_view_at_the_smallest_window_and_the_headline_matches_the_estimate(  # noqa: ANN001
    qtbot, batchlab_home: Path, keys: KeyStore, tmp_path: Path
) -> None:
    data = tmp_path / "reviews.csv"
    data.write_text("id,text\n" + "".join(f"{i},{'' if i % 4 == 0 else f'text {i}'}\n" for i in range(1, 21)),
                    encoding="utf-8")
    window = MainWindow(JobsController(Engine(batchlab_home, keys)))
    qtbot.addWidget(window)
    window.show()
    window.resize(window.minimumSize())
    wizard = window.wizard
    wizard.open_settings({"name": "t", "data": str(data), "id_column": "id", "instructions": "Code it.",
                          "input_template": "{text}", "fields": [{"name": "tone", "type": "text"}],
                          "provider": "demo", "model": "demo-model"})
    qtbot.waitUntil(lambda: wizard.table is not None and not wizard.is_busy(), timeout=WAIT)
    wizard.go_to(4)
    review = wizard.review_page
    qtbot.waitUntil(lambda: review.manifest is not None, timeout=WAIT)
    button = review.submit_button
    assert button.isVisible() and button.isEnabled()
    corner = button.mapTo(window, button.rect().bottomRight())
    assert window.rect().contains(corner)  # no scrolling needed
    manifest, headline = review.manifest, review.summary_label.text()
    per = manifest["rows_per_request"]  # a new job's rows per request are automatic
    assert f"15 rows go out in {-(-15 // per)} requests (auto: {per} rows per request)" in headline
    assert "5 rows with a blank text are left out" in headline
