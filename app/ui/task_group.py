"""Background tasks started by one owner, held until each has reported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from app.core.errors import BatchLabError
from app.ui.tasks import Task, TaskContext


class TaskGroup(QObject):
    """Runs work in the thread pool and keeps each task until it has reported, then frees it: so
    the owner can tell whether any of its work is still running (tests and shutdown wait on that)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[Task] = set()

    def run(
        self,
        work: Callable[[TaskContext], Any],
        done: Callable[[Any], None],
        failed: Callable[[BatchLabError], None],
        progress: Callable[[int, int], None] | None = None,
        finished: Callable[[], None] | None = None,
    ) -> Task:
        """Start ``work``; ``done`` or ``failed``, then ``finished``, are called on the UI thread."""
        task = Task(self, work).on_done(done).on_error(failed)
        if progress is not None:
            task.with_progress(progress)
        if finished is not None:
            task.on_finished(finished)
        self._tasks.add(task)

        def drop() -> None:
            self._tasks.discard(task)
            task.deleteLater()

        task.on_finished(drop)
        return task.start()

    def busy(self) -> bool:
        """Whether any task has not reported yet."""
        return bool(self._tasks)
