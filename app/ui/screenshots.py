"""Pictures of every main screen, rendered offscreen: ``python -m app screenshots --out DIR``.

Everything happens in a throwaway data folder, settings file and in-memory key store: the sample
project is loaded into the wizard and one Demo job runs to the end (with one request refused, so
the row filters have something to show). The person's own jobs, settings and keys are never read.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QSettings, QThreadPool
from PySide6.QtWidgets import QApplication, QWidget

from app.core.keys import MemoryKeyring
from app.core.paths import HOME_ENV

_SIZE = (1200, 800)
_WIZARD_FILES = ("1-data", "2-instructions", "3-output-fields", "4-model", "5-review")
#: A request containing this sample review is refused by the demo service.
_REFUSED_TEXT = "It's a blender."


class _ThrowawayKeyring(MemoryKeyring):
    """Keys in a dict, so rendering the Settings page never touches the real keychain."""

    name = "the system keyring"


@contextmanager
def _isolated(folder: Path) -> Iterator[Path]:
    """A temporary data folder and settings file for the length of the block."""
    saved = {name: os.environ.get(name) for name in (HOME_ENV, "BATCHLAB_DEMO_STEP_SECONDS")}
    home = folder / "home"
    home.mkdir()
    os.environ[HOME_ENV] = str(home)
    os.environ["BATCHLAB_DEMO_STEP_SECONDS"] = "0.05"
    previous_format = QSettings.defaultFormat()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder / "settings"))
    try:
        yield home
    finally:
        QSettings.setDefaultFormat(previous_format)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _wait(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Let the event loop run until ``condition`` holds (background tasks report through it)."""
    app = QApplication.instance()
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screens did not settle in time for the screenshots")
        app.processEvents()
        time.sleep(0.01)


def _settle(delay: float = 0.15) -> None:
    """Process events for a moment, so layouts, styles and queued updates are done."""
    end = time.monotonic() + delay
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def _shoot_export_and_smallest(window: QWidget, job_id: str, shoot: Callable[[QWidget, str], None]) -> None:
    """The export dialog, then every wizard step, the jobs and a job's rows, and Settings again at the
    window's minimum size (nothing may be cut off)."""
    from app.ui.export_dialog import ExportDialog

    dialog = ExportDialog(window.controller, job_id, window)  # type: ignore[attr-defined]
    dialog.show()
    shoot(dialog, "export-dialog")
    dialog.close()
    dialog.deleteLater()
    size = window.size()
    window.resize(window.minimumSize())
    wizard = window.wizard  # type: ignore[attr-defined]
    window.show_page("new")  # type: ignore[attr-defined]
    for index, name in enumerate(_WIZARD_FILES):
        wizard.go_to(index)
        shoot(window, f"min-{name}")
    window.show_page("jobs")  # type: ignore[attr-defined]
    shoot(window, "min-6-jobs")
    window.open_job(job_id)  # type: ignore[attr-defined]
    window.job_detail.rows_view.rows.selectRow(1)  # type: ignore[attr-defined]
    shoot(window, "min-7-job-rows")
    window.show_page("settings")  # type: ignore[attr-defined]
    shoot(window, "min-8-settings")
    window.resize(size)


def render_screenshots(out_dir: Path) -> list[Path]:
    """Render each wizard step, the jobs list, a finished job's rows and settings, and Settings to PNG."""
    from app.core.run.engine import Engine
    from app.core.keys import KeyStore
    from app.core.run.providers.demo import demo_service, stop_demo_services
    from app.core.spec import load_spec
    from app.ui.jobs_controller import JobsController
    from app.ui.main import configure
    from app.ui.resources import SAMPLE_SPEC
    from app.ui.main_window import MainWindow
    from app.ui.research.screenshots import shoot_research

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    configure(app)
    written: list[Path] = []

    def shoot(widget: QWidget, name: str) -> None:
        _settle()
        path = out_dir / f"{name}.png"
        widget.grab().save(str(path))
        written.append(path)

    with tempfile.TemporaryDirectory(prefix="batchlab-shots-") as tmp, _isolated(Path(tmp)) as home:
        keys = KeyStore(_ThrowawayKeyring())
        keys.set("openai", "sk-proj-" + "x" * 24 + "7421")  # an example key, to show how a saved key is masked
        engine = Engine(home, keys, poll_interval=0.1)
        demo_service().configure(text_rules=[{"contains": _REFUSED_TEXT, "outcome": "refusal"}])
        job_id = engine.create_job(load_spec(SAMPLE_SPEC))
        engine.run(job_id, wait=True)

        controller = JobsController(engine)
        window = MainWindow(controller)
        try:
            window.resize(*_SIZE)
            window.show()
            controller.start()
            _wait(lambda: controller.job(job_id) is not None and not controller.is_busy())

            window.open_sample_project()
            wizard = window.wizard
            _wait(lambda: wizard.table is not None and not wizard.is_busy())
            for index, name in enumerate(_WIZARD_FILES):
                wizard.go_to(index)
                _wait(lambda: not wizard.is_busy())
                shoot(window, name)

            window.show_page("jobs")
            window.jobs_view.select_job(job_id)
            shoot(window, "6-jobs")

            window.open_job(job_id)
            detail = window.job_detail
            detail.rows_view.rows.selectRow(1)
            detail.rows_view.show_raw_response()
            _wait(lambda: detail.rows_view.row_detail.raw_button.isEnabled())
            shoot(window, "7-job-rows")
            detail.tabs.setCurrentIndex(1)
            shoot(window, "8-job-settings")

            window.show_page("settings")
            shoot(window, "9-settings")
            _shoot_export_and_smallest(window, job_id, shoot)
            shoot_research(window, job_id, shoot, _wait, _SIZE)
        finally:
            controller.shutdown()
            QThreadPool.globalInstance().waitForDone(10_000)
            window.close()
            window.deleteLater()
            _settle(0.05)
            stop_demo_services()
            engine.store.close()
    return written
