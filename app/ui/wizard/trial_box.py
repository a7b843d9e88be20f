"""The Review step's trial run: a few sampled rows coded now, at normal prices, shown as a table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatchLabError
from app.core.run.providers import LABELS
from app.ui.common import MessagePanel, while_alive
from app.ui.models.table_model import DataFrameModel
from app.ui.tasks import Task, TaskContext, is_cancellation
from app.ui.wizard.estimate_box import money

if TYPE_CHECKING:
    from app.core.data import Table
    from app.core.keys import KeyStore
    from app.core.spec import JobSpec

PILOT_ROWS = 5
_IDLE = f"Sends {PILOT_ROWS} random rows now, at normal (not batch) prices, and shows the answers here."
#: A column of the trial's table is never wider than this (hovering shows the whole cell).
_WIDEST_COLUMN = 260


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if value is None:
        return ""
    return str(value)


def pilot_frame(results: list[Any], field_names: list[str]) -> pd.DataFrame:
    """The pilot's rows as a small table: row ID, status, reason, one column per field."""
    records = []
    for result in results:
        record = {"Row ID": result.row_id, "Status": result.status, "Reason": result.reason or ""}
        for name in field_names:
            record[name] = _cell(result.values.get(name)) if result.values else ""
        records.append(record)
    columns = ["Row ID", "Status", "Reason", *field_names]
    return pd.DataFrame(records, columns=columns).astype("str")


class TrialBox(QGroupBox):
    """Try on 5 rows: sent in the background (Stop stops it), answers in a table, the cost beside."""

    changed = Signal()
    #: The trial ended, whichever way (the page enables its buttons again).
    finished = Signal()

    def __init__(self, keys: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__("Trial run", parent)
        self.keys = keys
        self.results: list[Any] | None = None
        self._task: Task | None = None
        self._generation = 0
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.button = QPushButton(f"Try on {PILOT_ROWS} rows")
        self.button.setObjectName("tryRows")
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.cancel)
        self.stop_button.hide()
        row.addWidget(self.button)
        row.addWidget(self.stop_button)
        self.status = QLabel(_IDLE)
        self.status.setObjectName("pilotStatus")
        self.status.setWordWrap(True)
        row.addWidget(self.status, 1)
        layout.addLayout(row)
        self.error = MessagePanel()
        self.error.setObjectName("pilotError")
        layout.addWidget(self.error)
        self.model = DataFrameModel(self)
        self.view = QTableView()
        self.view.setObjectName("pilotResults")
        self.view.setModel(self.model)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setMinimumHeight(self.fontMetrics().height() * 9)
        layout.addWidget(self.view, 1)

    def run(self, spec: JobSpec, table: Table) -> None:
        """Code a few sampled rows now (direct calls) in the background and show them."""
        from app.core.run.pilot import run_pilot  # imported here: it pulls in the SDKs and the engine

        self._generation += 1
        generation, keys = self._generation, self.keys
        self.error.clear()
        self.status.setText(f"Sending {PILOT_ROWS} rows to {LABELS.get(spec.provider, spec.provider)}…")
        self.button.setEnabled(False)
        self.stop_button.show()

        def work(context: TaskContext) -> list[Any]:
            return run_pilot(spec, table, rows=PILOT_ROWS, keys=keys, should_cancel=context.should_cancel)

        self._task = (
            Task(self, work)
            .on_done(while_alive(self, lambda results: self._done(generation, spec, results)))
            .on_error(while_alive(self, lambda error: self._failed(generation, error)))
            .on_finished(while_alive(self, lambda: self._finished(generation)))
            .start()
        )

    def cancel(self) -> None:
        if self.is_running():
            self._task.cancel()  # type: ignore[union-attr]
            self.status.setText("Stopping the trial…")

    def is_running(self) -> bool:
        return self._task is not None and self._task.running

    def forget(self) -> None:
        """Stop a trial under way without a word (the page is emptied or shows another job)."""
        self._generation += 1
        if self._task is not None:
            self._task.cancel()

    def clear(self) -> None:
        """No trial yet: the table emptied, the explanation shown again."""
        self.forget()
        self.results = None
        self.model.set_frame(None)
        self.error.clear()
        self.stop_button.hide()
        self.status.setText(_IDLE)

    def _done(self, generation: int, spec: JobSpec, results: list[Any]) -> None:
        if generation != self._generation:
            return
        self.results = results
        self.model.set_frame(pilot_frame(results, [f.name for f in spec.fields]))
        header = self.view.horizontalHeader()
        for column in range(self.model.columnCount()):
            self.view.resizeColumnToContents(column)
            header.resizeSection(column, min(header.sectionSize(column), _WIDEST_COLUMN))
        counts: dict[str, int] = {}
        for result in results:
            counts[result.status] = counts.get(result.status, 0) + 1
        outcome = ", ".join(f"{n} {status}" for status, n in counts.items())
        costs = [r.cost for r in results if r.cost is not None]
        cost = f" Cost of the trial: about {money(sum(costs))} (normal prices)." if costs else ""
        self.status.setText(f"Trial finished: {outcome}.{cost} Hover over a cell to read it whole.")
        self.changed.emit()

    def _failed(self, generation: int, error: BatchLabError) -> None:
        if generation != self._generation:
            return
        if is_cancellation(error):
            self.status.setText("Trial stopped.")
            return
        self.status.setText("The trial did not run.")
        lines = [error.message] + ([error.hint] if error.hint else [])
        self.error.show_messages("error", lines, getattr(error, "title", ""))
        self.changed.emit()

    def _finished(self, generation: int) -> None:
        if generation == self._generation:
            self.stop_button.hide()
            self.finished.emit()
