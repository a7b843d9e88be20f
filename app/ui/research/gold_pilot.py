"""The Review step's check on hand-coded rows: pilot the instructions on the development rows, and
show how these exact instructions last did against the gold labels (in a pilot or a full job).

Gold labels live with a job, so the box looks for the latest job on the same data file (same ID
column and fields) that has hand-coded rows, and pilots on its sample's development part; the
test part stays untouched for the one final check (Halterman & Keith 2025).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core.data import Table
from app.core.errors import BatchLabError
from app.core.keys import KeyStore
from app.core.paths import database_path
from app.core.research.gold_store import GoldStore
from app.core.research.sampling import DEV
from app.core.research.validate import consensus, pilot_on_gold
from app.core.run.store import Store
from app.core.spec import JobSpec, load_spec
from app.ui.common import MessagePanel, while_alive
from app.ui.research.figures_table import figure
from app.ui.tasks import Task, TaskContext

#: The figure that sums up each field type in one line.
HEADLINE = {
    "category": ("accuracy", "accuracy"), "boolean": ("accuracy", "accuracy"), "number": ("mae", "MAE"),
    "integer": ("mae", "MAE"), "list": ("macro_f1", "macro-F1"), "text": ("exact_match", "exact matches"),
}


@dataclass
class GoldSource:
    """Hand-coded rows usable for a spec: whose job they belong to, the labels and the development rows."""

    job_id: str
    job_name: str
    gold: dict[str, dict[str, Any]]
    dev_rows: list[str]


def find_gold(store: Store, spec: JobSpec) -> GoldSource | None:
    """The latest job on the same data file, ID column and fields that has hand-coded rows."""
    gold_store = GoldStore(store)
    fields = [f.name for f in spec.fields]
    for row in store.jobs():
        coders = gold_store.coders(row["id"])
        if not coders:
            continue
        try:
            other = load_spec(Path(row["folder"]) / "spec.json")
        except BatchLabError:
            continue
        if other.data.name != spec.data.name or other.id_column != spec.id_column or [f.name for f in other.fields] != fields:
            continue
        by_coder = [gold_store.labels(row["id"], c).get(c, {}) for c in coders]
        gold = by_coder[0] if len(by_coder) == 1 else consensus(spec.fields, by_coder)
        sample = gold_store.sample(row["id"])
        dev = sample.part(DEV) if sample else []
        return GoldSource(row["id"], row["name"], gold, [r for r in dev if r in gold] or list(gold))
    return None


def headline(fields: dict[str, dict[str, Any]]) -> str:
    """One line per result: each field's main figure and its α, e.g. "sentiment: accuracy 0.800, α 0.712"."""
    parts = []
    for name, result in fields.items():
        if not result.get("n"):
            continue
        key, label = HEADLINE.get(result.get("type", ""), ("accuracy", "accuracy"))
        text = f"{name}: {label} {figure(result.get(key))}"
        if result.get("krippendorff_alpha") is not None:
            text += f", α {figure(result['krippendorff_alpha'])}"
        parts.append(text)
    return "; ".join(parts) or "no field could be compared"


class GoldPilotBox(QGroupBox):
    """Try the instructions on the development rows of the hand coding; ``validated`` carries the result."""

    validated = Signal(object)

    def __init__(self, keys: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__("Check on your hand-coded rows", parent)
        self.setObjectName("goldPilot")
        self.keys = keys
        self.spec: JobSpec | None = None
        self.table: Table | None = None
        self.source: GoldSource | None = None
        self._allowed = False
        self._task: Task | None = None
        self._generation = 0
        self.last = QLabel()
        self.last.setObjectName("lastValidation")
        self.last.setWordWrap(True)
        self.button = QPushButton("Try on hand-coded rows")
        self.button.setObjectName("pilotOnGold")
        self.button.clicked.connect(self.run)
        self.error = MessagePanel()
        row = QHBoxLayout()
        row.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.last, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.error)
        self.hide()

    def show_spec(self, spec: JobSpec | None, table: Table | None) -> None:
        """Look (in the background) for hand-coded rows of this data and the last validation of this spec."""
        self._generation += 1
        generation = self._generation
        self.spec, self.table, self.source = spec, table, None
        self.error.clear()
        self._update()
        if spec is None or table is None:
            self.hide()
            return

        def work(_: TaskContext) -> tuple[GoldSource | None, dict[str, Any] | None]:
            store = Store(database_path())
            return find_gold(store, spec), GoldStore(store).last_result(spec)

        task = Task(self, work)
        task.on_done(while_alive(self, lambda found: generation == self._generation and self._found(*found)))
        task.on_finished(task.deleteLater).start()

    def set_allowed(self, allowed: bool) -> None:
        """Whether rows may be sent now (the Review step's consent and readiness)."""
        self._allowed = allowed
        self._update()

    def _found(self, source: GoldSource | None, last: dict[str, Any] | None) -> None:
        self.source = source
        self.setVisible(source is not None or last is not None)
        self._show_last(last)
        if source is not None:
            self.button.setToolTip(
                f"Sends the {len(source.dev_rows):,} development rows hand-coded in “{source.job_name}” now "
                "(normal prices) and compares the answers with the hand coding. The test rows are kept for the "
                "final check."
            )
        self._update()

    def _show_last(self, last: dict[str, Any] | None) -> None:
        if last is None:
            self.last.setText("These instructions have not been checked against your hand-coded rows yet.")
            return
        result = last["result"]
        where = "a trial on" if last["kind"] == "pilot" else "the full job, on"
        at = last["at"]
        at = f"{at[:16].replace('T', ' ')} UTC" if "T" in at else at
        self.last.setText(
            f"<b>Last check</b> ({where} {result.get('rows_compared', 0):,} hand-coded rows, {at}): "
            f"{headline(result.get('fields', {}))}."
        )

    def _update(self) -> None:
        self.button.setEnabled(self._allowed and self.source is not None and not self.is_running())

    def is_running(self) -> bool:
        return self._task is not None and self._task.running

    def run(self) -> None:
        """Pilot on the development rows and validate the answers, in the background."""
        spec, table, source = self.spec, self.table, self.source
        if spec is None or table is None or source is None:
            return
        self.error.clear()
        self.last.setText(f"Sending {len(source.dev_rows):,} hand-coded development rows…")

        def work(context: TaskContext) -> Any:
            store = GoldStore(Store(database_path()))
            return pilot_on_gold(
                spec, table, source.gold, rows=source.dev_rows, keys=self.keys,
                should_cancel=context.should_cancel, store=store,
            )

        self._task = Task(self, work)
        self._task.on_done(while_alive(self, self._done)).on_error(while_alive(self, self._failed))
        self._task.on_finished(while_alive(self, self._update)).on_finished(self._task.deleteLater).start()
        self._update()

    def _done(self, validation: Any) -> None:
        self._show_last({"kind": "pilot", "at": "just now", "result": validation.to_json()})
        self.validated.emit(validation)

    def _failed(self, error: BatchLabError) -> None:
        self.last.setText("The trial did not run.")
        self.error.show_messages("error", [error.message, error.hint])
