"""A job's coded rows, read page by page so a job of a million rows opens at once.

The model knows how many rows the current filter holds (from the job's status counts) and asks
the engine for the next page only when the view scrolls near the end (canFetchMore/fetchMore).
A page is one indexed read from the local job history, never a provider call.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from app.core.run.engine import Engine, RowResult

PAGE = 500
ROW_ROLE = Qt.ItemDataRole.UserRole + 1

#: Row statuses in plain words (the stored word stays in exports).
STATUS_LABELS = {
    "coded": "Coded",
    "failed": "Failed",
    "refused": "Refused",
    "truncated": "Cut off",
    "invalid": "Invalid answer",
    "missing": "No answer",
    "pending": "Waiting",
}
STATUS_COLOURS = {
    "coded": QColor("#1e7d45"),
    "failed": QColor("#b42318"),
    "refused": QColor("#b54708"),
    "truncated": QColor("#b54708"),
    "invalid": QColor("#b42318"),
    "missing": QColor("#b54708"),
    "pending": QColor("#667085"),
}


def show_value(value: Any) -> str:
    """A coded value as a cell shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class RowsModel(QAbstractTableModel):
    """Row ID, status, the reason for any row that is not coded, and one column per output field."""

    def __init__(self, engine: Engine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engine = engine
        self._job_id: str | None = None
        self._fields: list[str] = []
        self._status: str | None = None
        self._total = 0
        self._rows: list[RowResult] = []

    # ---- what is shown -------------------------------------------------------------------------
    def show_job(self, job_id: str, fields: list[str], total: int) -> None:
        """Show every row of a job; ``total`` is how many it has. The first page is read at once."""
        self._job_id, self._fields = job_id, list(fields)
        self.set_filter(None, total)

    def set_filter(self, status: str | None, total: int) -> None:
        """Show only rows with ``status`` (None: every row); ``total`` is how many there are."""
        self.beginResetModel()
        self._status, self._total, self._rows = status, total, []
        self.endResetModel()
        self.fetchMore()

    def reload(self, total: int) -> None:
        """Read again from the start (the job's rows changed)."""
        self.set_filter(self._status, total)

    @property
    def status(self) -> str | None:
        return self._status

    def row_result(self, row: int) -> RowResult:
        return self._rows[row]

    # ---- Qt model ------------------------------------------------------------------------------
    def _columns(self) -> list[str]:
        return ["Row ID", "Status", "Reason", *self._fields]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._fields) + 3

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns()[section]
        return section + 1

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == 0:
                return row.row_id
            if column == 1:
                return STATUS_LABELS.get(row.status, row.status)
            if column == 2:
                return row.reason
            return show_value(row.values.get(self._fields[column - 3]))
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return STATUS_COLOURS.get(row.status)
        if role == ROW_ROLE:
            return row
        return None

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and self._job_id is not None and len(self._rows) < self._total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if parent.isValid() or self._job_id is None:
            return
        page = self._engine.rows(self._job_id, self._status, offset=len(self._rows), limit=PAGE)
        if not page:
            self._total = len(self._rows)  # fewer rows than counted: stop asking
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()
