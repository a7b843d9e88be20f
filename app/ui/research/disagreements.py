"""The rows where the model and the gold labels differ: a filterable list and a dialog for one row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.ui.common import section_title
from app.ui.models.rows_model import show_value
from app.ui.models.table_model import DataFrameModel

ALL_FIELDS = "All fields"
ALL_LABELS = "All labels"
COLUMNS = ["Row", "Field", "Gold", "Model", "Text"]


def _labels(value: Any) -> set[str]:
    return {show_value(v) for v in value} if isinstance(value, list) else {show_value(value)}


class DisagreementsList(QWidget):
    """Disagreements filtered by field and by a label the gold or the model answer contains."""

    opened = Signal(dict)  # the disagreement a person opened

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[dict[str, Any]] = []
        self.shown: list[dict[str, Any]] = []
        self.field = QComboBox()
        self.field.setObjectName("disagreementField")
        self.label = QComboBox()
        self.label.setObjectName("disagreementLabel")
        self.field.currentIndexChanged.connect(self._field_changed)
        self.label.currentIndexChanged.connect(self._refilter)
        self.count = QLabel()
        open_button = QPushButton("Open row…")
        open_button.clicked.connect(self.open_selected)
        self.model = DataFrameModel(self)
        self.view = QTableView()
        self.view.setObjectName("disagreements")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.doubleClicked.connect(lambda index: self.open_row(index.row()))
        filters = QHBoxLayout()
        filters.addWidget(self.field)
        filters.addWidget(self.label)
        filters.addWidget(self.count, 1)
        filters.addWidget(open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section_title("Disagreements"))
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)

    def set_items(self, items: Sequence[dict[str, Any]]) -> None:
        self.items = list(items)
        self.field.blockSignals(True)
        self.field.clear()
        self.field.addItems([ALL_FIELDS, *dict.fromkeys(d["field"] for d in self.items)])
        self.field.blockSignals(False)
        self._field_changed()

    def _field_changed(self) -> None:
        field = self.field.currentText()
        labels: set[str] = set()
        for d in self.items:
            if field in (ALL_FIELDS, d["field"]):
                labels |= _labels(d.get("gold")) | _labels(d.get("model"))
        self.label.blockSignals(True)
        self.label.clear()
        self.label.addItems([ALL_LABELS, *sorted(label for label in labels if label)])
        self.label.blockSignals(False)
        self._refilter()

    def _refilter(self) -> None:
        field, label = self.field.currentText(), self.label.currentText()
        self.shown = [
            d for d in self.items
            if field in (ALL_FIELDS, d["field"])
            and (label == ALL_LABELS or label in _labels(d.get("gold")) | _labels(d.get("model")))
        ]
        frame = pd.DataFrame(
            [[str(d["row_id"]), d["field"], show_value(d.get("gold")), show_value(d.get("model")),
              " ".join(str(d.get("text") or "").split())] for d in self.shown],
            columns=COLUMNS,
        )
        self.model.set_frame(frame)
        for column in range(len(COLUMNS) - 1):
            self.view.resizeColumnToContents(column)
        self.count.setText(f"{len(self.shown):,} of {len(self.items):,}")

    def open_selected(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        self.open_row(rows[0].row() if rows else 0)

    def open_row(self, position: int) -> None:
        if 0 <= position < len(self.shown):
            self.opened.emit(self.shown[position])


class DisagreementDialog(QDialog):
    """One disagreement in full: the row's text, the gold answer, the model's answer and its quote."""

    def __init__(self, item: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("disagreementDialog")
        where = f" (row {item['row']} of the data file)" if item.get("row") else ""
        self.setWindowTitle(f"Row {item['row_id']}{where} — {item['field']}")
        self.resize(560, 420)
        text = QPlainTextEdit(str(item.get("text") or ""))
        text.setReadOnly(True)
        form = QFormLayout()
        self.values = {
            "Gold": show_value(item.get("gold")),
            "Model": show_value(item.get("model")),
            "Model's quote": (show_value(item.get("quote")) or "(none)")
            + (" — not found in the text" if item.get("quote_ok") is False else ""),
        }
        for label, value in self.values.items():
            shown = QLabel(value)
            shown.setWordWrap(True)
            form.addRow(f"{label}:", shown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(section_title("Text sent to the model"))
        layout.addWidget(text, 1)
        layout.addLayout(form)
        layout.addWidget(buttons)
