"""The selected row of a job in full: its text and answer as a form, beside the provider's raw response."""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatchLabError
from app.core.results.row_query import RowView
from app.ui.common import while_alive
from app.ui.jobs_controller import JobsController
from app.ui.models.jobs_model import money
from app.ui.models.rows_model import show_value, status_label
from app.ui.tasks import Task

_NO_RAW = "No answer from the provider is stored for this row (it was not sent, or nothing came back)."
_NOTHING_SELECTED = "Select a row to see its text and answer."


class RowDetail(QFrame):
    """One row as a person reads it: the text and each field's answer, with the row's facts (reason,
    tokens, cost); and, when asked for, the provider's answer exactly as received. That answer is
    read from the job's folder in the background, since it is not in the job history."""

    def __init__(self, controller: JobsController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rowPanel")
        self._controller = controller
        self._shown: tuple[str, str] | None = None  # (job id, row id)

        self.row_title = QLabel(_NOTHING_SELECTED)
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.row_title)
        layout.addWidget(self.panel_splitter, 1)

    def show_row(self, job_id: str, row: RowView, fields: list[str]) -> None:
        """Show ``row`` of job ``job_id``, its answer to each of ``fields`` in that order."""
        self._shown = (job_id, row.row_id)
        where = f"Row {row.sheet_row}" if row.sheet_row is not None else f"Row ID {row.row_id}"
        self.row_title.setText(f"{where} — {status_label(row)}")
        self.answer.setText(_answer_html(row, fields))
        self.raw.clear()
        self.raw_button.setEnabled(row.status != "pending")

    def clear(self) -> None:
        """No row selected."""
        self._shown = None
        self.row_title.setText(_NOTHING_SELECTED)
        self.answer.clear()
        self.raw.clear()
        self.raw_button.setEnabled(False)

    def show_raw_response(self) -> None:
        """Read the shown row's raw answer from the job folder, in the background."""
        if self._shown is None:
            return
        shown_row = self._shown
        job_id, row_id = shown_row
        self.raw.setPlainText("Reading…")
        self.raw_button.setEnabled(False)

        def shown(text: str | None) -> None:
            if self._shown != shown_row:
                return  # the person moved on meanwhile
            self.raw.setPlainText(pretty_json(text) if text else _NO_RAW)
            self.raw_button.setEnabled(True)

        def failed(error: BatchLabError) -> None:
            self.raw.setPlainText(error.message)
            self.raw_button.setEnabled(True)

        task = Task(self, lambda ctx: self._controller.engine.raw_response(job_id, row_id))
        task.on_done(while_alive(self, shown)).on_error(while_alive(self, failed)).on_finished(task.deleteLater)
        task.start()


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
