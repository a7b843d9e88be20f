"""The Jobs screen: every job with its state and progress, and what can be done with it."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSortFilterProxyModel,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QDesktopServices, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.run.engine import JobSummary
from app.core.run.providers import LABELS
from app.ui.dialogs import confirm, show_error
from app.ui.export_dialog import export_job
from app.ui.jobs_controller import JobsController
from app.ui.models.jobs_model import (
    CREATED,
    JOB_ID_ROLE,
    NAME,
    PROGRESS,
    PROGRESS_ROLE,
    SORT_ROLE,
    JobsModel,
    problem_text,
)

_NO_JOBS = (
    "<h3>No jobs yet</h3><p>Start one under <b>New job</b>, or choose <b>File → Open sample project</b> "
    "to try BatchLab offline with the Demo provider.</p>"
)
#: Shown until the job history has been read (the app reads it in the background as it starts).
_READING_JOBS = "<h3>Reading your jobs…</h3>"


def can_cancel(job: JobSummary) -> bool:
    return not job.finished and job.state != "cancelling"


def can_retry(controller: JobsController, job: JobSummary) -> bool:
    """Finished with rows the engine would send again (blank texts are never sent, so they do not count)."""
    if not job.finished or not any(n for status, n in job.status_counts.items() if status not in ("coded", "pending")):
        return False
    return bool(controller.engine.store.row_ids_to_retry(job.id))


def can_delete(job: JobSummary) -> bool:
    return job.finished or job.state == "ready"


def ask_cancel(parent: QWidget, controller: JobsController, job: JobSummary) -> None:
    """Cancel a job once the person has confirmed it."""
    if confirm(
        parent,
        "Cancel this job?",
        f"BatchLab will ask {LABELS.get(job.provider, job.provider)} to stop “{job.name}”. Rows already coded "
        "are kept, and you pay only for those.",
        "Cancel job",
    ):
        controller.cancel(job.id)


def show_folder(parent: QWidget, path: Path) -> bool:
    """Open a folder in the system's file manager; where there is none, say where the folder is."""
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        return True
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "The job's folder",
        "No file manager could be opened here. The job's files are in this folder:",
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setObjectName("folderMessage")
    box.setInformativeText(str(path))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return False


