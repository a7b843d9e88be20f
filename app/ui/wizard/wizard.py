"""The "New job" wizard: five steps from a spreadsheet to a submitted batch.

The wizard only gathers choices and shows what app.core says about them; building the spec,
checking it, previewing, estimating and trying rows are all core calls (the slow ones in Tasks).
Only the Data step is built at start, so the window appears before the modules behind the
others are imported. The others are built one per turn of the event loop once the window has
settled (:meth:`build_next_page`), or the first time one is needed (shown, filled or read),
whichever comes first: built together while a file loads, they held the window ~90 ms.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QVBoxLayout,
    QWidget,
)

from app.core.drafts import Draft
from app.core.errors import SpecError
from app.core.spec import JobSpec, parse_spec
from app.ui.tasks import Task
from app.ui.wizard.data_page import DataPage
from app.ui.wizard.file_drops import FileDrops
from app.ui.wizard.lazy_pages import LazyPages
from app.ui.wizard.navigation import StepBar, StepFooter

if TYPE_CHECKING:
    from app.core.build.starters import Starter
    from app.core.data import Table
    from app.core.keys import KeyStore
    from app.ui.wizard.fields_page import FieldsPage
    from app.ui.wizard.instructions_page import InstructionsPage
    from app.ui.wizard.model_page import ModelPage
    from app.ui.wizard.review_page import ReviewPage

STEP_NAMES = ("Data", "Instructions", "Output fields", "Model", "Review")
DATA, INSTRUCTIONS, FIELDS, MODEL, REVIEW = range(len(STEP_NAMES))

class NewJobWizard(QWidget):
    """A guided stepper: Data · Instructions · Output fields · Model · Review, then Submit."""

    submit_requested = Signal(object, object)  # (JobSpec, Table)
    step_changed = Signal(int)
    sample_requested = Signal()  # forwarded from the Data step's empty state
    draft_changed = Signal()  # anything the person chose or typed changed (the draft is saved on it)

    step_names: tuple[str, ...] = STEP_NAMES

    def __init__(self, keys: KeyStore | Callable[[], KeyStore], parent: QWidget | None = None) -> None:
        """``keys``: the key store, or where to get it when a step after Data is first built."""
        super().__init__(parent)
        self.setObjectName("newJobWizard")
        self._keys = keys if callable(keys) else lambda: keys
        self._starter: Starter | None = None
        self._default_name = ""  # the job's name while the person has not typed one
        self._typed_name = ""  # a name given before the Review step was built (a draft's, say)
        #: The work as last opened from or saved to a spec file (None: never saved).
        self._baseline: dict[str, Any] | None = None
        self.saved_to: Path | None = None
        FileDrops(self).dropped.connect(self.load_file)

        self.data_page = DataPage()
        self._build()

        self.data_page.table_loaded.connect(self._table_loaded)
        self.data_page.sample_requested.connect(self.sample_requested)
        self.data_page.changed.connect(self._page_changed)
        self.go_to(0)

    # ---- the steps' pages, built when first needed -------------------------------------------
    @property
    def keys(self) -> KeyStore:
        return self._keys()

    @property
    def instructions_page(self) -> InstructionsPage:
        return cast("InstructionsPage", self.page(INSTRUCTIONS))

    @property
    def fields_page(self) -> FieldsPage:
        return cast("FieldsPage", self.page(FIELDS))

    @property
    def model_page(self) -> ModelPage:
        return cast("ModelPage", self.page(MODEL))

    @property
    def review_page(self) -> ReviewPage:
        return cast("ReviewPage", self.page(REVIEW))

    def built(self, index: int) -> bool:
        return self.stack.built(index)

    def page(self, index: int) -> QWidget:
        return self.stack.page(index)

    def build_next_page(self) -> bool:
        """Build the first step not built yet; False when every step is built. Called one step per
        quiet turn of the event loop, so no turn holds the window longer than one page takes
        (15–45 ms) and none is built in a hurry on a click."""
        return self.stack.build_next()

    def _new_page(self, index: int) -> QWidget:
        # first: while the app starts, getting the keys waits for the engine's worker to finish
        # importing the modules these pages import too
        keys = self.keys
        if index == INSTRUCTIONS:
            from app.ui.wizard.instructions_page import InstructionsPage

            instructions = InstructionsPage()
            instructions.template_changed.connect(self.data_page.set_template_columns)
            instructions.starter_applied.connect(self._starter_applied)
            return instructions
        if index == FIELDS:
            from app.ui.wizard.fields_page import FieldsPage

            return FieldsPage()
        if index == MODEL:
            from app.ui.wizard.model_page import ModelPage

            return ModelPage(keys)
        from app.ui.wizard.review_page import ReviewPage

        review = ReviewPage(keys)
        review.submit_clicked.connect(self.submit)
        review.set_default_name(self._default_name)
        review.set_job_name(self._typed_name)
        # shown in the footer, so Submit is in view at any window size; _update_nav shows them on Review
        for widget in (review.submit_reason, review.submit_button):
            widget.hide()
        self.footer.row.insertWidget(1, review.submit_reason, 1)
        self.footer.row.addWidget(review.submit_button)
        return review

    # ---- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 12)
        layout.setSpacing(8)

        self.step_bar = StepBar(STEP_NAMES)
        self.step_bar.chosen.connect(self.go_to)
        self.step_buttons = self.step_bar.buttons
        layout.addWidget(self.step_bar)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)

        # only the Data step is built at once
        self.stack = LazyPages([self.data_page] + [None] * (len(STEP_NAMES) - 1), self._new_page)
        self.stack.built_page.connect(lambda _index, page: page.changed.connect(self._page_changed))
        layout.addWidget(self.stack, 1)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)
        self.footer = StepFooter()
        self.back_button, self.next_button = self.footer.back_button, self.footer.next_button
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        layout.addWidget(self.footer)

    # ---- navigation ------------------------------------------------------------------------
    def current_index(self) -> int:
        return self.stack.currentIndex()

    def current_page(self) -> QWidget:
        return self.page(self.current_index())

    def go_to(self, index: int) -> None:
        """Show step ``index`` (0-based); entering Review refreshes its preview and estimate."""
        index = max(0, min(index, REVIEW))
        self.stack.setCurrentWidget(self.page(index))
        if index == REVIEW:
            self._refresh_review()
        self._update_nav()
        self.step_changed.emit(index)
        self.draft_changed.emit()

    def next(self) -> None:
        if self.current_index() < REVIEW and not self.page_problems(self.current_index()):
            self.go_to(self.current_index() + 1)

    def back(self) -> None:
        if self.current_index() > 0:
            self.go_to(self.current_index() - 1)

    def page_problems(self, index: int) -> list[str]:
        """Why step ``index`` is not complete yet (empty when it is)."""
        return self.page(index).problems()  # type: ignore[attr-defined]

    def problems(self) -> list[str]:
        """Everything still missing, step by step, prefixed with the step's name."""
        found = []
        for index, name in enumerate(STEP_NAMES[:-1]):
            found += [f"{name}: {p}" for p in self.page_problems(index)]
        return found

    def _reachable(self) -> int:
        """The furthest step that can be opened: every step before it is complete."""
        for index in range(REVIEW):
            if self.page_problems(index):
                return index
        return REVIEW

    def _page_changed(self) -> None:
        self._update_nav()
        self.draft_changed.emit()
        if self.current_index() == REVIEW:
            # e.g. the data check finished after Review opened: show the job once it is complete
            spec, problems = self._build_spec()
            if not self.review_page.shows(spec, problems):
                self.review_page.refresh(spec, self.table, problems)

    def _update_nav(self) -> None:
        current = self.current_index()
        reachable = self._reachable()
        self.step_bar.show_steps(current, reachable)
        last = current == REVIEW
        self.back_button.setEnabled(current > 0)
        self.next_button.setVisible(not last)
        self.footer.reason_label.setVisible(not last)
        if self.built(REVIEW):
            self.review_page.submit_button.setVisible(last)
            self.review_page.submit_reason.setVisible(last)
        if not last:
            self.next_button.setText(f"Next: {STEP_NAMES[current + 1]} ›")
        problems = self.page_problems(current) if not last else []
        self.next_button.setEnabled(not problems)
        self.footer.show_problems(problems)

    def next_reason(self) -> str:
        """The reason Next is disabled, as shown under the page ("" when it is enabled)."""
        return self.footer.reason_label.text()

    # ---- data ------------------------------------------------------------------------------
    @property
    def table(self) -> Table | None:
        return self.data_page.table

    def load_file(self, path: Path, sheet: str | None = None) -> None:
        """Load a data file in the background and show the Data step (its progress and problems)."""
        self.go_to(0)
        self.data_page.load_file(Path(path), sheet)

    def _table_loaded(self, table: Table) -> None:
        self.instructions_page.set_table(table)
        self.data_page.set_template_columns(self.instructions_page.used_columns())
        self._update_default_name()
        self._update_nav()

    def _starter_applied(self, starter: Starter) -> None:
        self._starter = starter
        self.fields_page.set_fields(starter.suggested_fields())
        self._update_default_name()

    def _update_default_name(self) -> None:
        table = self.table
        stem = table.path.stem if table is not None else "New job"
        self._default_name = f"{stem} – {self._starter.title.lower()}" if self._starter else stem
        if self.built(REVIEW):
            self.review_page.set_default_name(self._default_name)

    # ---- the spec --------------------------------------------------------------------------
    def spec_dict(self) -> dict[str, Any]:
        """The job's settings in the spec's JSON form, as the pages show them now."""
        table = self.table
        return {
            "name": self._job_name() or (table.path.stem if table else "New job"),
            "data": str(table.path.absolute()) if table is not None else "",
            "sheet": table.sheet if table is not None else None,
            "id_column": self.data_page.id_column(),
            "instructions": self.instructions_page.instructions(),
            "input_template": self.instructions_page.template(),
            "fields": [f.to_dict() for f in self.fields_page.fields()],
            **self.model_page.spec_part(),
            # how to read the data, where the person chose it (None: detected the same way again)
            "encoding": self.data_page.options.encoding,
            "delimiter": self.data_page.options.delimiter,
            "header_row": self.data_page.options.header_row,
        }

    def _job_name(self) -> str:
        """The name typed on the Review step, or the default one."""
        if self.built(REVIEW):
            return self.review_page.job_name()
        return self._typed_name.strip() or self._default_name

    def _set_job_name(self, name: str) -> None:
        if self.built(REVIEW):
            self.review_page.set_job_name(name)
        else:
            self._typed_name = name

    def _build_spec(self) -> tuple[JobSpec | None, list[str]]:
        problems = self.problems()
        if problems:
            return None, problems
        table = self.table
        assert table is not None
        try:
            spec = parse_spec(self.spec_dict(), table.path.absolute().parent)
        except SpecError as exc:
            return None, exc.problems
        return spec, []

    def current_spec(self) -> JobSpec | None:
        """The job as a spec, or None with the problems shown when something is missing."""
        spec, problems = self._build_spec()
        if spec is None:
            self.footer.show_problems(problems)
            if self.current_index() == REVIEW:
                self.review_page.problems_panel.show_messages("error", problems, "Some steps need attention first")
        return spec

    def _refresh_review(self) -> None:
        spec, problems = self._build_spec()
        self.review_page.refresh(spec, self.table, problems)

    def submit(self) -> None:
        """Emit ``submit_requested(spec, table)`` when the job is complete and the person agreed."""
        spec = self.current_spec()
        table = self.table
        review = self.review_page
        if spec is None or table is None or not review.consent_given() or review.key_missing():
            return
        self.model_page.remember()
        self.submit_requested.emit(spec, table)

    def load_spec(self, spec: JobSpec, saved_to: Path | None = None) -> None:
        """Fill every step from a spec (a sample, a job being duplicated); see :meth:`open_settings`."""
        self.open_settings(spec.to_dict(), saved_to)

    def open_settings(self, raw: dict[str, Any], saved_to: Path | None = None) -> None:
        """Fill every step from a spec's JSON form; the data loads in the background. The settings
        count as saved: leaving them unchanged loses nothing."""
        self.restore_draft(Draft(raw, 0, str(saved_to) if saved_to else None))
        self._baseline = _work(raw)

    def restore_draft(self, draft: Draft) -> None:
        """Fill every step from a draft, which may be incomplete, and go back to its step."""
        self.reset()
        raw = draft.spec
        self.instructions_page.set_texts(str(raw.get("instructions") or ""), str(raw.get("input_template") or ""))
        self.fields_page.set_fields(draft.fields())
        self.fields_page.forget_history()
        self.model_page.fill(raw)
        if raw.get("name"):
            self._set_job_name(raw["name"])
        if raw.get("data"):
            from app.core.data import LoadOptions

            options = LoadOptions(raw.get("encoding"), raw.get("delimiter"), raw.get("header_row"))
            self.data_page.load_file(Path(raw["data"]), raw.get("sheet"), raw.get("id_column"), options)
        self.saved_to = Path(draft.saved_to) if draft.saved_to else None
        self._baseline = None
        self.go_to(draft.step)

    def draft(self) -> Draft:
        """The work as it stands, for the draft file (the data file counts from the moment it is chosen)."""
        spec = self.spec_dict()
        path, sheet, id_column = self.data_page.chosen()
        spec.update(data=str(path) if path else "", sheet=sheet, id_column=id_column)
        return Draft(spec, self.current_index(), str(self.saved_to) if self.saved_to else None)

    def has_unsaved_work(self) -> bool:
        """Whether leaving now would lose something: there is work, and it differs from the saved spec."""
        if not (self.built(INSTRUCTIONS) or self.built(FIELDS) or self.data_page.chosen()[0]):
            return False  # no data chosen, and the steps that hold typed work were never opened
        draft = self.draft()
        return draft.has_work() and _work(draft.spec) != self._baseline

    def mark_saved(self, path: Path) -> None:
        """The work as it stands was written to the spec file ``path``."""
        self.saved_to = Path(path)
        self._baseline = _work(self.draft().spec)
        self.draft_changed.emit()

    def reset(self) -> None:
        """Back to an empty first step; background work stops."""
        self.cancel_work()
        self._starter = None
        self.data_page.clear()
        if self.built(INSTRUCTIONS):
            self.instructions_page.set_table(None)
            self.instructions_page.set_texts("", "")
        if self.built(FIELDS):
            self.fields_page.set_fields([])
            self.fields_page.forget_history()
            self.fields_page.import_panel.clear()
        if self.built(MODEL):
            self.model_page.reset()
        if self.built(REVIEW):
            self.review_page.clear()
        self._default_name = self._typed_name = ""
        self.saved_to = None
        self._baseline = None
        self.go_to(0)

    def cancel_work(self) -> None:
        """Stop every background task (loading, checks, estimates, trials, model lists)."""
        self.data_page.cancel_work()
        if self.built(MODEL):
            self.model_page.cancel_work()
        if self.built(REVIEW):
            self.review_page.cancel_work()

    def warm_up(self) -> None:
        """Make the chosen model's token counter in the background while the window is idle:
        building a tokenizer holds Python's lock ~0.1 s, which the first Review would wait through."""
        from app.core.build.tokens import token_counter

        provider, model = self.model_page.provider(), self.model_page.model()
        Task(self, lambda _context: token_counter(provider, model)).start()

    def is_busy(self) -> bool:
        """True while any background work of the wizard is running."""
        reviewing = self.built(REVIEW) and (self.review_page.is_estimating() or self.review_page.is_piloting())
        return self.data_page.is_loading() or self.data_page.is_checking() or reviewing

    def closeEvent(self, event: Any) -> None:
        self.cancel_work()
        super().closeEvent(event)


def _work(spec: dict[str, Any]) -> dict[str, Any]:
    """The parts of a spec that are the person's work, in a form that compares equal when unchanged."""
    data = spec.get("data")
    return {
        "data": str(Path(data).expanduser().absolute()) if data else "",
        "instructions": spec.get("instructions") or "",
        "input_template": spec.get("input_template") or "",
        "fields": spec.get("fields") or [],
        "provider": spec.get("provider"),
        "model": spec.get("model"),
    }
