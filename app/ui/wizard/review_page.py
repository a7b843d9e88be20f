"""Step 5 — Review: the exact requests, the cost, what to expect, a 5-row trial, and Submit."""

from __future__ import annotations

import json
import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.data import Table
from app.core.errors import BatchLabError
from app.core.keys import KeyStore
from app.core.build.prepare import preview_requests
from app.core.run.providers import LABELS, key_account
from app.core.spec import AUTO, JobSpec, rows_per_request_text
from app.ui.common import (
    MessagePanel,
    heading,
    hint,
    plural,
    scroll_area,
    while_alive,
)
from app.ui.research.gold_pilot import GoldPilotBox
from app.ui.tasks import Task, TaskContext
from app.ui.wizard.consent_box import ConsentBox
from app.ui.wizard.estimate_box import EstimateBox
from app.ui.wizard.trial_box import TrialBox

PREVIEW_REQUESTS = 2
EXPECT = (
    "Results come back within 24 hours, usually much sooner. You can close BatchLab meanwhile: "
    "it picks the job up again when you open it, and nothing is submitted twice. "
    "Every row ends with a status (coded, failed, refused …) and you can resend the rows that did not work."
)


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
        self._problems: list[str] = []
        self._default_name = ""
        self._preview_task: Task | None = None
        self._generation = 0
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
        left = QWidget()
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

        self.estimate_box = EstimateBox()
        self.estimate_box.estimated.connect(self._estimated)
        self.estimate_box.failed.connect(self.changed)
        column.addWidget(self.estimate_box)

        expect = QGroupBox("What to expect")
        expect_layout = QVBoxLayout(expect)
        self.expect_label = QLabel(EXPECT)
        self.expect_label.setWordWrap(True)
        expect_layout.addWidget(self.expect_label)
        column.addWidget(expect)

        self.consent = ConsentBox()
        self.consent.toggled.connect(self._consent_toggled)
        column.addWidget(self.consent)
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
        splitter.addWidget(scroll_area(left))

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
        self.requests_view.setPlaceholderText("The requests are shown once every step is complete.")
        right_layout.addWidget(self.requests_view, 3)

        self.trial = TrialBox(self.keys)
        self.trial.button.clicked.connect(self.run_pilot)
        self.trial.changed.connect(self.changed)
        self.trial.finished.connect(self._update_actions)
        right_layout.addWidget(self.trial, 2)
        self.gold_pilot = GoldPilotBox(self.keys)  # pilot on hand-coded rows; the last check of these instructions
        right_layout.addWidget(self.gold_pilot)
        splitter.addWidget(scroll_area(right))  # with the hand-coded rows' check, taller than the smallest window
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
            self.trial.clear()
        self.manifest, self.requests = None, None
        if spec is None or table is None:
            self.problems_panel.show_messages("error", self._problems, "Some steps need attention first")
            self.summary_label.clear()
            self.estimate_box.clear()
            self.requests_view.setPlainText("")
            self.consent.show_spec(self.spec)
            self._update_actions()
            return
        self.problems_panel.clear()
        self._show_summary()
        self.consent.show_spec(self.spec)
        self._start_preview()
        self.estimate_box.start(spec, table)
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

    def _estimated(self, manifest: dict[str, Any]) -> None:
        self.manifest = manifest
        self._show_summary()
        self.changed.emit()

    def is_estimating(self) -> bool:
        """True while the preview or the estimate is being computed."""
        return (self._preview_task is not None and self._preview_task.running) or self.estimate_box.is_running()

    # ---- consent ---------------------------------------------------------------------------
    def _consent_toggled(self, _checked: bool) -> None:
        self._update_actions()
        self.changed.emit()

    def key_missing(self) -> bool:
        """The provider needs an API key and none is saved (submitting would only wait for one)."""
        spec = self.spec
        account = key_account(spec.provider, spec.base_url) if spec is not None else None
        return account is not None and self.keys.get(account) is None

    def consent_given(self) -> bool:
        return self.consent.given()

    # ---- the 5-row trial -------------------------------------------------------------------
    def run_pilot(self) -> None:
        """Code a few sampled rows now, once the job is complete and the person agreed to send them."""
        if self.spec is not None and self.table is not None and self.consent_given():
            self.trial.run(self.spec, self.table)

    def is_piloting(self) -> bool:
        return self.trial.is_running()

    # ---- actions ---------------------------------------------------------------------------
    def _update_actions(self) -> None:
        spec = self.spec
        ready = spec is not None and self.table is not None
        consent = self.consent_given()
        keyless = self.key_missing()
        self.trial.button.setEnabled(ready and consent and not keyless and not self.is_piloting())
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
        if self._preview_task is not None:
            self._preview_task.cancel()
        self.estimate_box.cancel()
        if not keep_pilot:
            self.trial.forget()

    def clear(self) -> None:
        self.cancel_work()
        self.spec, self.table = None, None
        self.name_edit.clear()
        self.set_default_name("")
        self.trial.clear()
        self.refresh(None, None, [])
        self.problems_panel.clear()


def _comparable(spec: JobSpec) -> dict[str, Any]:
    """A spec without its name: renaming a job does not make a trial outdated."""
    data = spec.to_dict()
    data.pop("name", None)
    return data
