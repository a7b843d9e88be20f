"""The job list as a table model over the controller's cached summaries (never the engine itself)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.core.run.engine import JobSummary
from app.core.errors import BatchLabError
from app.core.run.providers import LABELS
from app.ui.jobs_controller import JobsController

COLUMNS = ("Name", "Provider and model", "Rows", "Status", "Progress", "Created", "Finished", "Cost")
NAME, MODEL, ROWS, STATUS, PROGRESS, CREATED, FINISHED, COST = range(len(COLUMNS))

JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 3  # 0..1, drawn as a bar by the view's delegate

#: Job states in plain words.
STATE_LABELS = {
    "preparing": "Preparing",
    "ready": "Ready to send",
    "submitting": "Sending",
    "running": "At the provider",
    "downloading": "Downloading",
    "parsing": "Reading results",
    "done": "Done",
    "failed": "Failed",
    "cancelling": "Cancelling",
    "cancelled": "Cancelled",
}
NEEDS_ATTENTION = "Needs attention"
STATE_COLOURS = {
    "done": QColor("#1e7d45"),
    "failed": QColor("#b42318"),
    "cancelled": QColor("#667085"),
    "cancelling": QColor("#b54708"),
    NEEDS_ATTENTION: QColor("#b42318"),
}
RUNNING_COLOUR = QColor("#1d5fbf")
_ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def money(value: float | None) -> str:
    """A cost for display; small sums keep their cents' fractions so a demo job is not "$0.00"."""
    if value is None:
        return "—"
    if 0 < value < 0.01:
        return "< $0.01"
    return f"${value:,.2f}"


def when(value: dt.datetime | None) -> str:
    """A stored UTC time in the person's local time, short: "22 Nov 14:05" (the year only when it differs)."""
    if value is None:
        return "—"
    local = value.astimezone()
    return local.strftime("%d %b %H:%M" if local.year == dt.datetime.now().year else "%d %b %Y %H:%M").lstrip("0")


def cost_text(job: JobSummary) -> str:
    """What the job cost, or before any row is paid for, the estimate ("≈ $1.20")."""
    if job.actual_cost is not None or job.finished:
        return money(job.actual_cost or 0.0)
    return "—" if job.estimated_cost is None else f"≈ {money(job.estimated_cost)}"


def cost_tooltip(job: JobSummary) -> str:
    estimate = "unknown" if job.estimated_cost is None else money(job.estimated_cost)
    actual = "nothing yet" if job.actual_cost is None else money(job.actual_cost)
    return f"Estimated before sending: {estimate}. Charged so far: {actual} (at batch prices)."


def state_label(job: JobSummary, has_problem: bool) -> str:
    """The job's state in plain words; a job stopped by a problem says it needs attention."""
    if has_problem and not job.finished:
        return NEEDS_ATTENTION
    return STATE_LABELS.get(job.state, job.state)


def problem_text(error: BatchLabError) -> str:
    """What stopped a job and what to do about it, in one line."""
    return f"{error.message} {error.hint}".strip()


def progress_text(job: JobSummary) -> str:
    """Progress in words: the provider's request counts while running, row outcomes once finished."""
    if job.finished or not job.provider_total:
        coded = job.status_counts.get("coded", 0)
        return f"{coded:,} of {job.rows_total:,} rows coded"
    handled = job.provider_done + job.provider_failed
    text = f"{handled:,} of {job.provider_total:,} requests"
    return text + (f" ({job.provider_failed:,} failed)" if job.provider_failed else "")


def progress_value(job: JobSummary) -> float:
    """The bar's fill (0..1); a job that was stopped shows how much of it got coded, not that it ended."""
    if job.state in ("cancelled", "failed"):
        return job.status_counts.get("coded", 0) / job.rows_total if job.rows_total else 0.0
    if job.finished or not job.provider_total:
        return job.progress
    return (job.provider_done + job.provider_failed) / job.provider_total


class JobsModel(QAbstractTableModel):
    """One row per job, newest first; follows the controller's signals row by row."""

    def __init__(self, controller: JobsController) -> None:
        super().__init__(controller)
        self._controller = controller
        self._ids: list[str] = [j.id for j in controller.jobs()]
        controller.jobs_changed.connect(self._sync)
        controller.job_changed.connect(self._job_changed)

    # ---- Qt model ------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        job = self._controller.job(self._ids[index.row()])
        if job is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(job, column)
        if role == JOB_ID_ROLE:
            return job.id
        if role == SORT_ROLE:
            return self._sort_key(job, column)
        if role == PROGRESS_ROLE and column == PROGRESS:
            return progress_value(job)
        if role == Qt.ItemDataRole.ToolTipRole and column == COST:
            return cost_tooltip(job)
        if role == Qt.ItemDataRole.ToolTipRole:
            problem = self._controller.problem(job.id)
            return problem_text(problem) if problem else job.message
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS:
            label = self.state_label(job)
            return STATE_COLOURS.get(label) or STATE_COLOURS.get(job.state) or (None if job.finished else RUNNING_COLOUR)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (ROWS, COST):
            return _ALIGN_RIGHT
        return None

    # ---- helpers for views ---------------------------------------------------------------------
    def job_id(self, row: int) -> str:
        return self._ids[row]

    def row_of(self, job_id: str) -> int:
        """The row showing a job, or -1."""
        return self._ids.index(job_id) if job_id in self._ids else -1

    def state_label(self, job: JobSummary) -> str:
        return state_label(job, self._controller.problem(job.id) is not None)

    def _text(self, job: JobSummary, column: int) -> str:
        texts = (
            job.name,
            f"{LABELS.get(job.provider, job.provider)} · {job.model}",
            f"{job.rows_total:,}",
            self.state_label(job),
            progress_text(job),
            when(job.created_at),
            when(job.finished_at),
            cost_text(job),
        )
        return texts[column]

    def _sort_key(self, job: JobSummary, column: int) -> Any:
        keys: dict[int, Any] = {
            ROWS: job.rows_total,
            PROGRESS: progress_value(job),
            CREATED: job.created_at.timestamp(),
            FINISHED: job.finished_at.timestamp() if job.finished_at else 0.0,
            COST: next((c for c in (job.actual_cost, job.estimated_cost) if c is not None), -1.0),
        }
        return keys.get(column, self._text(job, column).casefold())

    # ---- following the controller --------------------------------------------------------------
    def _sync(self) -> None:
        """Remove rows of jobs that are gone and insert new ones in place, so selections survive."""
        wanted = [j.id for j in self._controller.jobs()]
        keep = set(wanted)
        for row in reversed(range(len(self._ids))):
            if self._ids[row] not in keep:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._ids[row]
                self.endRemoveRows()
        for row, job_id in enumerate(wanted):
            if row >= len(self._ids) or self._ids[row] != job_id:
                if job_id in self._ids:  # order changed (should not happen: creation time is fixed)
                    self.beginResetModel()
                    self._ids = wanted
                    self.endResetModel()
                    return
                self.beginInsertRows(QModelIndex(), row, row)
                self._ids.insert(row, job_id)
                self.endInsertRows()

    def _job_changed(self, job_id: str) -> None:
        row = self.row_of(job_id)
        if row >= 0:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
