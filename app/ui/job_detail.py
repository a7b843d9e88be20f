"""One job in full: its rows beside their texts (app.ui.rows_view), its settings and its history."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.run.engine import JobSummary, manifest_of
from app.core.errors import BatchLabError
from app.core.run.providers import LABELS
from app.core.spec import AUTO, JobSpec, rows_per_request_text
from app.ui.common import section_title
from app.ui.dialogs import show_error
from app.ui.jobs_controller import JobsController
from app.ui.jobs_view import (
    ask_cancel,
    can_cancel,
    can_retry,
    show_folder,
)
from app.ui.models.jobs_model import (
    cost_text,
    problem_text,
    progress_text,
    state_label,
    when,
)
from app.ui.models.rows_model import show_value
from app.ui.research.research_tabs import ResearchTabs
from app.ui.export_dialog import export_job
from app.ui.rows_view import RowsView


def _read_only_text(text: str, monospace: bool = False) -> QPlainTextEdit:
    box = QPlainTextEdit(text)
    box.setReadOnly(True)
    if monospace:
        box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return box


def _table(model: QStandardItemModel) -> QTableView:
    """A compact read-only table for small lists (fields, events)."""
    view = QTableView()
    view.setModel(model)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.verticalHeader().hide()
    view.setShowGrid(False)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setHighlightSections(False)
    return view


class JobDetail(QWidget):
    """Rows, settings and activity of one job; follows the controller while the job runs."""

    back_requested = Signal()

    def __init__(self, controller: JobsController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._job_id: str | None = None
        self._counts: dict[str, int] = {}

        back = QPushButton("← All jobs")
        back.setObjectName("linkButton")
        back.clicked.connect(self.back_requested)
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)  # a long job name wraps instead of being cut off
        self.state = QLabel()
        self.state.setObjectName("stateChip")
        self.message = QLabel()
        self.message.setObjectName("pageSubtitle")
        self.message.setWordWrap(True)
        self.facts = QLabel()
        self.facts.setObjectName("facts")
        self.facts.setWordWrap(True)

        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("primaryButton")
        self.export_button.clicked.connect(lambda: self._job_id and export_job(self, controller, self._job_id))
        self.retry_button = QPushButton("Retry failed rows")
        self.retry_button.clicked.connect(lambda: self._job_id and controller.retry(self._job_id))
        self.cancel_button = QPushButton("Cancel job")
        self.cancel_button.clicked.connect(self._cancel)
        folder_button = QPushButton("Show folder")
        folder_button.clicked.connect(self._show_folder)

        top = QHBoxLayout()
        top.addWidget(back)
        top.addStretch(1)
        for button in (self.cancel_button, self.retry_button, folder_button, self.export_button):
            top.addWidget(button)
        heading = QHBoxLayout()
        heading.setSpacing(12)
        heading.addWidget(self.state, 0, Qt.AlignmentFlag.AlignVCenter)
        heading.addWidget(self.title, 1)  # all the width there is; a long name wraps

        self.tabs = QTabWidget()
        self.tabs.setObjectName("detailTabs")
        self.rows_view = RowsView(controller)
        self.tabs.addTab(self.rows_view, "Rows")
        self.tabs.addTab(self._settings_tab(), "Settings")
        self.tabs.addTab(self._activity_tab(), "Activity")
        self.research = ResearchTabs(self.tabs, controller)  # Hand coding, Validation, Comparison

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 16, 28, 20)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addLayout(heading)
        layout.addWidget(self.message)
        layout.addWidget(self.facts)
        layout.addSpacing(4)
        layout.addWidget(self.tabs, 1)

        controller.job_changed.connect(self._job_changed)
        controller.jobs_changed.connect(self._jobs_changed)

    # ---- building --------------------------------------------------------------------------------
    def _settings_tab(self) -> QWidget:
        self.spec_form = QFormLayout()
        self.spec_form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.instructions = _read_only_text("")
        self.template = _read_only_text("", monospace=True)
        self.fields_model = QStandardItemModel(0, 4, self)
        self.fields_model.setHorizontalHeaderLabels(["Field", "Type", "Allowed values", "Description"])
        fields = self.fields_view = _table(self.fields_model)
        fields.setWordWrap(True)  # long descriptions wrap instead of being cut off
        fields.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        fields.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

        texts = QVBoxLayout()
        texts.setSpacing(6)
        for label, widget in (("Instructions", self.instructions), ("Text sent for each row", self.template)):
            if texts.count():
                texts.addSpacing(12)
            texts.addWidget(section_title(label))
            texts.addWidget(widget, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(6)
        left_layout.addWidget(section_title("Provider and data"))
        left_layout.addLayout(self.spec_form)
        left_layout.addSpacing(12)
        left_layout.addWidget(section_title("Output fields"))
        left_layout.addWidget(fields, 1)

        page = QWidget()
        layout = QHBoxLayout(page)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(24)
        layout.addWidget(left, 1)
        layout.addLayout(texts, 1)
        return page

    def _activity_tab(self) -> QWidget:
        self.events_model = QStandardItemModel(0, 2, self)
        self.events_model.setHorizontalHeaderLabels(["When", "What happened"])
        view = _table(self.events_model)
        view.setColumnWidth(0, 150)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addWidget(view)
        return page

    # ---- showing a job ---------------------------------------------------------------------------
    @property
    def job_id(self) -> str | None:
        return self._job_id

    def show_job(self, job_id: str) -> None:
        """Show a job from the start: all rows, first page only, settings and history."""
        job = self._controller.job(job_id)
        if job is None:
            return
        try:
            spec = self._controller.engine.spec(job_id)
        except BatchLabError as exc:
            show_error(self, exc)
            return
        self._job_id = job_id
        self._counts = dict(job.status_counts)
        self._show_spec(spec, job.folder)
        self.rows_view.show_job(job_id, spec)
        self.tabs.setCurrentIndex(0)
        self.research.show_job(job_id)
        self._show_summary(job)

    def export_to(self, path: Path, csv_for_excel: bool = False) -> None:
        """Export this job to ``path`` with the format's defaults, without the dialog."""
        if self._job_id:
            self._controller.export(self._job_id, path, csv_for_excel=csv_for_excel)

    # ---- keeping up with the job -----------------------------------------------------------------
    def _job_changed(self, job_id: str) -> None:
        job = self._controller.job(job_id)
        if job_id != self._job_id or job is None:
            return
        if job.status_counts != self._counts:
            self._counts = dict(job.status_counts)
            self.rows_view.reload()
        self._show_summary(job)

    def _jobs_changed(self) -> None:
        if self._job_id and self._controller.job(self._job_id) is None:
            self._job_id = None
            self.back_requested.emit()

    def _show_summary(self, job: JobSummary) -> None:
        problem = self._controller.problem(job.id)
        self.title.setText(job.name)
        self.state.setText(state_label(job, problem is not None))
        self.state.setProperty("state", "problem" if problem else job.state)
        self.state.style().unpolish(self.state)
        self.state.style().polish(self.state)
        self.message.setText(problem_text(problem) if problem else job.message)
        self.facts.setText(
            f"{LABELS.get(job.provider, job.provider)} · {job.model} · {progress_text(job)} · "
            f"created {when(job.created_at)}" + (f" · finished {when(job.finished_at)}" if job.finished_at else "")
            + f" · cost {cost_text(job)}"
        )
        self.rows_view.show_counts(job)
        self.retry_button.setEnabled(can_retry(self._controller, job))
        self.cancel_button.setEnabled(can_cancel(job))
        self.export_button.setEnabled(job.state != "preparing")
        self._load_events()

    def _show_spec(self, spec: JobSpec, folder: Path) -> None:
        while self.spec_form.rowCount():
            self.spec_form.removeRow(0)
        facts = (
            ("Provider", LABELS.get(spec.provider, spec.provider) + (f" ({spec.base_url})" if spec.base_url else "")),
            ("Model", spec.model),
            ("Endpoint", "Responses" if spec.endpoint == "responses" else "Chat completions"),
            ("Rows per request", _rows_per_request(spec, folder)),
            ("Longest answer", f"{spec.max_output_tokens:,} tokens" if spec.max_output_tokens else "model default"),
            ("Temperature", "model default" if spec.temperature is None else f"{spec.temperature:g}"),
            ("Data", spec.data.name + (f", sheet “{spec.sheet}”" if spec.sheet else "")),
            ("Row ID column", spec.id_column or "row number"),
        )
        for label, value in facts:
            text = QLabel(value)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.spec_form.addRow(label + ":", text)
        self.instructions.setPlainText(spec.instructions)
        self.template.setPlainText(spec.input_template)
        self.fields_model.removeRows(0, self.fields_model.rowCount())
        for field in spec.fields:
            limits = ", ".join(field.choices)
            if field.minimum is not None or field.maximum is not None:
                limits = f"{show_value(field.minimum) or '…'} to {show_value(field.maximum) or '…'}"
            items = [QStandardItem(text) for text in (field.name, field.type, limits, field.description)]
            for item in items:
                item.setToolTip(item.text())
            self.fields_model.appendRow(items)
        self.fields_view.resizeRowsToContents()

    def _load_events(self) -> None:
        if self._job_id is None:
            return
        events = self._controller.engine.events(self._job_id)
        if len(events) == self.events_model.rowCount():
            return
        self.events_model.removeRows(0, self.events_model.rowCount())
        for at, message in reversed(events):
            self.events_model.appendRow([QStandardItem(when(at)), QStandardItem(message)])

    def _cancel(self) -> None:
        job = self._controller.job(self._job_id) if self._job_id else None
        if job:
            ask_cancel(self, self._controller, job)

    def _show_folder(self) -> None:
        job = self._controller.job(self._job_id) if self._job_id else None
        if job:
            show_folder(self, job.folder)


def _rows_per_request(spec: JobSpec, folder: Path) -> str:
    """The job's rows per request; for "auto", the number it became when the job was prepared."""
    if spec.rows_per_request != AUTO:
        return str(spec.rows_per_request)
    try:
        return rows_per_request_text(AUTO, manifest_of(folder).get("rows_per_request"))
    except (OSError, ValueError):  # not prepared yet
        return rows_per_request_text(AUTO)
