"""Every job's latest summary, kept fresh in the background for screens to read at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.core.errors import BatchLabError, JobError
from app.ui.task_group import TaskGroup
from app.ui.tasks import TaskContext

if TYPE_CHECKING:
    from app.core.run.engine import Engine, JobSummary


class JobSummaries(QObject):
    """The cache of job summaries, and of the problem each stopped job stopped on.

    Screens read it without waiting on the engine. The engine's listener (:meth:`listen`) only posts
    a job's id, from whichever thread changed the job; the summary is then read in the background,
    and the requests that come while one read runs become a single read after it.
    """

    job_changed = Signal(str)  # a job's summary (or its problem) changed
    jobs_changed = Signal()  # a job was added or removed
    job_finished = Signal(str)  # a job reached done, failed or cancelled
    forgotten = Signal(str)  # a job was deleted: nothing more should be done for it

    _touched = Signal(str)  # from the engine's listener, on any thread

    def __init__(self, engine: Callable[[], Engine], tasks: TaskGroup, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engine = engine
        self._tasks = tasks
        self._summaries: dict[str, JobSummary] = {}
        self._problems: dict[str, BatchLabError] = {}
        self._refreshing: set[str] = set()
        self._stale: set[str] = set()
        self._loaded = False
        self._closing = False
        self._touched.connect(self.refresh, Qt.ConnectionType.QueuedConnection)

    # ---- reading -------------------------------------------------------------------------------
    def loaded(self) -> bool:
        """Whether the job history has been read (until then an empty job list means "not known yet")."""
        return self._loaded

    def jobs(self) -> list[JobSummary]:
        """Every known job, newest first."""
        return sorted(self._summaries.values(), key=lambda j: (j.created_at, j.id), reverse=True)

    def job(self, job_id: str) -> JobSummary | None:
        return self._summaries.get(job_id)

    def problem(self, job_id: str) -> BatchLabError | None:
        """Why a job stopped moving until it is resumed; None when it is fine."""
        return self._problems.get(job_id)

    def stalled(self) -> list[str]:
        """The jobs stopped on a problem."""
        return list(self._problems)

    # ---- changing ------------------------------------------------------------------------------
    def load(self, jobs: list[JobSummary]) -> None:
        """The whole job history, as read at start."""
        self._summaries = {j.id: j for j in jobs}
        self._loaded = True
        self.jobs_changed.emit()

    def hold(self, job_id: str, error: BatchLabError) -> bool:
        """The job stopped on ``error``: kept with it until resumed. False for a job deleted meanwhile."""
        if isinstance(error, JobError) and job_id not in self._summaries:
            return False
        self._problems[job_id] = error
        self.refresh(job_id)
        self.job_changed.emit(job_id)
        return True

    def release(self, job_id: str) -> None:
        """The job is being resumed: its problem is forgotten."""
        if self._problems.pop(job_id, None) is not None:
            self.job_changed.emit(job_id)

    def store(self, summary: JobSummary) -> None:
        before = self._summaries.get(summary.id)
        self._summaries[summary.id] = summary
        if before is None:
            self.jobs_changed.emit()
            return
        self.job_changed.emit(summary.id)
        if summary.finished and not before.finished:
            self.job_finished.emit(summary.id)

    def forget(self, job_id: str) -> None:
        self.forgotten.emit(job_id)
        self._problems.pop(job_id, None)
        if self._summaries.pop(job_id, None) is not None:
            self.jobs_changed.emit()

    def close(self) -> None:
        """No more reads: the app is closing."""
        self._closing = True

    # ---- keeping fresh -------------------------------------------------------------------------
    def listen(self, job_id: str) -> None:
        """The engine's listener: runs on whichever thread changed the job, so only post the id."""
        if not self._closing:
            self._touched.emit(job_id)

    @Slot(str)
    def refresh(self, job_id: str) -> None:
        """Read the job's summary in the background; several requests while one runs become one more."""
        if self._closing:
            return
        if job_id in self._refreshing:
            self._stale.add(job_id)
            return
        self._refreshing.add(job_id)

        def work(ctx: TaskContext) -> JobSummary | None:
            try:
                return self._engine().job(job_id)
            except JobError:
                return None  # deleted

        def read(summary: JobSummary | None) -> None:
            self._refreshing.discard(job_id)
            if summary is None:
                self.forget(job_id)
            else:
                self.store(summary)
            if job_id in self._stale:
                self._stale.discard(job_id)
                self.refresh(job_id)

        def failed(_: BatchLabError) -> None:
            self._refreshing.discard(job_id)
            self._stale.discard(job_id)

        self._tasks.run(work, read, failed)
