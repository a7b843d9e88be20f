"""A job's rows beside their texts: status chips, search, a filter by any field's value, a sortable
table of every row, and the selected row's answer as a form beside its raw response."""

from __future__ import annotations

import html
import json
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
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
from app.ui.models.jobs_model import money
from app.ui.models.rows_model import ROW_ROLE, STATUS_LABELS, RowsModel, show_value, status_label
from app.ui.tasks import Task

_NO_RAW = "No answer from the provider is stored for this row (it was not sent, or nothing came back)."
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
        splitter.addWidget(self._row_panel())
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
        self.rows.doubleClicked.connect(lambda _: self.show_raw_response())
        return self.rows

    def _row_panel(self) -> QWidget:
        self.row_title = QLabel("Select a row to see its text and answer.")
        self.row_title.setObjectName("sectionTitle")
        self.answer = QLabel()
        self.answer.setObjectName("rowAnswer")
        self.answer.setWordWrap(True)
        self.answer.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        answer_scroll = QScrollArea()
        answer_scroll.setWidgetResizable(True)
        answer_scroll.setFrameShape(QFrame.Shape.NoFrame)
        answer_scroll.setWidget(self.answer)
        answer_scroll.setMinimumWidth(260)

        self.raw_button = QPushButton("Show raw response")
        self.raw_button.setEnabled(False)
        self.raw_button.clicked.connect(self.show_raw_response)
        self.raw = QPlainTextEdit()
        self.raw.setObjectName("rawResponse")
        self.raw.setReadOnly(True)
        self.raw.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.raw.setPlaceholderText("The provider's answer for the selected row, exactly as received, indented.")
        raw_box = QWidget()
        raw_layout = QVBoxLayout(raw_box)
        raw_layout.setContentsMargins(0, 0, 0, 0)
        raw_head = QHBoxLayout()
        raw_head.addWidget(QLabel("Raw response"), 1)
        raw_head.addWidget(self.raw_button)
        raw_layout.addLayout(raw_head)
        raw_layout.addWidget(self.raw, 1)

        self.panel_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.panel_splitter.addWidget(answer_scroll)
        self.panel_splitter.addWidget(raw_box)
        self.panel_splitter.setStretchFactor(0, 1)
        self.panel_splitter.setStretchFactor(1, 1)
        self.panel_splitter.setSizes([1, 1])  # half and half to start with; the handle moves
        panel = QFrame()
        panel.setObjectName("rowPanel")
        layout = QVBoxLayout(panel)
        layout.addWidget(self.row_title)
        layout.addWidget(self.panel_splitter, 1)
        return panel

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
        self._clear_row()
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
        self._clear_row()

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
        self._clear_row()

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
        row = self.selected_row()
        if row is None:
            self._clear_row()
            return
        where = f"Row {row.sheet_row}" if row.sheet_row is not None else f"Row ID {row.row_id}"
        self.row_title.setText(f"{where} — {status_label(row)}")
        self.answer.setText(_answer_html(row, [f.name for f in self.rows_model.rows.spec.fields]
                                         if self.rows_model.rows else []))
        self.raw.clear()
        self.raw_button.setEnabled(row.status != "pending")

    def _clear_row(self) -> None:
        self.row_title.setText("Select a row to see its text and answer.")
        self.answer.clear()
        self.raw.clear()
        self.raw_button.setEnabled(False)

    def show_raw_response(self) -> None:
        """Read the selected row's raw answer from the job folder, in the background."""
        row = self.selected_row()
        if row is None or self._job_id is None:
            return
        job_id, row_id = self._job_id, row.row_id
        self.raw.setPlainText("Reading…")
        self.raw_button.setEnabled(False)

        def shown(text: str | None) -> None:
            selected = self.selected_row()
            if selected is None or selected.row_id != row_id or self._job_id != job_id:
                return  # the person moved on meanwhile
            self.raw.setPlainText(pretty_json(text) if text else _NO_RAW)
            self.raw_button.setEnabled(True)

        def failed(error: BatchLabError) -> None:
            self.raw.setPlainText(error.message)
            self.raw_button.setEnabled(True)

        task = Task(self, lambda ctx: self._controller.engine.raw_response(job_id, row_id))
        task.on_done(while_alive(self, shown)).on_error(while_alive(self, failed)).on_finished(task.deleteLater)
        task.start()


def _stored(value: Any) -> Any:
    """A value as SQLite's JSON functions return it, back in its JSON form for showing."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _answer_html(row: RowView, fields: list[str]) -> str:
    """The row as a small readable form: its text, then each field's answer, then the facts."""
    parts = []
    if row.text is not None:
        text = html.escape(row.text).replace("\n", "<br>")
        parts.append(f"<p style='color:#374151'>{text}</p>")
    lines = [f"<tr><td style='padding-right:12px'><b>{html.escape(name)}</b></td>"
             f"<td>{html.escape(show_value(row.values.get(name))) or '—'}</td></tr>" for name in fields]
    if row.values:
        parts.append("<table>" + "".join(lines) + "</table>")
    facts = []
    if row.reason:
        facts.append(html.escape(row.reason[0].upper() + row.reason[1:]))
    facts.append(f"ID {html.escape(row.row_id)}")
    if row.input_tokens is not None:
        facts.append(f"{row.input_tokens:,} tokens in, {row.output_tokens or 0:,} out")
    if row.cost is not None:
        facts.append(f"cost {money(row.cost)}")
    if row.attempt > 1:
        facts.append(f"attempt {row.attempt}")
    parts.append(f"<p style='color:#5b6474'>{' · '.join(facts)}</p>")
    return "".join(parts)


def pretty_json(text: str) -> str:
    """A raw result line as indented JSON; a model's answer inside it that is JSON is unfolded too."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return json.dumps(_unfold(value), indent=2, ensure_ascii=False)


def _unfold(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unfold(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unfold(v) for v in value]
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return _unfold(json.loads(value))
        except ValueError:
            return value
    return value