class ProgressDelegate(QStyledItemDelegate):
    """Draws the progress column as a slim bar with the provider's counts written beside it."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        value = index.data(PROGRESS_ROLE)
        if value is None:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else QApplication.style()
        option.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)  # background
        area = option.rect.adjusted(8, 0, -8, 0)
        track = QRectF(area.left(), area.bottom() - 9, area.width(), 5)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#e4e8ee"))
        painter.drawRoundedRect(track, 2.5, 2.5)
        if value > 0:
            painter.setBrush(QColor("#1e7d45") if value >= 1 else QColor("#3b82f6"))
            painter.drawRoundedRect(QRectF(track.left(), track.top(), track.width() * min(value, 1.0), track.height()), 2.5, 2.5)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        text_rect = QRect(area.left(), area.top() + 3, area.width(), area.height() - 14)
        text = option.fontMetrics.elidedText(index.data(Qt.ItemDataRole.DisplayRole), Qt.TextElideMode.ElideRight, area.width())
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
        painter.restore()


class JobsView(QWidget):
    """The job table with its actions; opening and duplicating are left to the main window."""

    open_requested = Signal(str)
    duplicate_requested = Signal(object)  # JobSpec

    def __init__(self, controller: JobsController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self.model = JobsModel(controller)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)

        title = QLabel("Jobs")
        title.setObjectName("pageTitle")
        subtitle = QLabel("Jobs keep running at the provider while BatchLab is closed; open it again to collect the results.")
        subtitle.setObjectName("pageSubtitle")
        subtitle.setWordWrap(True)

        self.table = QTableView()
        self.table.setObjectName("jobsTable")
        self.table.setModel(self.proxy)
        self.table.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(CREATED, Qt.SortOrder.DescendingOrder)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(34)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        for column, width in ((1, 170), (2, 60), (3, 120), (4, 170), (5, 105), (6, 105), (7, 80)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda index: self.open_requested.emit(index.data(JOB_ID_ROLE)))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._update)

        self.message = QLabel()
        self.message.setObjectName("jobMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._empty = empty = QLabel()
        empty.setObjectName("emptyState")
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.setWordWrap(True)
        self._stack = QStackedWidget()
        self._stack.addWidget(empty)
        table_page = QWidget()
        table_layout = QVBoxLayout(table_page)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.table, 1)
        table_layout.addWidget(self.message)
        self._stack.addWidget(table_page)

        self.actions_by_name = self._make_actions()
        self._buttons: dict[str, QToolButton] = {}
        # a tool bar: what does not fit a small window goes into its » menu instead of being cut short
        bar = QToolBar()
        bar.setObjectName("jobActions")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.setStyleSheet("QToolBar#jobActions { border: none; background: transparent; spacing: 6px; padding: 0; }")
        for name in ("open", "cancel", "retry", "resume", "duplicate", "export", "folder", "delete"):
            bar.addAction(self.actions_by_name[name])
            button = self._buttons[name] = bar.widgetForAction(self.actions_by_name[name])
            button.setObjectName("dangerButton" if name == "delete" else "actionButton")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addSpacing(6)
        layout.addWidget(bar)
        layout.addWidget(self._stack, 1)

        self.model.rowsInserted.connect(self._update)
        self.model.rowsRemoved.connect(self._update)
        self.model.modelReset.connect(self._update)
        self.model.dataChanged.connect(self._update)
        controller.jobs_changed.connect(self._update)  # the first list may be empty: no rows change
        self._update()

    # ---- selection -----------------------------------------------------------------------------
    def selected_job(self) -> JobSummary | None:
        rows = self.table.selectionModel().selectedRows()
        return self._controller.job(rows[0].data(JOB_ID_ROLE)) if rows else None

    def select_job(self, job_id: str) -> None:
        row = self.model.row_of(job_id)
        if row >= 0:
            self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())

    # ---- actions -------------------------------------------------------------------------------
    def _make_actions(self) -> dict[str, QAction]:
        specs = {
            "open": ("Open", "See the coded rows and the job's settings", self._open),
            "cancel": ("Cancel", "Ask the provider to stop; rows already coded are kept", self._cancel),
            "retry": ("Retry failed rows", "Send the rows that were not coded again, in this job", self._retry),
            "resume": ("Try again", "Carry on with a job that stopped on a problem", self._resume),
            "duplicate": ("Duplicate as new job", "Start a new job with the same settings", self._duplicate),
            "export": ("Export…", "Save the rows with their coding as Excel or CSV", self._export),
            "folder": ("Show folder", "Open the folder with every file sent and received", self._folder),
            "delete": ("Delete…", "Remove the job and its folder", self._delete),
        }
        actions = {}
        for name, (text, tip, slot) in specs.items():
            action = QAction(text, self)
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(slot)
            actions[name] = action
        return actions

    def _update(self) -> None:
        self._empty.setText(_NO_JOBS if self._controller.loaded() else _READING_JOBS)
        self._stack.setCurrentIndex(1 if self.model.rowCount() else 0)
        job = self.selected_job()
        problem = self._controller.problem(job.id) if job else None
        enabled = {
            "open": job is not None,
            "cancel": job is not None and can_cancel(job),
            "retry": job is not None and can_retry(self._controller, job),
            "resume": problem is not None,
            "duplicate": job is not None,
            "export": job is not None and job.state != "preparing",
            "folder": job is not None,
            "delete": job is not None and can_delete(job),
        }
        for name, on in enabled.items():
            self.actions_by_name[name].setEnabled(on)
        self.actions_by_name["resume"].setVisible(problem is not None)
        self._buttons["resume"].setVisible(problem is not None)
        if job is None:
            self.message.setText("Select a job to see what it is doing. Double-click to open it.")
        else:
            text = problem_text(problem) if problem else job.message
            self.message.setText(f"<b>{html.escape(job.name)}</b> — {html.escape(text)}")

    def context_menu(self) -> QMenu | None:
        """The selected job's menu: only what can be done with it in its state now."""
        if self.selected_job() is None:
            return None
        menu = QMenu(self)
        for name, action in self.actions_by_name.items():
            if action.isVisible() and action.isEnabled():
                menu.addAction(action)
            if name in ("open", "resume", "folder"):
                menu.addSeparator()
        return menu

    def _context_menu(self, pos) -> None:  # noqa: ANN001 - QPoint
        if menu := self.context_menu():
            menu.exec(self.table.viewport().mapToGlobal(pos))
            menu.deleteLater()

    def _open(self) -> None:
        if job := self.selected_job():
            self.open_requested.emit(job.id)

    def _cancel(self) -> None:
        if job := self.selected_job():
            ask_cancel(self, self._controller, job)

    def _retry(self) -> None:
        if job := self.selected_job():
            self._controller.retry(job.id)

    def _resume(self) -> None:
        if job := self.selected_job():
            self._controller.resume(job.id)

    def _duplicate(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        try:
            spec = self._controller.engine.spec(job.id)
        except Exception as exc:  # a damaged spec file: say so instead of crashing
            show_error(self, exc)
            return
        self.duplicate_requested.emit(spec)

    def _export(self) -> None:
        if job := self.selected_job():
            export_job(self, self._controller, job.id)

    def _folder(self) -> None:
        if job := self.selected_job():
            show_folder(self, job.folder)

    def _delete(self) -> None:
        job = self.selected_job()
        if job and confirm(
            self,
            "Delete this job?",
            f"“{job.name}” and its folder (every file sent and received, and the coded rows) will be removed "
            "from this computer. Export the rows first if you need them.",
            "Delete job",
        ):
            self._controller.delete(job.id)
