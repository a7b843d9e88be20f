"""Start a comparison run: repeat, another model, or reworded instructions; the cost is shown first.

The dialog only gathers a ComparisonPlan. Each change re-estimates in the background with
plan_specs and the Review step's own estimate, so the person sees what the runs cost before
anything is sent; Start hands the plan to the Comparison view.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.build.estimate import estimate
from app.core.build.pricing import default_models
from app.core.data import load_job_table
from app.core.errors import BatchLabError
from app.core.research.runs import DIRECT_MAX_ROWS, ComparisonPlan, instructions_diff, plan_specs
from app.core.run.engine import Engine
from app.core.run.providers import LABELS
from app.core.spec import PROVIDERS, JobSpec
from app.ui.common import MessagePanel, hint, section_title, while_alive
from app.ui.models.jobs_model import money
from app.ui.tasks import Task

KIND_LABELS = {"repeat": "Repeat the same job", "model": "Another model", "instructions": "Reworded instructions"}


def plan_cost(engine: Engine, parent_id: str, plan: ComparisonPlan) -> tuple[int, float | None]:
    """Rows per run and the total cost of the plan's runs (direct runs cost twice the batch price).

    Runs that differ only in their name (repeats) are estimated once.
    """
    total: float | None = 0.0
    rows = 0
    estimates: dict[str, tuple[int, float | None]] = {}
    for spec in plan_specs(engine, parent_id, plan):
        key = json.dumps({**spec.to_dict(), "name": ""}, sort_keys=True, default=str)
        if key not in estimates:
            manifest = estimate(spec, load_job_table(spec))
            estimates[key] = int(manifest.get("rows_sent") or 0), (manifest.get("cost") or {}).get("total")
        rows, cost = estimates[key]
        total = None if cost is None or total is None else total + cost * (2 if plan.direct else 1)
    return rows, total


class ComparisonDialog(QDialog):
    """Choose what the comparison runs change and on which rows; ``start_requested`` carries the plan."""

    start_requested = Signal(object)  # ComparisonPlan

    def __init__(self, engine: Engine, parent_id: str, spec: JobSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Start a comparison")
        self.setObjectName("comparisonDialog")
        self.resize(640, 600)
        self.engine, self.parent_id, self.spec = engine, parent_id, spec
        self._generation = 0
        self.kinds = QButtonGroup(self)
        kinds = QHBoxLayout()
        for i, (kind, label) in enumerate(KIND_LABELS.items()):
            button = QRadioButton(label)
            button.setProperty("kind", kind)
            button.setChecked(i == 0)
            self.kinds.addButton(button, i)
            kinds.addWidget(button)
        self.runs = QSpinBox()
        self.runs.setRange(1, 20)
        self.runs.setValue(3)
        self.runs.setMaximumWidth(90)
        self.provider = QComboBox()
        for provider in PROVIDERS:
            self.provider.addItem(LABELS.get(provider, provider), provider)
        self.provider.setCurrentIndex(PROVIDERS.index(spec.provider))
        self.model = QComboBox()
        self.model.setEditable(True)
        self.instructions = QPlainTextEdit(spec.instructions)
        self.diff = QPlainTextEdit()
        self.diff.setReadOnly(True)
        self.diff.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.diff.setPlaceholderText("Edit the instructions above; the difference to the job's is shown here.")
        self.sample = QCheckBox("Only a random sample of")
        self.rows = QSpinBox()
        self.rows.setRange(1, 1_000_000)
        self.rows.setValue(50)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.direct = QCheckBox(f"Code now through the direct endpoint (samples of at most {DIRECT_MAX_ROWS} rows; full price)")
        self.cost = QLabel("Estimating the cost…")
        self.cost.setObjectName("comparisonCost")
        self.cost.setWordWrap(True)
        self.panel = MessagePanel()

        form = QFormLayout()
        form.addRow("Runs:", self.runs)
        model_row = QHBoxLayout()
        model_row.addWidget(self.provider)
        model_row.addWidget(self.model, 1)
        self.model_label = QLabel("Model:")
        form.addRow(self.model_label, model_row)
        sample_row = QHBoxLayout()
        sample_row.addWidget(self.sample)
        sample_row.addWidget(self.rows)
        sample_row.addWidget(QLabel("rows, seed"))
        sample_row.addWidget(self.seed)
        sample_row.addStretch(1)
        form.addRow("Rows:", sample_row)
        form.addRow("", self.direct)
        self.wording = QWidget()
        wording = QVBoxLayout(self.wording)
        wording.setContentsMargins(0, 0, 0, 0)
        wording.addWidget(section_title("Reworded instructions"))
        wording.addWidget(self.instructions, 2)
        wording.addWidget(self.diff, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("startComparison")
        buttons.accepted.connect(self._start)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint("Each run is a new job linked to this one, coding the same rows, so you can see "
                              "how stable the coding is."))
        layout.addLayout(kinds)
        layout.addLayout(form)
        layout.addWidget(self.wording, 10)
        layout.addStretch(1)  # takes the room of the instructions when they are hidden
        layout.addWidget(self.cost)
        layout.addWidget(self.panel)
        layout.addWidget(buttons)

        self._timer = QTimer(self, singleShot=True, interval=300)
        self._timer.timeout.connect(self._estimate)
        self.kinds.idClicked.connect(self._changed)
        self.provider.currentIndexChanged.connect(self._provider_changed)
        for signal in (self.runs.valueChanged, self.rows.valueChanged, self.seed.valueChanged,
                       self.sample.toggled, self.direct.toggled, self.model.currentTextChanged,
                       self.instructions.textChanged):
            signal.connect(self._changed)
        self._provider_changed()

    # ---- the plan --------------------------------------------------------------------------
    def kind(self) -> str:
        return self.kinds.checkedButton().property("kind")

    def set_kind(self, kind: str) -> None:
        next(b for b in self.kinds.buttons() if b.property("kind") == kind).setChecked(True)
        self._changed()

    def plan(self) -> ComparisonPlan:
        kind = self.kind()
        other_model = kind == "model"
        return ComparisonPlan(
            kind=kind,
            runs=self.runs.value(),
            rows=self.rows.value() if self.sample.isChecked() else None,
            seed=self.seed.value(),
            provider=self.provider.currentData() if other_model else None,
            model=self.model.currentText().strip() or None if other_model else None,
            instructions=self.instructions.toPlainText() if kind == "instructions" else None,
            direct=self.direct.isChecked(),
        )

    def _provider_changed(self) -> None:
        provider = self.provider.currentData()
        self.model.blockSignals(True)
        self.model.clear()
        models = default_models(provider)
        self.model.addItems(models)
        other = next((m for m in models if m != self.spec.model), None)  # "another" model, where there is one
        if other:
            self.model.setCurrentText(other)
        self.model.blockSignals(False)
        self._changed()

    def _changed(self, *_: Any) -> None:
        kind = self.kind()
        for widget in (self.provider, self.model, self.model_label):
            widget.setVisible(kind == "model")
        self.wording.setVisible(kind == "instructions")
        self.rows.setEnabled(self.sample.isChecked())
        if kind == "instructions":
            self.diff.setPlainText(instructions_diff(self.spec.instructions, self.instructions.toPlainText()))
        self.start_button.setEnabled(False)
        self.cost.setText("Estimating the cost…")
        self._timer.start()

    # ---- the cost --------------------------------------------------------------------------
    def _estimate(self) -> None:
        self._generation += 1
        generation, plan = self._generation, self.plan()
        task = Task(self, lambda _: plan_cost(self.engine, self.parent_id, plan))
        task.on_done(while_alive(self, lambda result: self._estimated(generation, plan, result)))
        task.on_error(while_alive(self, lambda error: self._not_estimated(generation, error)))
        task.on_finished(task.deleteLater).start()

    def _estimated(self, generation: int, plan: ComparisonPlan, result: tuple[int, float | None]) -> None:
        if generation != self._generation:
            return
        rows, total = result
        price = "direct price" if plan.direct else "batch price, half the direct one"
        self.cost.setText(
            f"{plan.runs} run{'s' if plan.runs != 1 else ''} × {rows:,} rows: about {money(total)} in all ({price})."
        )
        self.panel.clear()
        self.start_button.setEnabled(True)

    def _not_estimated(self, generation: int, error: BatchLabError) -> None:
        if generation == self._generation:
            self.cost.setText("The runs cannot start yet:")
            self.panel.show_messages("error", [error.message, error.hint])

    def _start(self) -> None:
        self.start_requested.emit(self.plan())
        self.accept()
