"""The Data step's check of the loaded table (IDs, blank texts, unreadable letters), in the background."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.errors import BatchLabError
from app.ui.common import while_alive
from app.ui.tasks import Task

if TYPE_CHECKING:
    from app.core.data import DataIssue, Table

#: Choices made in quick succession (the ID column, then the template) start one check, not several.
_SETTLE_MS = 120


class DataCheck(QObject):
    """Checks a table for the chosen ID column and text columns; the latest choice wins."""

    #: The findings of the latest check are in (see :attr:`issues`).
    done = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._issues: list[DataIssue] | None = None
        self._task: Task | None = None
        self._generation = 0
        self._asked: tuple[Table, str | None, list[str]] | None = None
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(_SETTLE_MS)
        self._settle.timeout.connect(self._start)

    @property
    def issues(self) -> list[DataIssue] | None:
        """The problems found (None while a check is due or running, or when nothing was asked)."""
        return self._issues

    def ask(self, table: Table, id_column: str | None, text_columns: list[str]) -> None:
        """Check ``table`` for these choices soon; findings of earlier choices are forgotten."""
        self._issues = None
        self._asked = (table, id_column, [c for c in text_columns if c in table.columns])
        self._settle.start()

    def forget(self) -> None:
        """No table any more: drop the findings and ignore a check still running."""
        self._settle.stop()
        self._generation += 1
        self._issues, self._asked = None, None

    def _start(self) -> None:
        from app.core.data import check_table

        if self._asked is None:
            return
        table, id_column, texts = self._asked
        if self._task is not None and self._task.running:
            self._task.cancel()
        self._generation += 1
        generation = self._generation
        self._task = (
            Task(self, lambda _context: check_table(table, id_column, texts))
            .on_done(while_alive(self, lambda issues: self._finished(generation, issues)))
            .on_error(while_alive(self, lambda error: self._failed(generation, error)))
            .start()
        )

    def _finished(self, generation: int, issues: list[DataIssue]) -> None:
        if generation == self._generation:
            self._issues = issues
            self.done.emit()

    def _failed(self, generation: int, error: BatchLabError) -> None:
        from app.core.data import DataIssue

        self._finished(generation, [DataIssue("check", [], error.message, True)])
