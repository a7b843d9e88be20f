"""The Review step's "Cost and tokens": the job's estimate, counted in the background."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QLabel, QProgressBar, QVBoxLayout, QWidget

from app.core.build.estimate import estimate
from app.core.errors import BatchLabError
from app.ui.common import MessagePanel, hint, plural, while_alive
from app.ui.tasks import Task, TaskContext, is_cancellation

if TYPE_CHECKING:
    from app.core.data import Table
    from app.core.spec import JobSpec


def money(value: float | None, currency: str = "USD") -> str:
    """$1,234.56 — more decimals for small amounts so they do not read as zero."""
    if value is None:
        return "unknown"
    symbol = "$" if currency == "USD" else f"{currency} "
    if value == 0:
        return f"{symbol}0.00"
    if value < 0.01:
        return f"{symbol}{value:.4f}"
    if value < 1:
        return f"{symbol}{value:.3f}"
    return f"{symbol}{value:,.2f}"


#: Shown while the job is incomplete.
NOT_YET = "The cost is estimated once every step is complete."


class EstimateBox(QGroupBox):
    """Tokens and cost of every request of the job, with a progress bar while they are counted."""

    #: The estimate is in: the job's manifest as :func:`app.core.build.estimate.estimate` gives it.
    estimated = Signal(dict)
    #: The estimate failed (its reason is shown here).
    failed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Cost and tokens", parent)
        self._task: Task | None = None
        self._generation = 0
        layout = QVBoxLayout(self)
        self.cost_label = QLabel()
        self.cost_label.setObjectName("costLine")
        self.cost_label.setWordWrap(True)
        self.cost_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.cost_label)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.tokens_label = hint("")
        layout.addWidget(self.tokens_label)
        self.source_label = hint("")
        layout.addWidget(self.source_label)
        self.notes_panel = MessagePanel()
        self.notes_panel.setObjectName("estimateNotes")
        layout.addWidget(self.notes_panel)

    def start(self, spec: JobSpec, table: Table) -> None:
        """Estimate ``spec`` on ``table`` in the background, instead of any estimate under way."""
        self.cancel()
        generation = self._generation
        self.cost_label.setText("Estimating the cost…")
        self.tokens_label.setText("Counting the tokens of every request (this can take a moment for large files).")
        self.source_label.clear()
        self.notes_panel.clear()
        self.progress.setValue(0)
        self.progress.show()

        def work(context: TaskContext) -> dict[str, Any]:
            return estimate(spec, table, progress=context.progress, should_cancel=context.should_cancel)

        self._task = (
            Task(self, work)
            .with_progress(while_alive(self, lambda done, total: self._progress(generation, done, total)))
            .on_done(while_alive(self, lambda manifest: self._done(generation, manifest)))
            .on_error(while_alive(self, lambda error: self._failed(generation, error)))
            .start()
        )

    def cancel(self) -> None:
        """Stop the estimate under way; whatever it still reports is ignored."""
        self._generation += 1
        if self._task is not None:
            self._task.cancel()
        self.progress.hide()

    def clear(self) -> None:
        """No job to estimate yet: say when there will be (an empty frame looked broken)."""
        self.cancel()
        for label in (self.tokens_label, self.source_label):
            label.clear()
        self.cost_label.setText(NOT_YET)
        self.notes_panel.clear()

    def is_running(self) -> bool:
        return self._task is not None and self._task.running

    def _progress(self, generation: int, done: int, total: int) -> None:
        if generation == self._generation and total > 0:
            self.progress.setValue(int(1000 * min(done, total) / total))

    def _done(self, generation: int, manifest: dict[str, Any]) -> None:
        if generation != self._generation:
            return
        self.progress.hide()
        cost, tokens = manifest.get("cost", {}), manifest.get("tokens", {})
        currency = cost.get("currency", "USD")
        if cost.get("total") is None:
            self.cost_label.setText(f"<b>Estimated cost: unknown.</b> {cost.get('note', '')}")
        else:
            self.cost_label.setText(
                f"<b>Estimated cost: about {money(cost['total'], currency)}</b> at batch prices "
                f"(input {money(cost.get('input'), currency)} + output {money(cost.get('output'), currency)})."
            )
        sent, total = manifest.get("rows_sent", 0), manifest.get("rows_total", 0)
        skipped = total - sent
        rows_text = f"{plural(sent, 'row')} in {plural(manifest.get('requests', 0), 'request')}"
        if skipped:
            rows_text += f" ({plural(skipped, 'row')} with a blank text left out)"
        self.tokens_label.setText(
            f"{rows_text}: {tokens.get('input_total', 0):,} input tokens (at most "
            f"{tokens.get('input_per_request_max', 0):,} in one request) and about "
            f"{tokens.get('output_estimate_total', 0):,} output tokens. "
            f"Counted with: {tokens.get('method', 'unknown method')}."
        )
        source = cost.get("source")
        note = cost.get("note", "") if cost.get("total") is not None else ""
        self.source_label.setText(" ".join(p for p in (f"Prices: {source}." if source else "", note) if p))
        notes = list(manifest.get("notes") or [])
        warnings = list(manifest.get("warnings") or [])
        if warnings:
            self.notes_panel.show_messages("warning", warnings + notes, "Please check")
        elif notes:
            self.notes_panel.show_messages("info", notes, "Adjusted for this model")
        else:
            self.notes_panel.clear()
        self.estimated.emit(manifest)

    def _failed(self, generation: int, error: BatchLabError) -> None:
        if generation != self._generation:
            return
        self.progress.hide()
        if is_cancellation(error):
            self.cost_label.setText("Estimate stopped.")
            return
        self.cost_label.setText("<b>The cost could not be estimated.</b>")
        self.tokens_label.setText(error.message)
        self.source_label.setText(error.hint)
        self.failed.emit()
