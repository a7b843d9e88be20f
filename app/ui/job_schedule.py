"""When each running job's next step is taken."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.errors import BatchLabError
from app.ui.job_summaries import JobSummaries
from app.ui.task_group import TaskGroup

if TYPE_CHECKING:
    from app.core.run.engine import Engine


class JobSchedule(QObject):
    """Calls ``Engine.advance`` for each unfinished job in the background: one single-shot timer per
    job honours the seconds the engine asked to wait, at most one advance per job is in flight, and
    one asked for "now" while an advance runs follows right after it. A job that stopped on a
    problem waits until it is resumed."""

    stopped = Signal(str, object)  # job id, the BatchLabError it stopped on

    def __init__(
        self, engine: Callable[[], Engine], tasks: TaskGroup, summaries: JobSummaries, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._tasks = tasks
        self._summaries = summaries
        self._timers: dict[str, QTimer] = {}
        self._advancing: set[str] = set()
        self._advance_again: set[str] = set()
        self._closing = False
        summaries.forgotten.connect(self._drop_timer)

    def schedule(self, job_id: str, seconds: float) -> None:
        """Advance the job in ``seconds`` (0: now, or right after the advance that is running)."""
        if self._closing:
            return
        if job_id in self._advancing:
            if seconds == 0:
                self._advance_again.add(job_id)
            return
        timer = self._timers.get(job_id)
        if timer is None:
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda: self._advance(job_id))
            self._timers[job_id] = timer
        timer.start(max(0, round(seconds * 1000)))

    def stop(self) -> None:
        """No more advances: the app is closing (work already running finishes on its own)."""
        self._closing = True
        for timer in self._timers.values():
            timer.stop()
        self._timers.clear()

    def _advance(self, job_id: str) -> None:
        if self._closing or job_id in self._advancing or self._summaries.problem(job_id) is not None:
            return
        self._advancing.add(job_id)

        def advanced(delay: float | None) -> None:
            self._advancing.discard(job_id)
            again = job_id in self._advance_again
            self._advance_again.discard(job_id)
            self._summaries.refresh(job_id)
            if delay is not None or again:
                self.schedule(job_id, 0 if again else delay or 0)
            else:
                self._drop_timer(job_id)

        def stopped(error: BatchLabError) -> None:
            self._advancing.discard(job_id)
            self._advance_again.discard(job_id)
            self._drop_timer(job_id)
            if self._summaries.hold(job_id, error):
                self.stopped.emit(job_id, error)

        self._tasks.run(lambda ctx: self._engine().advance(job_id), advanced, stopped)

    def _drop_timer(self, job_id: str) -> None:
        timer = self._timers.pop(job_id, None)
        if timer is not None:
            timer.stop()
            timer.deleteLater()
