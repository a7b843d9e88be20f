"""A job's rows beside their texts: status chips, search, a filter by any field's value, a sortable
table of every row, and below it the selected row in full (app.ui.row_detail)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatchLabError
from app.core.results.answers import ROW_STATUSES
from app.core.results.row_query import JobRows, RowQuery, RowView
from app.core.run.engine import JobSummary
from app.core.spec import JobSpec
from app.ui.common import while_alive
from app.ui.jobs_controller import JobsController
from app.ui.models.rows_model import ROW_ROLE, STATUS_LABELS, RowsModel, show_value
from app.ui.row_detail import RowDetail
from app.ui.tasks import Task

_ANY_FIELD = "Any field value"
_SEARCH_PAUSE_MS = 300
#: Up to this many rows, the texts are rendered at once when the job opens (a blink); above, in the background.
_RENDER_AT_ONCE = 5_000


class RowsView(QWidget):
    """Every row of one job, read a page at a time; filters and search are queries, not loops."""

    def __init__(self, controller: JobsController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._job_id: str | None = None
        self._texts_task: Task | None = None
        self.rows_model = RowsModel(self)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(_SEARCH_PAUSE_MS)
        self._search_timer.timeout.connect(lambda: self.set_search(self.search_edit.text()))

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._table())
        self.row_detail = RowDetail(controller)
        splitter.addWidget(self.row_detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(self._chips())
        layout.addLayout(self._filters())
        layout.addWidget(splitter, 1)

    # ---- building --------------------------------------------------------------------------------
    def _chips(self) -> QHBoxLayout:
        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        chips = QHBoxLayout()
        chips.setSpacing(6)
        for i, status in enumerate((None, *ROW_STATUSES)):
            chip = QPushButton()
            chip.setCheckable(True)
            chip.setObjectName("filterChip")
            chip.setProperty("status", status or "all")
            self.filter_group.addButton(chip, i)
            chips.addWidget(chip)
        chips.addStretch(1)
        self.filter_group.button(0).setChecked(True)
        self.filter_group.idClicked.connect(lambda i: self.set_filter((None, *ROW_STATUSES)[i]))
        return chips

    def _filters(self) -> QHBoxLayout:
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("rowSearch")
        self.search_edit.setPlaceholderText("Search the texts, IDs and answers…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(lambda _text: self._search_timer.start())
        self.field_combo = QComboBox()
        self.field_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.field_combo.setMinimumContentsLength(len(_ANY_FIELD))
        self.field_combo.setToolTip("Show only rows where this field has the value chosen beside it.")
        self.field_combo.activated.connect(self._field_chosen)
        self.value_combo = QComboBox()
        self.value_combo.setMinimumContentsLength(12)
        self.value_combo.setEnabled(False)
        self.value_combo.activated.connect(self._value_chosen)
        self.inputs_check = QCheckBox("Show input columns")
        self.inputs_check.setToolTip("Add every column of your data file at the right of the table.")
        self.inputs_check.toggled.connect(self._inputs_toggled)
        self.busy_label = QLabel("Searching…")
        self.busy_label.setObjectName("hint")
        self.busy_label.hide()
        self.rows_model.querying.connect(self.busy_label.setVisible)
        row = QHBoxLayout()
        row.addWidget(self.search_edit, 3)
        row.addWidget(self.busy_label)
        row.addWidget(self.field_combo, 1)
        row.addWidget(self.value_combo, 1)
        row.addWidget(self.inputs_check)
        return row

    def _table(self) -> QTableView:
        self.rows = QTableView()
        self.rows.setObjectName("rowsTable")
        self.rows.setModel(self.rows_model)
        self.rows.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rows.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.rows.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rows.setAlternatingRowColors(True)
        self.rows.setShowGrid(False)
        self.rows.setWordWrap(False)
        self.rows.verticalHeader().hide()
        self.rows.verticalHeader().setDefaultSectionSize(28)
        header = self.rows.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setDefaultSectionSize(140)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        header.setSortIndicatorShown(True)
        self.rows.setSortingEnabled(True)
        self.rows.selectionModel().selectionChanged.connect(self._row_selected)
        self.rows.doubleClicked.connect(lambda _: self.row_detail.show_raw_response())
        return self.rows

    # ---- showing a job ---------------------------------------------------------------------------
    def show_job(self, job_id: str, spec: JobSpec) -> None:
        """Show every row of a job in spreadsheet order; render its texts in the background once."""
        old = self.rows_model.rows
        if old is not None:
            old.close()
        self._job_id = job_id
        history = self._controller.engine.store.path
        rows = JobRows(history, job_id, spec)
        self.filter_group.button(0).setChecked(True)
        self.search_edit.blockSignals(True)
        self.search_edit.clear()
        self.search_edit.blockSignals(False)
        self.inputs_check.setChecked(False)
        self.field_combo.clear()
        self.field_combo.addItem(_ANY_FIELD, None)
        for field in spec.fields:
            self.field_combo.addItem(field.name, field.name)
        self.value_combo.clear()
        self.value_combo.setEnabled(False)
        if not rows.texts_ready() and rows.count(RowQuery()) <= _RENDER_AT_ONCE:
            try:
                rows.render_texts()
            except BatchLabError:
                pass  # the job's data copy cannot be read: the rows show without their texts
        self.rows_model.show_job(rows)
        self.rows.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self._fit_columns()
        self.row_detail.clear()
        if not rows.texts_ready():
            self._render_texts(job_id, spec)

    def _render_texts(self, job_id: str, spec: JobSpec) -> None:
        history = self._controller.engine.store.path

        def work(context: Any) -> None:
            rows = JobRows(history, job_id, spec)
            try:
                rows.render_texts(should_cancel=context.should_cancel)
            finally:
                rows.close()

        def ready(_: object) -> None:
            if self._job_id == job_id:
                self.rows_model.reload()
                self._fit_columns()

        self._texts_task = (
            Task(self, work).on_done(while_alive(self, ready)).on_error(lambda _error: None).start()
        )

    def texts_rendering(self) -> bool:
        return self._texts_task is not None and self._texts_task.running

    def show_counts(self, job: JobSummary) -> None:
        """The chips' counts; a status with no rows is hidden unless it is the chosen one."""
        for i, status in enumerate((None, *ROW_STATUSES)):
            count = job.rows_total if status is None else job.status_counts.get(status, 0)
            chip = self.filter_group.button(i)
            chip.setText(f"{'All rows' if status is None else STATUS_LABELS[status]}  {count:,}")
            chip.setVisible(status is None or count > 0 or chip.isChecked())

    def reload(self) -> None:
        """The job's rows changed: read the current query again."""
        self.rows_model.reload()
        self.row_detail.clear()

    # ---- filters ---------------------------------------------------------------------------------
    def set_filter(self, status: str | None) -> None:
        """Show only rows with this status (None: every row)."""
        self.filter_group.button((None, *ROW_STATUSES).index(status)).setChecked(True)
        self._set_query(replace(self.rows_model.query, status=status))

    def set_search(self, words: str) -> None:
        """Show only rows whose text, ID, reason or answer contains ``words``."""
        if self.search_edit.text() != words:
            self.search_edit.blockSignals(True)
            self.search_edit.setText(words)
            self.search_edit.blockSignals(False)
        self._search_timer.stop()
        self._set_query(replace(self.rows_model.query, search=words))

    def set_value_filter(self, field: str | None, value: Any = None) -> None:
        """Show only rows where ``field`` has ``value`` as stored (None: no such filter)."""
        values = {field: value} if field is not None else {}
        self._set_query(replace(self.rows_model.query, values=values))

    def _field_chosen(self, _index: int) -> None:
        field = self.field_combo.currentData()
        self.value_combo.clear()
        self.value_combo.setEnabled(False)
        rows = self.rows_model.rows
        if field is None or rows is None:
            self.set_value_filter(None)
            return
        history, job_id, spec, cache = rows.history, rows.job_id, rows.spec, rows.cache

        def work(_context: object) -> list[tuple[Any, int]]:
            own = JobRows(history, job_id, spec, cache)  # counting a million answers takes a moment
            try:
                return own.field_values(field)
            finally:
                own.close()

        Task(self, work).on_done(while_alive(self, lambda values: self._values_found(field, values))).start()

    def _values_found(self, field: str, values: list[tuple[Any, int]]) -> None:
        if self.field_combo.currentData() != field:
            return  # another field was chosen meanwhile
        for value, count in values:
            self.value_combo.addItem(f"{show_value(_stored(value))}  ({count:,})", value)
        self.value_combo.setEnabled(bool(values))
        if values:
            self._value_chosen(0)

    def _value_chosen(self, index: int) -> None:
        self.set_value_filter(self.field_combo.currentData(), self.value_combo.itemData(index))

    def _inputs_toggled(self, shown: bool) -> None:
        rows = self.rows_model.rows
        self.rows_model.show_inputs(rows.input_columns() if shown and rows else [])
        self._fit_columns()

    def _set_query(self, query: RowQuery) -> None:
        self.rows_model.set_query(query)
        self.row_detail.clear()

    def _fit_columns(self) -> None:
        """Columns as wide as the first rows need, within reason (the text gets the most room)."""
        for column, title in enumerate(self.rows_model.column_titles()):
            wanted = max(self.rows.sizeHintForColumn(column), self.rows.horizontalHeader().sectionSizeHint(column))
            widest = 420 if title == "Text" else 240
            self.rows.setColumnWidth(column, min(max(wanted + 12, 60), widest))

    # ---- the selected row ------------------------------------------------------------------------
    def selected_row(self) -> RowView | None:
        rows = self.rows.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def _row_selected(self, *_: QItemSelection) -> None:
        row, rows = self.selected_row(), self.rows_model.rows
        if row is None or self._job_id is None:
            self.row_detail.clear()
        else:
            self.row_detail.show_row(self._job_id, row, [f.name for f in rows.spec.fields] if rows else [])

    def show_raw_response(self) -> None:
        """Read the selected row's raw answer from the job folder, in the background."""
        self.row_detail.show_raw_response()


def _stored(value: Any) -> Any:
    """A value as SQLite's JSON functions return it, back in its JSON form for showing."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value

