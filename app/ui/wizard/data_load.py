"""Reading the Data step's file in the background, one reading at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.core.errors import BatchLabError
from app.ui.common import while_alive
from app.ui.tasks import HEAVY_IMPORTS, Task, TaskContext

if TYPE_CHECKING:
    from app.core.data import LoadOptions, Table


class TableLoad(QObject):
    """Reads a data file off the window's thread; a new reading or a cancel silences the one before."""

    progressed = Signal(int, int)  # done, total
    #: The table, its file's sheets, and the ID column guessed for it (None: none looks like one).
    loaded = Signal(object, list, object)
    failed = Signal(object)  # BatchLabError, a cancellation included

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._task: Task | None = None
        self._generation = 0

    def start(self, path: Path, options: LoadOptions) -> None:
        """Read ``path`` with ``options``, instead of any reading still running."""
        self.cancel()
        generation = self._generation

        def work(context: TaskContext) -> tuple[Table, list[str], str | None]:
            with HEAVY_IMPORTS:
                from app.core.data import find_id_column, load_table
            table = load_table(path, options=options, progress=context.progress, should_cancel=context.should_cancel)
            # guessed here: without a telling column name it looks at every row of the first column
            return table, table.layout.sheets, find_id_column(table)

        def current(report: Callable[..., None]) -> Callable[..., None]:
            """``report``, unless another reading was asked for since (or this one was cancelled)."""
            return while_alive(self, lambda *args: report(*args) if generation == self._generation else None)

        self._task = (
            Task(self, work)
            .with_progress(current(self.progressed.emit))
            .on_done(current(self._done))
            .on_error(current(self._failed))
            .start()
        )

    def cancel(self) -> bool:
        """Stop the reading under way, whose reports are ignored from now on; False if there was none."""
        self._generation += 1
        task, self._task = self._task, None
        if task is None or not task.running:
            return False
        task.cancel()
        return True

    def is_running(self) -> bool:
        return self._task is not None and self._task.running

    def _done(self, result: tuple[Table, list[str], str | None]) -> None:
        self._task = None
        self.loaded.emit(*result)

    def _failed(self, error: BatchLabError) -> None:
        self._task = None
        self.failed.emit(error)
