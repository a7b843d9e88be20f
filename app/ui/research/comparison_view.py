"""The Comparison tab of a job: its linked runs, how well they agree, and the methods report.

A comparison starts from ComparisonDialog (repeat, another model, reworded instructions); the runs
are ordinary jobs that the jobs controller sends and follows. Once every run has finished, the
agreement across runs is computed in the background (run_agreement) and shown per field, as an
α chart, and as the rows on which the runs disagree, with each run's answer.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
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
from app.core.research.agreement import alpha_chart, run_agreement
from app.core.research.runs import linked_runs, start_comparison
from app.ui.common import MessagePanel, ask_save_path, scrolling_page, section_title, while_alive
from app.ui.jobs_controller import JobsController
from app.ui.models.rows_model import show_value
from app.ui.models.table_model import DataFrameModel
from app.ui.research.comparison_dialog import ComparisonDialog
from app.ui.research.figure_view import FigureView
from app.ui.research.figures_table import agreement_frame, runs_validation_frame
from app.ui.tasks import Task


def _table(model: DataFrameModel, name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    return view


DISAGREE = "Rows on which the runs disagree"


def _titled(title: str | QLabel, content: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(section_title(title) if isinstance(title, str) else title)
    layout.addWidget(content, 1)
    return box


def run_names(runs: list[str]) -> dict[str, str]:
    """"This job" for the first run, "Run 2", "Run 3" … for the others: short headers for the tables."""
    return {run: "This job" if i == 0 else f"Run {i + 1}" for i, run in enumerate(runs)}


class ComparisonView(QWidget):
    """Linked runs of one job and their agreement; ``report_saved`` carries the report's path."""

    report_saved = Signal(str)

    def __init__(self, controller: JobsController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.engine = controller.engine
        self.job_id: str | None = None
        self.family: list[str] = []
        self.agreement: Any = None
        self._generation = 0
        self._build()
        controller.job_changed.connect(self._job_changed)
        controller.jobs_changed.connect(lambda: self.is_waiting() and self.refresh())

    def _build(self) -> None:
        self.new_button = QPushButton("New comparison…")
        self.new_button.setObjectName("newComparison")
        self.new_button.clicked.connect(self.new_comparison)
        self.report_button = QPushButton("Save methods report…")
        self.report_button.setObjectName("saveReport")
        self.report_button.clicked.connect(self.choose_report_path)
        self.facts = QLabel()
        self.facts.setObjectName("comparisonFacts")
        self.facts.setWordWrap(True)
        self.panel = MessagePanel()
        actions = QHBoxLayout()
        actions.addWidget(self.facts, 1)
        actions.addWidget(self.new_button)
        actions.addWidget(self.report_button)

        self.fields_model = DataFrameModel(self)
        self.fields_view = _table(self.fields_model, "agreementTable")
        self.gold_model = DataFrameModel(self)
        self.gold_view = _table(self.gold_model, "runsValidation")
        self.rows_model = DataFrameModel(self)
        self.rows_view = _table(self.rows_model, "runDisagreements")
        self.chart = FigureView("Krippendorff's α per field", "alpha-per-field")

        self.gold_box = _titled("Each run against the gold labels", self.gold_view)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        self.rows_title = section_title(DISAGREE)
        self.rows_title.setWordWrap(True)
        bottom.addWidget(_titled(self.rows_title, self.rows_view))
        bottom.addWidget(self.chart)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 2)
        body = QSplitter(Qt.Orientation.Vertical)
        for part in (_titled("Agreement across runs", self.fields_view), self.gold_box, bottom):
            body.addWidget(part)
        body.setStretchFactor(0, 2)
        body.setStretchFactor(1, 2)
        body.setStretchFactor(2, 3)
        body.setChildrenCollapsible(False)
        self.body = body

        content = QWidget()  # its tables and figures need more height than the smallest window has
        scrolling_page(self, content)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(actions)
        layout.addWidget(self.panel)
        layout.addWidget(body, 1)

    # ---- following a job's family ----------------------------------------------------------
    def show_job(self, job_id: str) -> None:
        self.job_id, self.family, self.agreement = job_id, [], None
        self._show(None)
        self.refresh()

    def refresh(self) -> None:
        """Find the job's linked runs; compare them once all have finished."""
        job_id = self.job_id
        if job_id is None:
            return
        self._generation += 1
        generation = self._generation
        task = Task(self, lambda _: linked_runs(self.engine, job_id))
        task.on_done(while_alive(self, partial(self._family, generation)))
        task.on_error(while_alive(self, self._failed)).on_finished(task.deleteLater).start()

    def _family(self, generation: int, family: list[str]) -> None:
        if generation != self._generation:
            return
        self.family = family
        waiting = [j for j in family if (job := self.controller.job(j)) is None or not job.finished]
        runs = len(family) - 1
        if runs == 0:
            self.facts.setText("No comparison runs yet. Start one to see how stable this job's coding is.")
            return
        names = run_names(family)
        self.facts.setText(
            f"This job and {runs} linked run{'s' if runs != 1 else ''} ("
            + ", ".join(f"{names[j]}: job {j}" for j in family[1:]) + ")"
            + (f"; waiting for {len(waiting)} to finish." if waiting else ".")
        )
        if not waiting:
            self._compare(generation, family)

    def _compare(self, generation: int, family: list[str]) -> None:
        self.panel.show_messages("info", ["Comparing the runs…"])
        task = Task(self, lambda _: run_agreement(self.engine, family))
        task.on_done(while_alive(self, lambda result: generation == self._generation and self._show(result)))
        task.on_error(while_alive(self, self._failed)).on_finished(task.deleteLater).start()

    def _job_changed(self, job_id: str) -> None:
        job = self.controller.job(job_id)
        if job_id in self.family and job is not None and job.finished and self.is_waiting():
            self.refresh()

    def is_waiting(self) -> bool:
        """Whether linked runs exist and their agreement is not shown yet."""
        return len(self.family) > 1 and self.agreement is None

    # ---- showing ---------------------------------------------------------------------------
    def _show(self, agreement: Any) -> None:
        self.agreement = agreement
        if agreement is None:
            for model in (self.fields_model, self.gold_model, self.rows_model):
                model.set_frame(None)
            self.gold_box.hide()
            self.chart.show_figure(None, "The chart appears once the runs have finished.")
            return
        self.panel.clear()
        names = run_names(agreement.runs)
        self.fields_model.set_frame(agreement_frame(agreement.fields, agreement.rows_compared))
        self.fields_view.horizontalHeader().resizeSections(QHeaderView.ResizeMode.ResizeToContents)
        # each run's validation, when the gold rows were compared at all
        validations = {
            run: v for run, v in (agreement.validations or {}).items() if v.get("rows_compared")
        }
        self.gold_box.setVisible(bool(validations))
        self.gold_model.set_frame(runs_validation_frame(validations, names) if validations else None)
        rows = [
            [str(d["row_id"]), d["field"], *(show_value(d["answers"].get(run)) for run in agreement.runs)]
            for d in agreement.disagreements
        ]
        self.rows_model.set_frame(pd.DataFrame(rows, columns=["Row", "Field", *names.values()]))
        self.rows_view.resizeColumnsToContents()
        self.rows_title.setText(DISAGREE if rows else f"{DISAGREE}: none")
        self.chart.show_figure(partial(alpha_chart, agreement))

    def _failed(self, error: BatchLabError) -> None:
        self.panel.show_messages("error", [error.message, error.hint])

    # ---- starting runs ---------------------------------------------------------------------
    def new_comparison(self) -> ComparisonDialog | None:
        """Open the dialog that plans new linked runs (their cost is shown before they start)."""
        if self.job_id is None:
            return None
        dialog = ComparisonDialog(self.engine, self.job_id, self.engine.spec(self.job_id), self)
        dialog.start_requested.connect(self.start)
        dialog.open()
        return dialog

    def start(self, plan: Any) -> None:
        """Create the linked runs in the background and hand them to the jobs controller."""
        parent_id = self.job_id
        if parent_id is None:
            return
        self.panel.show_messages("info", [f"Preparing {plan.runs} run{'s' if plan.runs != 1 else ''}…"])

        def started(job_ids: list[str]) -> None:
            for job_id in job_ids:
                self.controller.resume(job_id)  # the controller sends and follows them like any job
            self.panel.clear()
            self.refresh()

        task = Task(self, lambda _: start_comparison(self.engine, parent_id, plan))
        task.on_done(while_alive(self, started)).on_error(while_alive(self, self._failed))
        task.on_finished(task.deleteLater).start()

    # ---- the report ------------------------------------------------------------------------
    def choose_report_path(self) -> None:
        path = ask_save_path(self, "Save methods report", "methods-report.html", [("Web page", ".html"), ("Markdown", ".md")])
        if path:
            self.save_report(path)

    def save_report(self, path: Path) -> None:
        """Write the job's methods report (HTML or Markdown by the suffix) in the background."""
        from app.core.research.report import build_report, write_report

        job_id = self.job_id
        if job_id is None:
            return
        self.report_button.setEnabled(False)
        task = Task(self, lambda _: write_report(build_report(self.engine, job_id), path))
        task.on_done(while_alive(self, lambda _: self._report_written(path)))
        task.on_error(while_alive(self, self._failed))
        task.on_finished(while_alive(self, lambda: self.report_button.setEnabled(True)))
        task.on_finished(task.deleteLater).start()

    def _report_written(self, path: Path) -> None:
        self.panel.show_messages("ok", [f"Methods report saved to {path}."])
        self.report_saved.emit(str(path))
