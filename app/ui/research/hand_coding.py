"""Hand coding: draw a sample of the job's rows and code them one at a time, blind to the model.

Keys: 1–9 pick a choice of the first category field, Enter saves and goes on, Backspace goes back.
Every answer is saved the moment the person moves on (GoldStore.set_label), so closing the app
loses nothing and the next visit resumes at the first row this coder has not coded yet. The model's
answers are never read here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatchLabError
from app.core.research.gold_store import GoldStore
from app.core.research.sampling import Sample, draw_sample
from app.core.run.engine import Engine
from app.ui.common import hint, scrolling_page, section_title, settings, while_alive
from app.ui.dialogs import show_error
from app.ui.research.field_controls import FieldControls
from app.ui.research.gold_dialogs import GoldColumnDialog, GoldImportDialog
from app.ui.research.job_data import JobData, load_job_data
from app.ui.tasks import Task

#: QSettings key of the coder's name, remembered between sessions.
CODER_KEY = "research/coder"
NO_STRATA = "(no stratification)"


class HandCodingPanel(QWidget):
    """One job's hand-coding screen; ``labels_changed`` fires after gold labels were saved or imported."""

    labels_changed = Signal(str)  # job id

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.gold = GoldStore(engine.store)
        self.data: JobData | None = None
        self.sample: Sample | None = None
        self.coded: dict[str, dict[str, Any]] = {}
        self.position = 0
        self._unsaved: list[tuple[str, str, str, dict[str, Any]]] = []
        self._saving = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the coding keys arrive here
        self._build()
        self._show_state()

    # ---- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.coder = QLineEdit(settings().value(CODER_KEY, "", type=str))
        self.coder.setObjectName("coderName")
        self.coder.setPlaceholderText("your name or initials")
        self.coder.editingFinished.connect(self._coder_changed)
        self.size = QSpinBox()
        self.size.setRange(1, 100_000)
        self.size.setValue(100)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(1)
        self.seed.setMaximumWidth(110)
        self.strata = QComboBox()
        self.draw_button = QPushButton("Draw sample")
        self.draw_button.setObjectName("drawSample")
        self.draw_button.clicked.connect(self.draw)
        self.import_button = QPushButton("Import gold labels…")
        self.import_button.clicked.connect(self.import_gold)
        self.column_button = QPushButton("Gold from a data column…")
        self.column_button.clicked.connect(self.gold_from_column)
        self.sample_facts = hint("")

        self.coder.setMaximumWidth(220)
        self.strata.setMinimumContentsLength(14)
        self.strata.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        setup = QHBoxLayout()
        for label, widget in (("Coder", self.coder), ("Rows", self.size), ("Seed", self.seed), ("Stratify by", self.strata)):
            setup.addWidget(QLabel(label))
            setup.addWidget(widget)
        setup.addWidget(self.draw_button)
        setup.addStretch(1)
        facts = QHBoxLayout()
        facts.addWidget(self.sample_facts, 1)
        facts.addWidget(self.import_button)
        facts.addWidget(self.column_button)

        self.row_title = section_title("")
        self.progress = QProgressBar()
        self.progress.setObjectName("codingProgress")
        self.progress.setFormat("%v of %m coded")
        self.text = QPlainTextEdit()
        self.text.setObjectName("codingText")
        self.text.setReadOnly(True)
        self.text.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the coding shortcuts
        font = self.text.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.text.setFont(font)
        self.controls = FieldControls()
        self.back_button = QPushButton("← Back")
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton("Save and next →")
        self.next_button.setObjectName("primaryButton")
        self.next_button.clicked.connect(self.save_and_next)
        keys = hint("Keys: 1–9 choose, Enter saves and goes on, Backspace goes back. Answers are saved as you go.")
        nav = QHBoxLayout()
        nav.addWidget(keys, 1)
        nav.addWidget(self.back_button)
        nav.addWidget(self.next_button)

        self.coding = QWidget()
        coding = QVBoxLayout(self.coding)
        coding.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.row_title, 1)
        head.addWidget(self.progress)
        coding.addLayout(head)
        coding.addWidget(self.text, 1)
        coding.addWidget(self.controls)
        coding.addLayout(nav)

        content = QWidget()  # with a larger font, a field's choices need more height than the smallest window has
        scrolling_page(self, content).setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the coding keys stay with the panel
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addLayout(setup)
        layout.addLayout(facts)
        layout.addWidget(self.coding, 1)
        layout.addStretch(0)  # takes the room only while there is no sample to code: the rows above stay together

    # ---- loading a job ---------------------------------------------------------------------
    def show_job(self, job_id: str) -> None:
        """Read the job's data, sample and this coder's labels in the background, then resume."""
        self.data, self.sample, self.coded = None, None, {}
        self._show_state("Reading the job's data…")
        coder = self.coder_name()

        def work(_: Any) -> tuple[JobData, Sample | None, dict[str, dict[str, Any]]]:
            data = load_job_data(self.engine, job_id)
            return data, self.gold.sample(job_id), self.gold.labels(job_id, coder).get(coder, {})

        self._run(work, self._loaded)

    def _loaded(self, result: tuple[JobData, Sample | None, dict[str, dict[str, Any]]]) -> None:
        self.data, self.sample, self.coded = result
        self.controls.set_fields(self.data.spec.fields)
        self.strata.clear()
        self.strata.addItems([NO_STRATA, *self.data.columns])
        self.size.setMaximum(max(len(self.data.ids), 1))
        self.size.setValue(min(self.size.value(), len(self.data.ids)))
        self.position = self._first_uncoded()
        self._show_state()

    def coder_name(self) -> str:
        return self.coder.text().strip()

    def _coder_changed(self) -> None:
        """Another coder: remember the name and resume where they stopped."""
        if self.coder_name() == settings().value(CODER_KEY, "", type=str) and self.data is not None:
            return
        settings().setValue(CODER_KEY, self.coder_name())
        if self.data is not None:
            self.show_job(self.data.job_id)

    # ---- the sample ------------------------------------------------------------------------
    def draw(self) -> None:
        """Draw and record a new sample (size, seed, optional stratification column)."""
        if self.data is None:
            return
        data, size, seed = self.data, self.size.value(), self.seed.value()
        column = self.strata.currentText() if self.strata.currentIndex() > 0 else None

        def work(_: Any) -> Sample:
            strata = data.column(column) if column else None
            sample = draw_sample(data.ids, size, seed, strata=strata, stratify_by=column)
            self.gold.save_sample(data.job_id, sample)
            return sample

        def drawn(sample: Sample) -> None:
            self.sample = sample
            self.position = self._first_uncoded()
            self._show_state()

        self._run(work, drawn)

    def _first_uncoded(self) -> int:
        rows = self.sample.row_ids if self.sample else []
        return next((i for i, row_id in enumerate(rows) if row_id not in self.coded), max(len(rows) - 1, 0))

    # ---- coding ----------------------------------------------------------------------------
    def current_row(self) -> str | None:
        if not self.sample or not self.sample.row_ids:
            return None
        return self.sample.row_ids[self.position]

    def save_and_next(self) -> None:
        """Save this row's answers (when any were given) and show the next row."""
        row_id, data, coder = self.current_row(), self.data, self.coder_name()
        if row_id is None or data is None:
            return
        if not coder:
            self.coder.setFocus()
            self.sample_facts.setText("Type your name as coder first: gold labels are kept per coder.")
            return
        values = self.controls.values()
        if values and values != self.coded.get(row_id):
            self.coded[row_id] = values
            self._unsaved.append((data.job_id, coder, row_id, values))
            self._save()
        self.position = min(self.position + 1, len(self.sample.row_ids) - 1)
        self._show_state()

    def _save(self) -> None:
        """Write the answers not yet saved, one background write at a time (fast typing queues them)."""
        if self._saving or not self._unsaved:
            return
        batch, self._unsaved = self._unsaved, []
        self._saving = True

        def work(_: Any) -> set[str]:
            for job_id, coder, row_id, values in batch:
                self.gold.set_label(job_id, coder, row_id, values)
            return {job_id for job_id, *_ in batch}

        def saved(jobs: set[str]) -> None:
            for job_id in jobs:
                self.labels_changed.emit(job_id)

        def finished() -> None:
            self._saving = False
            self._save()

        task = Task(self, work)
        task.on_done(while_alive(self, saved)).on_error(while_alive(self, self._failed))
        task.on_finished(while_alive(self, finished)).on_finished(task.deleteLater).start()

    def back(self) -> None:
        if self.position > 0:
            self.position -= 1
            self._show_state()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key = event.key()
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and self.controls.pick(key - Qt.Key.Key_0):
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.save_and_next()
        elif key == Qt.Key.Key_Backspace:
            self.back()
        else:
            super().keyPressEvent(event)

    def _show_state(self, message: str = "") -> None:
        ready = self.data is not None
        for widget in (self.draw_button, self.import_button, self.column_button):
            widget.setEnabled(ready)
        row_id = self.current_row() if ready else None
        self.coding.setVisible(row_id is not None)
        if not ready or self.sample is None:
            self.sample_facts.setText(message or "Draw a random sample of rows to code by hand, or import gold labels.")
            return
        sample, total = self.sample, len(self.sample.row_ids)
        strata = f", stratified by “{sample.stratify_by}”" if sample.stratify_by else ""
        done = sum(1 for r in sample.row_ids if r in self.coded)
        status = (
            "All rows are coded: the Validation tab compares them with the model."
            if done == total
            else "You see the text only, never the model's answers."
        )
        self.sample_facts.setText(f"Sample of {total:,} rows drawn with seed {sample.seed}{strata}. {status}")
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.row_title.setText(f"Row {row_id}  ·  {self.position + 1} of {total}")
        self.text.setPlainText(self.data.text(row_id))
        self.controls.set_values(self.coded.get(row_id, {}))
        self.back_button.setEnabled(self.position > 0)
        self.setFocus()

    # ---- gold labels from elsewhere --------------------------------------------------------
    def import_gold(self) -> None:
        if self.data is not None:
            dialog = GoldImportDialog(self.engine, self.data, self.coder_name(), self)
            dialog.saved.connect(self.labels_changed)
            dialog.open()

    def gold_from_column(self) -> None:
        if self.data is not None:
            dialog = GoldColumnDialog(self.engine, self.data, self)
            dialog.saved.connect(self.labels_changed)
            dialog.open()

    def _run(self, work: Callable[[Any], Any], done: Callable[[Any], None]) -> None:
        task = Task(self, work)
        task.on_done(while_alive(self, done)).on_error(while_alive(self, self._failed))
        task.on_finished(task.deleteLater).start()

    def _failed(self, error: BatchLabError) -> None:
        self._show_state()
        show_error(self, error)
