"""The Validation tab of a job: the model's coding against the gold labels, per field.

Shows the figures (with 95% intervals and Krippendorff's reading), humans against each other next
to model against humans, a confusion-matrix heat map and a per-label F1 chart that can be saved
for a paper, and the disagreements, filterable and openable row by row. validate_job runs in the
background; nothing here computes a figure.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatchLabError
from app.core.research.gold_store import GoldStore
from app.core.research.validate import validate_job
from app.core.run.engine import Engine
from app.ui.common import MessagePanel, ask_save_path, plural, scrolling_page, while_alive
from app.ui.models.table_model import DataFrameModel
from app.ui.research.disagreements import DisagreementDialog, DisagreementsList
from app.ui.research.figure_view import FigureView
from app.ui.research.figures_table import validation_frame
from app.ui.tasks import Task

ALL_CODERS = "All coders (majority)"
#: Field types with labels, so with a confusion matrix and per-label F1.
LABELLED = ("category", "boolean", "list")


def summary_text(validation: Any) -> str:
    """One paragraph: rows with gold, rows compared, rows the model did not code, quotes not in the text."""
    not_coded = ", ".join(f"{n:,} {status}" for status, n in (validation.not_coded or {}).items() if n)
    parts = [f"{plural(validation.rows_with_gold, 'row')} with gold labels; {validation.rows_compared:,} compared"]
    if not_coded:
        parts.append(f" (not coded by the model: {not_coded})")
    if validation.coverage is not None:
        parts.append(f"; the model coded {validation.coverage:.0%} of the gold rows.")
    for name, result in validation.fields.items():
        if result.get("quotes_checked"):
            parts.append(
                f" {result['quotes_not_in_text']:,} of {result['quotes_checked']:,} quotes in “{name}” are not in the text."
            )
    missing = [name for name, result in validation.fields.items() if not result.get("n")]
    if missing:
        parts.append(f" No gold labels for: {', '.join(missing)}.")
    return "".join(parts)


class ValidationTab(QWidget):
    """Validate a job against its gold labels and show every figure."""

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.job_id: str | None = None
        self.validation: Any = None
        self._generation = 0
        self._running = self._again = False
        self._build()

    def _build(self) -> None:
        self.coder = QComboBox()
        self.coder.setObjectName("validationCoder")
        self.coder.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.coder.activated.connect(lambda _: self.validate())
        self.validate_button = QPushButton("Validate")
        self.validate_button.setObjectName("primaryButton")
        self.validate_button.clicked.connect(self.validate)
        self.export_button = QPushButton("Export gold CSV…")
        self.export_button.clicked.connect(self.choose_export)
        self.summary = QLabel()
        self.summary.setObjectName("validationSummary")
        self.summary.setWordWrap(True)
        self.panel = MessagePanel()
        top = QHBoxLayout()
        top.addWidget(QLabel("Gold labels of:"))
        top.addWidget(self.coder)
        top.addWidget(self.validate_button)
        top.addStretch(1)
        top.addWidget(self.export_button)

        self.table_model = DataFrameModel(self)
        self.table = QTableView()
        self.table.setObjectName("validationTable")
        self.table.setModel(self.table_model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.disagreements = DisagreementsList()
        self.disagreements.opened.connect(self.open_disagreement)

        self.figure_field = QComboBox()
        self.figure_field.setObjectName("figureField")
        self.figure_field.currentTextChanged.connect(self._show_figures)
        self.confusion = FigureView("Confusion matrix (gold × model)", "confusion-matrix")
        self.f1 = FigureView("F1 per label", "f1-per-label")
        figures = QWidget()
        figures_layout = QVBoxLayout(figures)
        figures_layout.setContentsMargins(0, 0, 0, 0)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Figures for:"))
        pick.addWidget(self.figure_field, 1)
        figures_layout.addLayout(pick)
        figures_layout.addWidget(self.confusion, 1)
        figures_layout.addWidget(self.f1, 1)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.table)
        left.addWidget(self.disagreements)
        left.setChildrenCollapsible(False)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(left)
        body.addWidget(figures)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        body.setChildrenCollapsible(False)
        self.body = body

        content = QWidget()  # its tables and figures need more height than the smallest window has
        scrolling_page(self, content)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.panel)
        layout.addWidget(body, 1)

    # ---- running ---------------------------------------------------------------------------
    def show_job(self, job_id: str) -> None:
        """Forget the last job's figures; list this job's coders and validate when gold labels exist."""
        self.job_id, self.validation = job_id, None
        self._show(None)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the coders (gold labels may have been added) and validate again."""
        job_id = self.job_id
        if job_id is None:
            return
        task = Task(self, lambda _: GoldStore(self.engine.store).coders(job_id))
        task.on_done(while_alive(self, partial(self._coders, job_id))).on_error(while_alive(self, self._failed))
        task.on_finished(task.deleteLater).start()

    def _coders(self, job_id: str, coders: list[str]) -> None:
        if job_id != self.job_id:
            return
        current = self.coder.currentText()
        self.coder.clear()
        self.coder.addItems([ALL_CODERS, *coders] if len(coders) > 1 else coders)
        if current:
            self.coder.setCurrentText(current)
        self.validate_button.setEnabled(bool(coders))
        self.export_button.setEnabled(bool(coders))
        if coders:
            self.validate()
        else:
            self.panel.show_messages(
                "info", ["No gold labels yet: code a sample by hand or import gold labels on the Hand coding tab."]
            )

    def validate(self) -> None:
        """Compare the job's coded rows with the chosen coder's gold labels (in the background)."""
        job_id = self.job_id
        if job_id is None or not self.coder.count():
            return
        if self._running:
            self._again = True  # one validation at a time; the latest choice runs when this one ends
            return
        coder = None if self.coder.currentText() == ALL_CODERS else self.coder.currentText()
        self._generation += 1
        generation = self._generation
        self.panel.show_messages("info", ["Validating…"])
        self.validate_button.setEnabled(False)
        self._running, self._again = True, False
        task = Task(self, lambda _: validate_job(self.engine, job_id, coder=coder))
        task.on_done(while_alive(self, lambda result: generation == self._generation and self._show(result)))
        task.on_error(while_alive(self, self._failed))
        task.on_finished(while_alive(self, self._validated))
        task.on_finished(task.deleteLater).start()

    def _validated(self) -> None:
        self._running = False
        self.validate_button.setEnabled(True)
        if self._again:
            self.validate()

    def _failed(self, error: BatchLabError) -> None:
        self.panel.show_messages("error", [error.message, error.hint])

    # ---- showing ---------------------------------------------------------------------------
    def _show(self, validation: Any) -> None:
        self.validation = validation
        self.figure_field.blockSignals(True)
        self.figure_field.clear()
        if validation is None:
            self.summary.clear()
            self.table_model.set_frame(None)
            self.disagreements.set_items([])
            self.figure_field.blockSignals(False)
            self._show_figures("")
            return
        self.panel.clear()
        self.summary.setText(summary_text(validation))
        self.table_model.set_frame(validation_frame(validation.fields, validation.human or {}))
        self.table.horizontalHeader().resizeSections(QHeaderView.ResizeMode.ResizeToContents)
        self.disagreements.set_items(validation.disagreements)
        self.figure_field.addItems([n for n, r in validation.fields.items() if r.get("type") in LABELLED])
        self.figure_field.blockSignals(False)
        self._show_figures(self.figure_field.currentText())

    def _show_figures(self, name: str) -> None:
        from app.core.research.figures import confusion_figure, f1_figure  # matplotlib: loaded when first drawn

        result = self.validation.fields.get(name) if self.validation is not None and name else None
        empty = "Figures are drawn for fields with labels (categories, yes/no, lists)."
        self.confusion.show_figure(partial(confusion_figure, result) if result else None, empty)
        self.f1.show_figure(partial(f1_figure, result) if result else None, empty)

    def open_disagreement(self, item: dict[str, Any]) -> DisagreementDialog:
        dialog = DisagreementDialog(item, self)
        dialog.open()
        return dialog

    # ---- export ----------------------------------------------------------------------------
    def choose_export(self) -> None:
        path = ask_save_path(self, "Export gold labels", "gold-labels.csv", [("CSV", ".csv")])
        if path:
            self.export_gold(path)

    def export_gold(self, path: Path) -> None:
        """Write every coder's gold labels to ``path`` as CSV (in the background)."""
        job_id = self.job_id
        if job_id is None:
            return

        def work(_: Any) -> Path:
            fields = [f.name for f in self.engine.spec(job_id).fields]
            return GoldStore(self.engine.store).export_csv(job_id, path, fields)

        task = Task(self, work)
        task.on_done(while_alive(self, lambda written: self.panel.show_messages("ok", [f"Gold labels saved to {written}."])))
        task.on_error(while_alive(self, self._failed))
        task.on_finished(task.deleteLater).start()
