"""The window comes up with only what its first screen needs; the engine, the data readers and the
other screens follow when needed (how fast is measured by benchmarks/startup.py, not here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QLabel

from app.core.keys import KeyStore
from app.core.run.engine import Engine
from app.ui.jobs_controller import JobsController
from app.ui.jobs_view import JobsView

ROOT = Path(__file__).resolve().parents[2]

#: Starts the window as ``python -m app`` does (QSettings and the keyring kept away from the real
#: ones), then reports what was imported and built before and after the engine arrived.
_START = """
import json, sys
from PySide6.QtCore import QSettings, QThreadPool
from PySide6.QtWidgets import QApplication, QLabel
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
from app.ui.jobs_controller import JobsController
from app.ui.main import configure
from app.ui.main_window import MainWindow

HEAVY = ("pandas", "app.core.run.engine", "app.core.run.providers", "app.ui.job_detail", "app.ui.jobs_view",
         "app.ui.settings_page", "app.ui.wizard.model_page", "app.ui.wizard.review_page", "sklearn", "matplotlib")
app = QApplication([])
configure(app)
controller = JobsController()
window = MainWindow(controller)
window.show()
app.processEvents()
shown = {"imported": [m for m in HEAVY if m in sys.modules], "steps": [window.wizard.built(i) for i in range(5)]}
controller.start()
while not controller.loaded():
    QThreadPool.globalInstance().waitForDone(100)
    app.processEvents()
for _ in range(50):  # the other steps follow, one per turn of the event loop
    app.processEvents()
window.show_page("jobs")
for _ in range(20):  # then the batch SDK is imported in the background, and the tokenizer made
    QThreadPool.globalInstance().waitForDone(60_000)
    app.processEvents()
later = {"imported": [m for m in HEAVY if m in sys.modules], "jobs": window.jobs_view.findChild(QLabel, "emptyState").text(),
         "steps": [window.wizard.built(i) for i in range(5)], "sdk": "openai" in sys.modules, "tokenizer": "tiktoken" in sys.modules}
print(json.dumps({"shown": shown, "later": later}))
"""


def test_the_window_shows_before_the_engine_and_builds_other_screens_later(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BATCHLAB_HOME": str(tmp_path / "home"),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    result = subprocess.run(
        [sys.executable, "-c", _START, str(tmp_path / "settings")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["shown"] == {"imported": [], "steps": [True, False, False, False, False]}
    later = set(report["later"]["imported"])
    assert {"app.core.run.engine", "app.ui.jobs_view", "app.ui.wizard.review_page"} <= later  # made while idle
    assert not later & {"app.ui.job_detail", "app.ui.settings_page", "sklearn", "matplotlib"}  # never opened
    assert "No jobs yet" in report["later"]["jobs"]
    assert report["later"]["steps"] == [True] * 5  # built while idle, not on the first click
    assert report["later"]["sdk"]  # imported while idle too, not by the first job on its way out
    assert report["later"]["tokenizer"]  # made while idle, not by the first Review


def test_the_jobs_list_says_it_is_reading_until_the_history_is_read(qtbot, batchlab_home: Path, keys: KeyStore) -> None:  # noqa: ANN001
    controller = JobsController(Engine(batchlab_home, keys))
    view = JobsView(controller)
    qtbot.addWidget(view)
    empty = view.findChild(QLabel, "emptyState")
    assert "Reading your jobs" in empty.text()  # not "No jobs yet" before the history was read
    with qtbot.waitSignal(controller.jobs_changed, timeout=10_000):
        controller.start()
    assert "No jobs yet" in empty.text()
