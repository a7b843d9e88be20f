"""News from the jobs controller, told to the person: problems, finished jobs, exports."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMainWindow, QSystemTrayIcon

from app.core.errors import BatchLabError
from app.ui import preferences
from app.ui.dialogs import show_error
from app.ui.jobs_controller import JobsController
from app.ui.resources import app_icon
from app.ui.tasks import is_cancellation


class JobNotices(QObject):
    """Tells the person what happened to their jobs while they may be looking elsewhere: a problem
    in a dialog (not a stop they asked for), a finished job in the desktop's tray when the window is
    not active and the preference asks for it (else in the status bar), an export's file there too."""

    def __init__(self, window: QMainWindow, controller: JobsController) -> None:
        super().__init__(window)
        self._window = window
        self._controller = controller
        self.tray = self._make_tray()
        controller.error.connect(self._error)
        controller.job_finished.connect(self._job_finished)
        controller.exported.connect(lambda _, path: window.statusBar().showMessage(f"Exported to {path}", 15000))

    def _make_tray(self) -> QSystemTrayIcon | None:
        """A tray icon for "job finished" notices, where the desktop has a tray."""
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(app_icon(), self._window)
        tray.setToolTip("BatchLab")
        tray.show()
        return tray

    def _error(self, _job_id: str, error: BatchLabError) -> None:
        if not is_cancellation(error):
            show_error(self._window, error)

    def _job_finished(self, job_id: str) -> None:
        job = self._controller.job(job_id)
        if job is None:
            return
        title = f"{job.name}: {'finished' if job.state == 'done' else job.state}"
        if self.tray is not None and preferences.NOTIFY_WHEN_DONE.get() and not self._window.isActiveWindow():
            self.tray.showMessage(title, job.message, app_icon(), 10000)
        else:
            self._window.statusBar().showMessage(f"{title}. {job.message}", 15000)
