"""Step 5 — Review: the exact requests, the cost, what to expect, a 5-row trial, and Submit."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.data import Table
from app.core.errors import BatchLabError
from app.core.build.estimate import estimate
from app.core.keys import KeyStore
from app.core.build.prepare import preview_requests
from app.core.run.providers import LABELS, key_account
from app.core.spec import AUTO, JobSpec, rows_per_request_text
from app.ui.common import (
    MessagePanel,
    heading,
    hint,
    plural,
    settings,
    while_alive,
)
from app.ui.models.table_model import DataFrameModel
from app.ui.research.gold_pilot import GoldPilotBox
from app.ui.tasks import Task, TaskContext, is_cancellation

PILOT_ROWS = 5
PREVIEW_REQUESTS = 2
EXPECT = (
    "Results come back within 24 hours, usually much sooner. You can close BatchLab meanwhile: "
    "it picks the job up again when you open it, and nothing is submitted twice. "
    "Every row ends with a status (coded, failed, refused …) and you can resend the rows that did not work."
)


def consent_key(provider: str, base_url: str | None = None, data: Path | None = None) -> str:
    """The QSettings key remembering that the person agreed to send *this data file's* texts to this
    provider: agreeing for one dataset says nothing about the next."""
    where = provider if provider != "compatible" else f"compatible/{(base_url or '').strip().lower()}"
    dataset = hashlib.sha256(str(Path(data).absolute()).encode()).hexdigest()[:16] if data else "any"
    return f"consent/{where}/{dataset}"


def recipient(provider: str, base_url: str | None = None) -> str:
    if provider == "compatible":
        return f"the server at {base_url}" if base_url else "the OpenAI-compatible server"
    return LABELS.get(provider, provider)


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


class ReviewPage(QWidget):
    """What will happen, shown before anything is sent; Submit asks the wizard to hand the job over."""

    changed = Signal()
    submit_clicked = Signal()

    def __init__(self, keys: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keys = keys
        self.spec: JobSpec | None = None
        self.table: Table | None = None
        self.manifest: dict[str, Any] | None = None
        self.requests: list[dict[str, Any]] | None = None
        self.pilot_results: list[Any] | None = None
        self._problems: list[str] = []
        self._default_name = ""
        self._preview_task: Task | None = None
        self._estimate_task: Task | None = None
        self._pilot_task: Task | None = None
        self._generation = 0
        self._pilot_generation = 0
        self._build()
        self._update_actions()

    # ---- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(
            heading(
                "Review and submit",
                "Check what will be sent and what it will cost. Try it on 5 rows first: if the answers "
                "look wrong, go back and sharpen the instructions.",
            )
        )
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)

        # Left: summary, estimate, consent, submit.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        left = QWidget()
        scroll.setWidget(left)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 8, 0)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("jobName")
        self.name_edit.setToolTip("Shown in the list of jobs; change it to something you will recognise.")
        form.addRow("Job name:", self.name_edit)
        column.addLayout(form)
        self.problems_panel = MessagePanel()
        self.problems_panel.setObjectName("reviewProblems")
        column.addWidget(self.problems_panel)
        self.summary_label = QLabel()
        self.summary_label.setObjectName("summary")
        self.summary_label.setWordWrap(True)
        column.addWidget(self.summary_label)

        estimate_box = QGroupBox("Cost and tokens")
        estimate_layout = QVBoxLayout(estimate_box)
        self.cost_label = QLabel()
        self.cost_label.setObjectName("costLine")
        self.cost_label.setWordWrap(True)
        self.cost_label.setTextFormat(Qt.TextFormat.RichText)
        estimate_layout.addWidget(self.cost_label)
        self.estimate_progress = QProgressBar()
        self.estimate_progress.setRange(0, 1000)
        self.estimate_progress.setMaximumHeight(14)
        self.estimate_progress.setTextVisible(False)
        self.estimate_progress.hide()
        estimate_layout.addWidget(self.estimate_progress)
        self.tokens_label = hint("")
        estimate_layout.addWidget(self.tokens_label)
        self.source_label = hint("")
        estimate_layout.addWidget(self.source_label)
        self.notes_panel = MessagePanel()
        self.notes_panel.setObjectName("estimateNotes")
        estimate_layout.addWidget(self.notes_panel)
        column.addWidget(estimate_box)

        expect = QGroupBox("What to expect")
        expect_layout = QVBoxLayout(expect)
        self.expect_label = QLabel(EXPECT)
        self.expect_label.setWordWrap(True)
        expect_layout.addWidget(self.expect_label)
        column.addWidget(expect)

        self.consent_box = QGroupBox("Your texts")
        consent_layout = QVBoxLayout(self.consent_box)
        self.consent_text = QLabel()
        self.consent_text.setWordWrap(True)
        consent_layout.addWidget(self.consent_text)
        self.consent_check = QCheckBox()
        self.consent_check.setObjectName("consent")
        self.consent_check.toggled.connect(self._consent_toggled)
        consent_layout.addWidget(self.consent_check)
        column.addWidget(self.consent_box)
        column.addStretch(1)

        self.submit_button = QPushButton("Submit")
        self.submit_button.setObjectName("primaryButton")
        self.submit_button.setMinimumHeight(36)
        font = self.submit_button.font()
        font.setBold(True)
        self.submit_button.setFont(font)
        self.submit_button.clicked.connect(self.submit_clicked)
        self.submit_reason = hint("")
        # the wizard shows both in its footer, so Submit is in view at any window size
        splitter.addWidget(scroll)

        # Right: the requests, and the 5-row trial.
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        requests_title = QLabel("<b>The first requests, exactly as they will be sent</b>")
        right_layout.addWidget(requests_title)
        right_layout.addWidget(
            hint("Each request is one line of the batch file; shown here with line breaks so it can be read.")
        )
        self.requests_view = QPlainTextEdit()
        self.requests_view.setObjectName("requestsPreview")
        self.requests_view.setReadOnly(True)
        self.requests_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.requests_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        right_layout.addWidget(self.requests_view, 3)

        pilot = QGroupBox("Trial run")
        pilot_layout = QVBoxLayout(pilot)
        pilot_row = QHBoxLayout()
        self.pilot_button = QPushButton(f"Try on {PILOT_ROWS} rows")
        self.pilot_button.setObjectName("tryRows")
        self.pilot_button.clicked.connect(self.run_pilot)
        self.pilot_cancel = QPushButton("Stop")
        self.pilot_cancel.clicked.connect(self.cancel_pilot)
        self.pilot_cancel.hide()
        pilot_row.addWidget(self.pilot_button)
        pilot_row.addWidget(self.pilot_cancel)
        self.pilot_status = QLabel(
            f"Sends {PILOT_ROWS} random rows now, at normal (not batch) prices, and shows the answers here."
        )
        self.pilot_status.setObjectName("pilotStatus")
        self.pilot_status.setWordWrap(True)
        pilot_row.addWidget(self.pilot_status, 1)
        pilot_layout.addLayout(pilot_row)
        self.pilot_error = MessagePanel()
        self.pilot_error.setObjectName("pilotError")
        pilot_layout.addWidget(self.pilot_error)
        self.pilot_model = DataFrameModel(self)
        self.pilot_view = QTableView()
        self.pilot_view.setObjectName("pilotResults")
        self.pilot_view.setModel(self.pilot_model)
        self.pilot_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.pilot_view.setAlternatingRowColors(True)
        self.pilot_view.verticalHeader().hide()
        self.pilot_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.pilot_view.horizontalHeader().setStretchLastSection(True)
        self.pilot_view.setMinimumHeight(self.fontMetrics().height() * 9)
        pilot_layout.addWidget(self.pilot_view, 1)
        right_layout.addWidget(pilot, 2)
        self.gold_pilot = GoldPilotBox(self.keys)  # pilot on hand-coded rows; the last check of these instructions
        right_layout.addWidget(self.gold_pilot)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 5)
        splitter.setSizes([500, 640])

    # ---- content ---------------------------------------------------------------------------
    def job_name(self) -> str:
        return self.name_edit.text().strip() or self._default_name

    def set_job_name(self, name: str) -> None:
        self.name_edit.setText(name)

    def set_default_name(self, name: str) -> None:
        """The name used while the person has not typed one (shown greyed in the box)."""
        self._default_name = name
        self.name_edit.setPlaceholderText(name)

    def shows(self, spec: JobSpec | None, problems: list[str]) -> bool:
        """Whether the page already shows this spec (or these problems)."""
        if spec is None or self.spec is None:
            return spec is None and self.spec is None and problems == self._problems
        return _comparable(spec) == _comparable(self.spec)

    def refresh(self, spec: JobSpec | None, table: Table | None, problems: list[str]) -> None:
        """Show ``spec`` (None: the job is incomplete, and ``problems`` say why)."""
        self.cancel_work(keep_pilot=True)
        self._generation += 1
        same_job = spec is not None and self.spec is not None and _comparable(spec) == _comparable(self.spec)
        self.spec, self.table, self._problems = spec, table, list(problems)
        self.gold_pilot.show_spec(spec, table)
        if not same_job:
            self._clear_pilot()
        self.manifest, self.requests = None, None
        if spec is None or table is None:
            self.problems_panel.show_messages("error", self._problems, "Some steps need attention first")
            self.summary_label.clear()
            self.cost_label.clear()
            self.tokens_label.clear()
            self.source_label.clear()
            self.notes_panel.clear()
            self.requests_view.setPlainText("")
            self._update_consent()
            self._update_actions()
            return
        self.problems_panel.clear()
        self._show_summary()
        self._update_consent()
        self._start_preview()
        self._start_estimate()
        self._update_actions()

    def _show_summary(self) -> None:
        spec, table = self.spec, self.table
        assert spec is not None and table is not None
        rows = len(table)
        names = ", ".join(f.name for f in spec.fields)
        where = LABELS.get(spec.provider, spec.provider)
        manifest = self.manifest
        if manifest is None and spec.rows_per_request == AUTO:
            how = "Rows per request: automatic (the estimate below shows how many)."
        elif manifest is None:  # until the estimate says exactly (it leaves out blank texts)
            requests = math.ceil(rows / int(spec.rows_per_request))
            how = f"With {rows_per_request_text(spec.rows_per_request)}, that is about {plural(requests, 'request')}."
        else:
            sent = manifest.get("rows_sent", rows)
            per = rows_per_request_text(spec.rows_per_request, manifest.get("rows_per_request"))
            how = f"{plural(sent, 'row')} go out in {plural(manifest.get('requests', 0), 'request')} ({per})"
            overhead = manifest.get("tokens", {}).get("overhead_per_row")
            if overhead is not None:
                how += f"; each row costs about {overhead:.0f} input tokens beyond its own text"
            left = rows - sent
            how += f"; {plural(left, 'row')} with a blank text {'is' if left == 1 else 'are'} left out." if left else "."
        self.summary_label.setText(
            f"<b>{plural(rows, 'row')}</b> of {table.path.name} will be coded by <b>{where}</b> "
            f"({spec.model}) into {plural(len(spec.fields), 'field')}: {names}. {how}"
        )

    # ---- background work: preview and estimate ---------------------------------------------
    def _start_preview(self) -> None:
        spec, table, generation = self.spec, self.table, self._generation
        self.requests_view.setPlainText("Building the first requests…")

        def work(_context: TaskContext) -> list[dict[str, Any]]:
            return preview_requests(spec, table, count=PREVIEW_REQUESTS)  # type: ignore[arg-type]

        self._preview_task = (
            Task(self, work)
            .on_done(while_alive(self, lambda lines: self._preview_done(generation, lines)))
            .on_error(while_alive(self, lambda error: self._preview_failed(generation, error)))
            .start()
        )

    def _preview_done(self, generation: int, lines: list[dict[str, Any]]) -> None:
        if generation != self._generation:
            return
        self.requests = lines
        texts = [json.dumps(line, indent=2, ensure_ascii=False) for line in lines]
        shown = "\n\n".join(f"// Request {i + 1} of the batch file\n{text}" for i, text in enumerate(texts))
        self.requests_view.setPlainText(shown)
        self.changed.emit()

    def _preview_failed(self, generation: int, error: BatchLabError) -> None:
        if generation != self._generation:
            return
        self.requests_view.setPlainText(f"The requests could not be built.\n\n{error.message}\n{error.hint}".strip())
        self.changed.emit()

    def _start_estimate(self) -> None:
        spec, table, generation = self.spec, self.table, self._generation
        self.cost_label.setText("Estimating the cost…")
        self.tokens_label.setText("Counting the tokens of every request (this can take a moment for large files).")
        self.source_label.clear()
        self.notes_panel.clear()
        self.estimate_progress.setValue(0)
        self.estimate_progress.show()

        def work(context: TaskContext) -> dict[str, Any]:
            return estimate(spec, table, progress=context.progress, should_cancel=context.should_cancel)  # type: ignore[arg-type]

        self._estimate_task = (
            Task(self, work)
            .with_progress(while_alive(self, lambda done, total: self._estimate_progress(generation, done, total)))
            .on_done(while_alive(self, lambda manifest: self._estimate_done(generation, manifest)))
            .on_error(while_alive(self, lambda error: self._estimate_failed(generation, error)))
            .start()
        )

    def _estimate_progress(self, generation: int, done: int, total: int) -> None:
        if generation == self._generation and total > 0:
            self.estimate_progress.setValue(int(1000 * min(done, total) / total))

    def _estimate_done(self, generation: int, manifest: dict[str, Any]) -> None:
        if generation != self._generation:
            return
        self.manifest = manifest
        self._show_summary()
        self.estimate_progress.hide()
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
        self.changed.emit()

    def _estimate_failed(self, generation: int, error: BatchLabError) -> None:
        if generation != self._generation:
            return
        self.estimate_progress.hide()
        if is_cancellation(error):
            self.cost_label.setText("Estimate stopped.")
            return
        self.cost_label.setText("<b>The cost could not be estimated.</b>")
        self.tokens_label.setText(error.message)
        self.source_label.setText(error.hint)
        self.changed.emit()

    def is_estimating(self) -> bool:
        """True while the preview or the estimate is being computed."""
        return any(t is not None and t.running for t in (self._preview_task, self._estimate_task))

    # ---- consent ---------------------------------------------------------------------------
    def _update_consent(self) -> None:
        spec = self.spec
        provider = spec.provider if spec else None
        if provider is None or provider == "demo":
            self.consent_box.setVisible(provider is not None)
            self.consent_text.setText("The Demo runs on this computer: your texts are not sent anywhere.")
            self.consent_check.hide()
            return
        self.consent_box.show()
        self.consent_check.show()
        who = recipient(provider, spec.base_url)  # type: ignore[union-attr]
        self.consent_text.setText(
            f"To code them, BatchLab sends the texts of the rows (through the row template) and your instructions "
            f"to {who}, where they are processed under its terms. Make sure your data may be shared this way "
            f"(consent, ethics approval, data-protection rules)."
        )
        self.consent_check.blockSignals(True)
        self.consent_check.setText(f"I understand my texts will be sent to {who}")
        self.consent_check.setChecked(bool(settings().value(consent_key(provider, spec.base_url, spec.data), False, type=bool)))  # type: ignore[union-attr]
        self.consent_check.blockSignals(False)

    def _consent_toggled(self, checked: bool) -> None:
        if self.spec is not None:
            settings().setValue(consent_key(self.spec.provider, self.spec.base_url, self.spec.data), checked)
        self._update_actions()
        self.changed.emit()

    def key_missing(self) -> bool:
        """The provider needs an API key and none is saved (submitting would only wait for one)."""
        spec = self.spec
        account = key_account(spec.provider, spec.base_url) if spec is not None else None
        return account is not None and self.keys.get(account) is None

    def consent_given(self) -> bool:
        spec = self.spec
        return spec is not None and (spec.provider == "demo" or self.consent_check.isChecked())

    # ---- the 5-row trial -------------------------------------------------------------------
    def run_pilot(self) -> None:
        """Code a few sampled rows now (direct calls) in the background and show them."""
        spec, table, keys = self.spec, self.table, self.keys
        if spec is None or table is None or not self.consent_given():
            return
        from app.core.run.pilot import (
            run_pilot,  # imported here: it pulls in the SDKs and the engine
        )

        self._pilot_generation += 1
        generation = self._pilot_generation
        self.pilot_error.clear()
        self.pilot_status.setText(f"Sending {PILOT_ROWS} rows to {LABELS.get(spec.provider, spec.provider)}…")
        self.pilot_button.setEnabled(False)
        self.pilot_cancel.show()

        def work(context: TaskContext) -> list[Any]:
            return run_pilot(spec, table, rows=PILOT_ROWS, keys=keys, should_cancel=context.should_cancel)

        self._pilot_task = (
            Task(self, work)
            .on_done(while_alive(self, lambda results: self._pilot_done(generation, spec, results)))
            .on_error(while_alive(self, lambda error: self._pilot_failed(generation, error)))
            .on_finished(while_alive(self, lambda: self._pilot_finished(generation)))
            .start()
        )

    def cancel_pilot(self) -> None:
        if self._pilot_task is not None and self._pilot_task.running:
            self._pilot_task.cancel()
            self.pilot_status.setText("Stopping the trial…")

    def is_piloting(self) -> bool:
        return self._pilot_task is not None and self._pilot_task.running

    def _pilot_done(self, generation: int, spec: JobSpec, results: list[Any]) -> None:
        if generation != self._pilot_generation:
            return
        self.pilot_results = results
        names = [f.name for f in spec.fields]
        self.pilot_model.set_frame(pilot_frame(results, names))
        header = self.pilot_view.horizontalHeader()
        for column in range(self.pilot_model.columnCount()):
            self.pilot_view.resizeColumnToContents(column)
            header.resizeSection(column, min(header.sectionSize(column), 260))
        counts: dict[str, int] = {}
        for result in results:
            counts[result.status] = counts.get(result.status, 0) + 1
        outcome = ", ".join(f"{n} {status}" for status, n in counts.items())
        costs = [r.cost for r in results if r.cost is not None]
        cost = f" Cost of the trial: about {money(sum(costs))} (normal prices)." if costs else ""
        self.pilot_status.setText(f"Trial finished: {outcome}.{cost} Hover over a cell to read it whole.")
        self.changed.emit()

    def _pilot_failed(self, generation: int, error: BatchLabError) -> None:
        if generation != self._pilot_generation:
            return
        if is_cancellation(error):
            self.pilot_status.setText("Trial stopped.")
            return
        self.pilot_status.setText("The trial did not run.")
        lines = [error.message] + ([error.hint] if error.hint else [])
        self.pilot_error.show_messages("error", lines, getattr(error, "title", ""))
        self.changed.emit()

    def _pilot_finished(self, generation: int) -> None:
        if generation == self._pilot_generation:
            self.pilot_cancel.hide()
            self._update_actions()

    def _clear_pilot(self) -> None:
        self._pilot_generation += 1
        if self._pilot_task is not None:
            self._pilot_task.cancel()
        self.pilot_results = None
        self.pilot_model.set_frame(None)
        self.pilot_error.clear()
        self.pilot_cancel.hide()
        self.pilot_status.setText(
            f"Sends {PILOT_ROWS} random rows now, at normal (not batch) prices, and shows the answers here."
        )

    # ---- actions ---------------------------------------------------------------------------
    def _update_actions(self) -> None:
        spec = self.spec
        ready = spec is not None and self.table is not None
        consent = self.consent_given()
        keyless = self.key_missing()
        self.pilot_button.setEnabled(ready and consent and not keyless and not self.is_piloting())
        self.gold_pilot.set_allowed(ready and consent and not keyless)
        self.submit_button.setEnabled(ready and consent and not keyless)
        if spec is not None:
            self.submit_button.setText(f"Submit the batch to {LABELS.get(spec.provider, spec.provider)}")
        else:
            self.submit_button.setText("Submit")
        if not ready:
            reason = "Complete the steps above first."
        elif keyless:
            who = LABELS.get(spec.provider, spec.provider)  # type: ignore[union-attr]
            reason = f"No API key is set for {who}: add it in step 4 (Model) or under Settings, then submit."
        elif not consent:
            reason = "Tick “I understand my texts will be sent …” above to try rows or submit."
        else:
            reason = "Submitting creates the job; you can follow it in the list of jobs."
        self.submit_reason.setText(reason)

    def cancel_work(self, keep_pilot: bool = False) -> None:
        self._generation += 1
        for task in (self._preview_task, self._estimate_task):
            if task is not None:
                task.cancel()
        self.estimate_progress.hide()
        if not keep_pilot and self._pilot_task is not None:
            self._pilot_generation += 1
            self._pilot_task.cancel()

    def clear(self) -> None:
        self.cancel_work()
        self.spec, self.table = None, None
        self.name_edit.clear()
        self.set_default_name("")
        self._clear_pilot()
        self.refresh(None, None, [])
        self.problems_panel.clear()


def _comparable(spec: JobSpec) -> dict[str, Any]:
    """A spec without its name: renaming a job does not make a trial outdated."""
    data = spec.to_dict()
    data.pop("name", None)
    return data
