"""Edit → Undo and Redo for the output fields."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.core.spec import FieldSpec
from app.ui.models.fields_model import FieldsModel


def _copies(fields: list[FieldSpec]) -> list[FieldSpec]:
    return [replace(f) for f in fields]


class _FieldsChange(QUndoCommand):
    """One change to the fields list, kept as the list before and after (fields are small).

    Typing in the editor changes the same field many times; those changes merge into one step."""

    def __init__(self, history: FieldsHistory, before: list[FieldSpec], after: list[FieldSpec], row: int | None) -> None:
        super().__init__("change the output fields")
        self._history, self._before, self._after, self._row = history, before, after, row
        self._done = True  # the change has happened already when it is recorded

    def id(self) -> int:
        return 1 if self._row is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _FieldsChange) or other._row != self._row:
            return False
        self._after = other._after
        return True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._history._restore(self._after, self._row)

    def undo(self) -> None:
        self._history._restore(self._before, self._row)


class FieldsHistory(QUndoStack):
    """The fields list's undo history, recorded after each change to the model.

    Undo and redo ask the page to show an earlier list (``restore``) instead of changing the model
    behind its back, so the selection and the editor follow.
    """

    restore = Signal(list, object)  # the fields to show, the row to select (or None)

    def __init__(self, model: FieldsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._recorded: list[FieldSpec] = []  # the fields as the history last saw them
        self._restoring = False
        self._typing_row: int | None = None

    def record(self) -> None:
        """Put the change just made on the stack (unless it is an undo or redo itself)."""
        now = _copies(self._model.fields())
        if self._restoring or now == self._recorded:
            return
        self.push(_FieldsChange(self, self._recorded, now, self._typing_row))
        self._recorded = now

    @contextmanager
    def typing_in(self, row: int | None) -> Iterator[None]:
        """Changes recorded meanwhile merge with the typing before them in ``row`` (None: a step of their own)."""
        self._typing_row = row
        try:
            yield
        finally:
            self._typing_row = None

    def forget(self) -> None:
        """Start a new history from the fields shown now (a new or reopened job)."""
        self.clear()
        self._recorded = _copies(self._model.fields())

    def _restore(self, fields: list[FieldSpec], row: int | None) -> None:
        self._restoring = True
        try:
            self.restore.emit(fields, row)
            self._recorded = _copies(fields)
        finally:
            self._restoring = False
