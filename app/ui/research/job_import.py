"""File → Import: a replication package (.zip) as a read-only job, or a provider's results file into a job.

The import itself is app.core.research (package.import_package, provider_import.import_results_file),
run in the background; this only asks for the file (and, for a results file, the job it belongs
to) and says when the job is ready to open.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from app.core.errors import BatchLabError
from app.ui import preferences
from app.ui.dialogs import show_error
from app.ui.jobs_controller import JobsController
from app.ui.tasks import Task

FILTERS = "Replication package (*.zip);;Provider results file (*.jsonl);;All files (*)"


class JobImporter(QObject):
    """Imports files into the job history; ``imported`` carries the job id once the controller knows it."""

    imported = Signal(str)

    def __init__(self, controller: JobsController, parent: QWidget) -> None:
        super().__init__(parent)
        self.controller = controller
        self.window = parent
        self._pending: str | None = None
        controller.jobs_changed.connect(self._check)
        controller.job_changed.connect(lambda _: self._check())

    def choose(self) -> None:
        """Ask for a package or a results file (and for a results file, its job), then import it."""
        chosen, _ = QFileDialog.getOpenFileName(self.window, "Import", preferences.DEFAULT_FOLDER.get(), FILTERS)
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() == ".zip":
            self.import_package(path)
            return
        jobs = self.controller.jobs()
        labels = [f"{job.name} ({job.id})" for job in jobs]
        label, ok = QInputDialog.getItem(
            self.window, "Import provider results", "The job these results belong to:", labels, 0, False
        )
        if ok and label:
            self.import_results(jobs[labels.index(label)].id, path)

    def import_package(self, path: Path) -> None:
        """Restore a replication package as a new, read-only job."""
        from app.core.research.package import import_package

        self._start(lambda: import_package(self.controller.engine, path))

    def import_results(self, job_id: str, path: Path) -> None:
        """Read a results file downloaded from the provider's console into ``job_id``."""
        from app.core.research.provider_import import import_results_file

        def work() -> str:
            import_results_file(self.controller.engine, job_id, path)
            return job_id

        self._start(work)

    def _start(self, work: object) -> None:
        task = Task(self, lambda _: work())  # type: ignore[operator]
        task.on_done(self._done).on_error(self._failed).on_finished(task.deleteLater).start()

    def _done(self, job_id: str) -> None:
        self._pending = job_id
        self.controller.resume(job_id)  # the controller reads its summary (and finishes it if it can)
        self._check()

    def _check(self) -> None:
        if self._pending and self.controller.job(self._pending) is not None:
            job_id, self._pending = self._pending, None
            self.imported.emit(job_id)

    def _failed(self, error: BatchLabError) -> None:
        show_error(self.window, error)
