"""A job's rows beside their texts, as a window over SQLite queries so a million-row job opens at once.

A query (status, field values, search, order) resolves to the ordered positions of the rows it
matches, in one pass, in the background for large jobs; ``rowCount`` is their number. A row's page
is read when the view first paints it (a lookup of 200 positions, never a provider call) and only
recent pages are kept. So scrolling, Ctrl+End and a jump to any row of any query cost one page.
Filtering, sorting and searching are app.core.results.row_query's; the model holds the result.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from app.core.research.quotes import quote_fields, quote_in_text
from app.core.results.row_query import JobRows, RowQuery, RowView
from app.core.run.jobs import BLANK_REASON
from app.ui.tasks import Task

PAGE = 200
_KEPT_PAGES = 32
#: Up to this many rows in a job, a query runs at once on the UI thread (well under 0.1 s).
QUERY_AT_ONCE = 50_000
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
#: A blank text is not an invalid answer: nothing was sent, so there is nothing to fix or retry.
BLANK_LABEL = "Blank text"
_BLANK_COLOUR = QColor("#667085")


def status_label(row: RowView) -> str:
    return BLANK_LABEL if _is_blank(row) else STATUS_LABELS.get(row.status, row.status)


def _is_blank(row: RowView) -> bool:
    return row.status == "invalid" and row.reason == BLANK_REASON


def _quote_found(row: RowView, field: str) -> str:
    """yes/no: is this coded row's answer a verbatim quote of its text ("" until both are known)."""
    answer = row.values.get(field)
    if row.status != "coded" or row.text is None or not isinstance(answer, str):
        return ""
    return "yes" if quote_in_text(answer, row.text) else "no"


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


@dataclass(frozen=True)
class Column:
    """A column of the rows view: its header, the sort key it sorts by (None: not sortable), its cell."""

    title: str
    sort: str | None
    cell: Callable[[RowView], str]


class RowsModel(QAbstractTableModel):
    """Row, the person's ID, status, text, one column per output field, reason; input columns on demand."""

    querying = Signal(bool)  # a query runs in the background (True) or has been applied (False)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: JobRows | None = None
        self._query = RowQuery()
        self._positions: array[int] = array("q")
        self._job_rows = 0
        self._generation = 0
        self._task: Task | None = None
        self._pages: OrderedDict[int, list[RowView]] = OrderedDict()
        self._columns: list[Column] = []
        self._id_column: str | None = None
        self._fields: list[str] = []
        self._quote_fields: list[str] = []
        self._inputs: list[str] = []

    # ---- what is shown -------------------------------------------------------------------------
    def show_job(self, rows: JobRows | None) -> None:
        """Show a job's rows (None: nothing), all of them, in spreadsheet order."""
        self._rows = rows
        self._id_column = rows.spec.id_column if rows else None
        self._fields = [f.name for f in rows.spec.fields] if rows else []
        self._quote_fields = [f.name for f in quote_fields(rows.spec)] if rows else []
        self._inputs = []
        self._job_rows = rows.count(RowQuery()) if rows else 0
        self._apply(self._generation, array("q"))  # nothing of the job shown before stays
        self.set_query(RowQuery())

    def set_query(self, query: RowQuery) -> None:
        """Show the rows this query matches, in its order (for a large job, once it has run)."""
        self._query = query
        self._generation += 1
        rows = self._rows
        if rows is None or self._job_rows <= QUERY_AT_ONCE:
            self._apply(self._generation, rows.positions(query) if rows else array("q"))
            return
        generation, history, job_id, spec, cache = self._generation, rows.history, rows.job_id, rows.spec, rows.cache

        def work(_context: object) -> array[int]:
            own = JobRows(history, job_id, spec, cache)  # a connection of the worker thread's own
            try:
                return own.positions(query)
            finally:
                own.close()

        self._task = Task(self, work).on_done(lambda found: self._apply(generation, found))
        self._task.on_error(lambda _error: self.querying.emit(False)).start()
        self.querying.emit(True)

    def is_querying(self) -> bool:
        return self._task is not None and self._task.running

    def _apply(self, generation: int, positions: array[int]) -> None:
        if generation != self._generation:
            return  # a newer query was asked for meanwhile
        self.beginResetModel()
        self._positions = positions
        self._pages.clear()
        self._columns = self._make_columns()
        self.endResetModel()
        self.querying.emit(False)

    def reload(self) -> None:
        """Read again (the job's rows changed, or their texts are ready)."""
        self.set_query(self._query)

    def show_inputs(self, columns: list[str]) -> None:
        """Add these input columns of the data at the right (none: hide them)."""
        self._inputs = list(columns)
        self.reload()

    @property
    def query(self) -> RowQuery:
        return self._query

    @property
    def rows(self) -> JobRows | None:
        return self._rows

    def row_view(self, row: int) -> RowView:
        page = self._page(row // PAGE)
        return page[row % PAGE]

    def column_titles(self) -> list[str]:
        return [c.title for c in self._columns]

    def _make_columns(self) -> list[Column]:
        columns = [Column("Row", "row", lambda r: "" if r.sheet_row is None else str(r.sheet_row))]
        if self._id_column:
            columns.append(Column(self._id_column, "id", lambda r: r.row_id))
        columns += [
            Column("Status", "status", status_label),
            Column("Text", "text", lambda r: "…" if r.text is None else " ".join(r.text.split())),
        ]
        columns += [Column(name, name, lambda r, n=name: show_value(r.values.get(n))) for name in self._fields]
        columns += [Column(f"{name}: quote in text", None, lambda r, n=name: _quote_found(r, n)) for name in self._quote_fields]
        columns.append(Column("Reason", "reason", lambda r: r.reason))
        columns += [Column(name, None, lambda r, n=name: r.inputs.get(n, "")) for name in self._inputs]
        return columns

    def _page(self, number: int) -> list[RowView]:
        page = self._pages.get(number)
        if page is None:
            assert self._rows is not None
            page = self._rows.rows_at(self._positions[number * PAGE : (number + 1) * PAGE])
            self._pages[number] = page
            if len(self._pages) > _KEPT_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return page

    # ---- Qt model ------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._positions)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns[section].title if 0 <= section < len(self._columns) else None
        return section + 1

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._positions):
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole,
                        ROW_ROLE):
            return None
        page = self._page(index.row() // PAGE)
        if index.row() % PAGE >= len(page):
            return None  # the job changed since the count: the next reload fixes it
        row = page[index.row() % PAGE]
        column = self._columns[index.column()]
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ForegroundRole:
            if column.sort != "status":
                return None
            return _BLANK_COLOUR if _is_blank(row) else STATUS_COLOURS.get(row.status)
        if role == Qt.ItemDataRole.ToolTipRole and column.sort == "text":
            return row.text
        return column.cell(row)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._columns) or self._columns[column].sort is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        self.set_query(replace(self._query, sort=self._columns[column].sort, descending=descending))
