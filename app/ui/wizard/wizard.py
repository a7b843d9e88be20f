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
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QVBoxLayout,
    QWidget,
)

from app.core.drafts import Draft
from app.core.spec import JobSpec
from app.ui.tasks import Task
from app.ui.wizard.data_page import DataPage
from app.ui.wizard.file_drops import FileDrops
from app.ui.wizard.job_settings import JobSettings
from app.ui.wizard.navigation import StepBar, StepFooter
from app.ui.wizard.step_pages import StepPages
from app.ui.wizard.steps import INSTRUCTIONS, MODEL, REVIEW, STEP_NAMES

if TYPE_CHECKING:
    from app.core.data import Table
    from app.core.keys import KeyStore
    from app.ui.wizard.fields_page import FieldsPage
    from app.ui.wizard.instructions_page import InstructionsPage
    from app.ui.wizard.model_page import ModelPage
    from app.ui.wizard.review_page import ReviewPage

__all__ = ["STEP_NAMES", "NewJobWizard"]


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
        FileDrops(self).dropped.connect(self.load_file)

        self.data_page = DataPage()
        self._build(keys if callable(keys) else lambda: keys)
        self.settings = JobSettings(self.stack)

        self.data_page.table_loaded.connect(self._table_loaded)
        self.data_page.sample_requested.connect(self.sample_requested)
        self.data_page.changed.connect(self._page_changed)
        self.go_to(0)

    # ---- the steps' pages, built when first needed -------------------------------------------
    @property
    def instructions_page(self) -> InstructionsPage:
        return self.stack.instructions

    @property
    def fields_page(self) -> FieldsPage:
        return self.stack.fields

    @property
    def model_page(self) -> ModelPage:
        return self.stack.model

    @property
    def review_page(self) -> ReviewPage:
        return self.stack.review

    def built(self, index: int) -> bool:
        return self.stack.built(index)

    def page(self, index: int) -> QWidget:
        return self.stack.page(index)

    def build_next_page(self) -> bool:
        """Build the first step not built yet; False when every step is built. Called one step per
        quiet turn of the event loop, so no turn holds the window longer than one page takes
        (15–45 ms) and none is built in a hurry on a click."""
        return self.stack.build_next()

    def _page_built(self, index: int, page: Any) -> None:
        if index == INSTRUCTIONS:
            page.starter_applied.connect(self.settings.apply_starter)
        elif index == REVIEW:
            page.submit_clicked.connect(self.submit)
            self.settings.show_name_on(page)
            # shown in the footer, so Submit is in view at any window size; _update_nav shows them on Review
            for widget in (page.submit_reason, page.submit_button):
                widget.hide()
            self.footer.row.insertWidget(1, page.submit_reason, 1)
            self.footer.row.addWidget(page.submit_button)
        page.changed.connect(self._page_changed)

    # ---- layout ----------------------------------------------------------------------------
    def _build(self, keys: Callable[[], KeyStore]) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 12)
        layout.setSpacing(8)

        self.step_bar = StepBar(STEP_NAMES)
        self.step_bar.chosen.connect(self.go_to)
        self.step_buttons = self.step_bar.buttons
        layout.addWidget(self.step_bar)
        layout.addWidget(_line())

        self.stack = StepPages(self.data_page, keys)
        self.stack.built_page.connect(self._page_built)
        layout.addWidget(self.stack, 1)

        layout.addWidget(_line())
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
        if self.current_index() < REVIEW and not self.stack.step_problems(self.current_index()):
            self.go_to(self.current_index() + 1)

    def back(self) -> None:
        if self.current_index() > 0:
            self.go_to(self.current_index() - 1)

    def _page_changed(self) -> None:
        self._update_nav()
        self.draft_changed.emit()
        if self.current_index() == REVIEW:
            # e.g. the data check finished after Review opened: show the job once it is complete
            spec, problems = self.settings.build_spec()
            if not self.review_page.shows(spec, problems):
                self.review_page.refresh(spec, self.table, problems)

    def _update_nav(self) -> None:
        current = self.current_index()
        reachable = self.stack.reachable()
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
        problems = self.stack.step_problems(current) if not last else []
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
        self.settings.update_default_name()
        self._update_nav()

    # ---- the job's settings (see JobSettings) ------------------------------------------------
    @property
    def saved_to(self) -> Path | None:
        """The job spec file the work was last opened from or saved to, if any."""
        return self.settings.saved_to

    def spec_dict(self) -> dict[str, Any]:
        """The job's settings in the spec's JSON form, as the pages show them now."""
        return self.settings.spec_dict()

    def current_spec(self) -> JobSpec | None:
        """The job as a spec, or None with the problems shown when something is missing."""
        spec, problems = self.settings.build_spec()
        if spec is None:
            self.footer.show_problems(problems)
            if self.current_index() == REVIEW:
                self.review_page.problems_panel.show_messages("error", problems, "Some steps need attention first")
        return spec

    def _refresh_review(self) -> None:
        spec, problems = self.settings.build_spec()
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
        self.settings.mark_saved(saved_to, raw)

    def restore_draft(self, draft: Draft) -> None:
        """Fill every step from a draft, which may be incomplete, and go back to its step."""
        self.reset()
        self.settings.fill(draft)
        self.go_to(draft.step)

    def draft(self) -> Draft:
        """The work as it stands, for the draft file."""
        return self.settings.draft(self.current_index())

    def has_unsaved_work(self) -> bool:
        """Whether leaving now would lose something (see JobSettings.has_unsaved_work)."""
        return self.settings.has_unsaved_work(self.current_index())

    def mark_saved(self, path: Path) -> None:
        """The work as it stands was written to the spec file ``path``."""
        self.settings.mark_saved(path, self.draft().spec)
        self.draft_changed.emit()

    def reset(self) -> None:
        """Back to an empty first step; background work stops."""
        self.cancel_work()
        self.settings.clear()
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


def _line() -> QFrame:
    """A sunken rule between the steps and the page, and the page and the footer."""
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
