"""The app shell with the real Engine and the offline Demo provider: submit, follow, inspect, export,
cancel, retry, resume after a restart, and a rejected key that ends in a plain message."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool

from app.core.data import load_table
from app.core.run.engine import Engine
from app.core.errors import BatchLabError, KeyRejectedError
from app.core.keys import KeyStore
from app.core.run.providers.demo import demo_service, stop_demo_services
from app.core.simulator import SimulatedService
from app.core.spec import JobSpec, load_spec
from app.ui import preferences
from app.ui.job_detail import JobDetail
from app.ui.jobs_controller import JobsController
from app.ui.jobs_view import JobsView
from app.ui.resources import SAMPLE_SPEC
from app.ui.main_window import MainWindow
from app.ui.models.jobs_model import COLUMNS, NEEDS_ATTENTION, STATUS
from app.ui.settings_page import SettingsPage

REFUSED_TEXT = "It's a blender."  # one sample review; its request of 5 rows is refused by the demo
WAIT_MS = 20_000


@pytest.fixture
def fast_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCHLAB_DEMO_STEP_SECONDS", "0.05")


def make_controller(home: Path, keys: KeyStore) -> JobsController:
    controller = JobsController(Engine(home, keys, poll_interval=0.05))
    controller.start()
    return controller


def stop(controller: JobsController, qtbot) -> None:  # noqa: ANN001 - pytest-qt's QtBot
    """Stop scheduling and let running work report, as the app does when it closes."""
    controller.shutdown()
    QThreadPool.globalInstance().waitForDone(10_000)
    qtbot.wait(20)


@pytest.fixture
def controller(qtbot, batchlab_home: Path, keys: KeyStore, fast_demo: None) -> Iterator[JobsController]:  # noqa: ANN001
    made = make_controller(batchlab_home, keys)
    yield made
    stop(made, qtbot)


@pytest.fixture
def sample() -> JobSpec:
    return load_spec(SAMPLE_SPEC)


def submit(qtbot, controller: JobsController, spec: JobSpec) -> str:  # noqa: ANN001
    with qtbot.waitSignal(controller.job_created, timeout=WAIT_MS) as created:
        controller.submit(spec, load_table(spec.data, spec.sheet))
    return created.args[0]


def wait_for(qtbot, condition: Callable[[], bool]) -> None:  # noqa: ANN001
    qtbot.waitUntil(condition, timeout=WAIT_MS)


def state_of(controller: JobsController, job_id: str) -> str | None:
    job = controller.job(job_id)
    return job.state if job else None


def test_demo_job_runs_to_the_end_and_exports(  # noqa: ANN001 - pytest-qt fixtures
    qtbot, controller: JobsController, sample: JobSpec, tmp_path: Path, qtmodeltester
) -> None:
    demo_service().configure(text_rules=[{"contains": REFUSED_TEXT, "outcome": "refusal"}])
    view = JobsView(controller)
    qtbot.addWidget(view)
    finished: list[str] = []
    controller.job_finished.connect(finished.append)

    job_id = submit(qtbot, controller, sample)
    wait_for(qtbot, lambda: view.model.rowCount() == 1)
    view.select_job(job_id)
    assert view.selected_job() is not None and view.selected_job().id == job_id
    wait_for(qtbot, lambda: state_of(controller, job_id) == "done")
    wait_for(qtbot, lambda: finished == [job_id])
    row = view.model.row_of(job_id)
    assert view.model.index(row, STATUS).data() == "Done"
    assert view.model.index(row, COLUMNS.index("Progress")).data() == "35 of 40 rows coded"
    assert view.actions_by_name["retry"].isEnabled() and not view.actions_by_name["cancel"].isEnabled()
    qtmodeltester.check(view.model)

    detail = JobDetail(controller)
    qtbot.addWidget(detail)
    detail.show_job(job_id)
    assert detail.rows_view.rows_model.rowCount() == 40
    assert detail.rows_view.filter_group.button(0).text() == "All rows  40"
    detail.rows_view.set_filter("refused")
    assert detail.rows_view.rows_model.rowCount() == 5
    refused = [detail.rows_view.rows_model.row_view(i) for i in range(5)]
    assert {r.status for r in refused} == {"refused"} and all(r.reason for r in refused)
    detail.rows_view.set_filter("coded")
    assert detail.rows_view.rows_model.rowCount() == 35
    qtmodeltester.check(detail.rows_view.rows_model)

    detail.rows_view.rows.selectRow(0)
    detail.rows_view.show_raw_response()
    wait_for(qtbot, lambda: detail.rows_view.row_detail.raw_button.isEnabled())
    assert '"custom_id"' in detail.rows_view.row_detail.raw.toPlainText()

    out = tmp_path / "coded.csv"
    with qtbot.waitSignal(controller.exported, timeout=WAIT_MS) as exported:
        detail.export_to(out, csv_for_excel=True)
    assert exported.args == [job_id, str(out)]
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 40
    assert {"review_id", "sentiment", "topics", "batchlab_status", "batchlab_reason"} <= set(rows[0])
    by_status = {status: sum(r["batchlab_status"] == status for r in rows) for status in ("coded", "refused")}
    assert by_status == {"coded": 35, "refused": 5}
    assert all(r["sentiment"] in ("positive", "neutral", "negative") for r in rows if r["batchlab_status"] == "coded")


def test_retry_sends_the_rows_that_were_not_coded(qtbot, controller: JobsController, sample: JobSpec) -> None:  # noqa: ANN001
    demo_service().configure(text_rules=[{"contains": REFUSED_TEXT, "outcome": "refusal"}])
    job_id = submit(qtbot, controller, sample)
    wait_for(qtbot, lambda: state_of(controller, job_id) == "done")
    assert controller.job(job_id).status_counts["refused"] == 5

    demo_service().configure(text_rules=[])
    controller.retry(job_id)
    wait_for(qtbot, lambda: state_of(controller, job_id) != "done")
    wait_for(qtbot, lambda: state_of(controller, job_id) == "done")
    counts = controller.job(job_id).status_counts
    assert counts["coded"] == 40 and counts["refused"] == 0

    folder = controller.job(job_id).folder
    controller.delete(job_id)
    wait_for(qtbot, lambda: controller.job(job_id) is None)
    assert not folder.exists()


def test_cancel_ends_cancelled(qtbot, controller: JobsController, sample: JobSpec, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("BATCHLAB_DEMO_STEP_SECONDS", "1.0")  # slow enough to catch it running
    job_id = submit(qtbot, controller, sample)
    wait_for(qtbot, lambda: state_of(controller, job_id) == "running")
    controller.cancel(job_id)
    wait_for(qtbot, lambda: state_of(controller, job_id) == "cancelled")
    job = controller.job(job_id)
    assert job.finished and "Cancelled" in job.message
    assert job.status_counts["pending"] == 0


def test_a_new_controller_resumes_an_unfinished_job(  # noqa: ANN001
    qtbot, batchlab_home: Path, keys: KeyStore, sample: JobSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCHLAB_DEMO_STEP_SECONDS", "0.3")
    first = make_controller(batchlab_home, keys)
    job_id = submit(qtbot, first, sample)
    wait_for(qtbot, lambda: state_of(first, job_id) == "running")
    stop(first, qtbot)  # the app closes with the job still at the provider
    stop_demo_services()

    second = make_controller(batchlab_home, keys)
    try:
        finished: list[str] = []
        second.job_finished.connect(finished.append)
        wait_for(qtbot, lambda: finished == [job_id])
        assert second.job(job_id).state == "done"
        assert second.job(job_id).status_counts["coded"] == 40
    finally:
        stop(second, qtbot)


def test_a_rejected_key_ends_in_a_plain_message(  # noqa: ANN001
    qtbot, controller: JobsController, keys: KeyStore, sample: JobSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = SimulatedService(api_key="sk-right-key-for-this-test")
    service.start()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", service.openai_base_url)
        keys.set("openai", "sk-wrong-key-for-this-test")
        spec = JobSpec(**{**sample.__dict__, "provider": "openai", "model": "gpt-5.4-mini"})
        view = JobsView(controller)
        qtbot.addWidget(view)
        errors: list[tuple[str, BatchLabError]] = []
        controller.error.connect(lambda job_id, error: errors.append((job_id, error)))

        job_id = submit(qtbot, controller, spec)
        wait_for(qtbot, lambda: bool(errors))
        assert errors[0][0] == job_id
        error = errors[0][1]
        assert isinstance(error, KeyRejectedError)
        assert error.message == "OpenAI did not accept the API key."
        assert "Settings" in error.hint and "Traceback" not in str(error)
        assert controller.problem(job_id) is error
        view.select_job(job_id)
        assert view.model.index(view.model.row_of(job_id), STATUS).data() == NEEDS_ATTENTION
        assert "did not accept the API key" in view.message.text()
        assert view.actions_by_name["resume"].isEnabled()

        controller.cancel(job_id)  # nothing was created at the provider, so it ends at once
        wait_for(qtbot, lambda: state_of(controller, job_id) == "cancelled")
        assert controller.problem(job_id) is None
    finally:
        service.stop()


def test_main_window_runs_the_sample_project(qtbot, controller: JobsController) -> None:  # noqa: ANN001
    window = MainWindow(controller)
    qtbot.addWidget(window)
    window.show()
    assert (window.width(), window.height()) == (1200, 800)

    window.open_sample_project()
    wizard = window.wizard
    wait_for(qtbot, lambda: wizard.table is not None and not wizard.is_busy())
    spec = wizard.current_spec()
    assert spec is not None and spec.provider == "demo"
    window.submit(spec, wizard.table)
    # the first job list, still loading, may show the Jobs page a moment before the new job is selected
    wait_for(qtbot, lambda: window.pages.currentWidget() is window.jobs_stack and window.jobs_view.selected_job() is not None)
    job = window.jobs_view.selected_job()
    assert job is not None and job.name == "Review sentiment (sample)"
    wait_for(qtbot, lambda: state_of(controller, job.id) == "done")
    window.open_job(job.id)
    assert window.jobs_stack.currentWidget() is window.job_detail
    assert window.job_detail.rows_view.rows_model.rowCount() == 40

    window.jobs_view.select_job(job.id)
    window.jobs_view.actions_by_name["duplicate"].trigger()
    assert window.pages.currentWidget() is window.wizard
    wait_for(qtbot, lambda: wizard.table is not None and not wizard.is_busy())
    assert wizard.review_page.job_name() == "Review sentiment (sample)"

    window.show_page("settings")
    settings = window.settings_page
    assert isinstance(settings, SettingsPage)
    wait_for(qtbot, lambda: settings.key_rows["openai"].status.text() == "Not set")


def test_settings_save_keys_masked_and_keep_preferences(qtbot, keys: KeyStore) -> None:  # noqa: ANN001
    page = SettingsPage(keys)
    qtbot.addWidget(page)
    row = page.key_rows["openai"]
    row.entry.setText("sk-proj-" + "a" * 24 + "9876")  # a made-up example key
    with qtbot.waitSignal(page.keys_changed, timeout=WAIT_MS):
        row.save_button.click()
    wait_for(qtbot, lambda: row.status.text().startswith("sk-proj-…9876"))
    assert "a" * 8 not in row.status.text() and keys.get("openai") is not None
    assert row.entry.text() == ""

    assert preferences.POLL_SECONDS.get() == 30.0
    preferences.POLL_SECONDS.set(12.5)
    assert preferences.POLL_SECONDS.get() == 12.5
    preferences.POLL_SECONDS.set(0)  # below the declared minimum
    assert preferences.POLL_SECONDS.get() == preferences.POLL_SECONDS.minimum



def test_the_empty_data_step_offers_the_sample_project(qtbot, controller: JobsController) -> None:  # noqa: ANN001
    window = MainWindow(controller)
    qtbot.addWidget(window)
    drop_zone = window.wizard.data_page.drop_zone
    assert "Open the sample project" in drop_zone.text()
    drop_zone.linkActivated.emit("sample")
    wait_for(qtbot, lambda: window.wizard.table is not None and not window.wizard.is_busy())
    assert window.wizard.table.path.name == "reviews.csv"
    assert window.wizard.current_spec().provider == "demo"


def test_an_unexpected_bug_shows_a_plain_message_and_is_logged(qtbot, batchlab_home: Path) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QMessageBox, QWidget

    from app.ui.main import error_hook

    parent = QWidget()
    qtbot.addWidget(parent)
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError as exc:
        error_hook(parent)(type(exc), exc, exc.__traceback__)
    box = parent.findChild(QMessageBox, "errorDialog")
    assert box is not None and "unexpected problem (ZeroDivisionError)" in box.text()
    assert "Traceback" not in box.text() + box.informativeText() and "Nothing was lost" in box.informativeText()
    log = (batchlab_home / "logs" / "errors.log").read_text()
    assert "Traceback" in log and "ZeroDivisionError: division by zero" in log
