"""The wizard's work kept safe: the draft saved as you go, job spec files opened and saved, recent specs.

The draft file and the spec files are app.core.drafts' business; this object only decides *when*
(after each change, before leaving a draft) and asks the person where a question is needed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from app.core.drafts import DraftStore, read_spec_file, remember_recent, write_spec_file
from app.core.errors import BatchLabError
from app.ui import preferences
from app.ui.common import ask_save_path
from app.ui.dialogs import show_error
from app.ui.wizard.wizard import NewJobWizard

_SPEC_FILTER = "Job spec (*.json);;All files (*)"
#: Saving after a short pause in typing, not on every key.
_SAVE_DELAY_MS = 400


class SpecFiles(QObject):
    """Keeps the wizard's draft in the data folder and connects it to spec files on disk."""

    status = Signal(str)  # a short note for the status bar

    def __init__(self, window: QWidget, wizard: NewJobWizard, drafts: DraftStore) -> None:
        super().__init__(window)
        self._window = window
        self.wizard = wizard
        self.drafts = drafts
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(_SAVE_DELAY_MS)
        self._timer.timeout.connect(self.save_draft)
        self._discarded_for_good = False  # discarded while closing: nothing may write it again
        wizard.draft_changed.connect(self._timer.start)
        self.recent_menu = QMenu("Open &recent job spec", window)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()

    # ---- the draft -----------------------------------------------------------------------------
    def restore_draft(self) -> bool:
        """Bring back the draft of the last session, if there was one with any work in it."""
        draft = self.drafts.load()
        if draft is None or not draft.has_work():
            return False
        self.wizard.restore_draft(draft)
        self.status.emit("Your draft from last time was restored.")
        return True

    def save_draft(self) -> None:
        """Write the draft now (or remove the file when there is nothing in it worth keeping)."""
        self._timer.stop()
        if self._discarded_for_good:
            return
        draft = self.wizard.draft()
        try:
            if draft.has_work():
                self.drafts.save(draft)
            else:
                self.drafts.discard()
        except OSError as exc:
            self.status.emit(f"The draft could not be saved in {self.drafts.path.parent}: {exc.strerror}.")

    def may_leave_draft(self, closing: bool = False) -> bool:
        """Ask before leaving unsaved work: Save (as a spec file), Discard, or Cancel (stay).

        When the app is ``closing``, a draft that was not discarded is written at once, so the
        next start brings it back."""
        if self.wizard.has_unsaved_work():
            answer = self.ask_about_draft()
            if answer == QMessageBox.StandardButton.Discard:
                self._timer.stop()
                self.drafts.discard()
                self._discarded_for_good = closing
                return True
            if answer != QMessageBox.StandardButton.Save or not self.save_spec_as():
                return False
        if closing:
            self.save_draft()
        return True

    def ask_about_draft(self) -> QMessageBox.StandardButton:
        """The question itself (tests answer it in its place)."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Save your draft?",
            "The job you are setting up has changes that are not saved in a job spec file.",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self._window,
        )
        box.setInformativeText(
            "Save writes a job spec file you can open again with File → Open job spec… or run from the "
            "command line. Discard throws the draft away."
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        return QMessageBox.StandardButton(box.exec())

    # ---- spec files ----------------------------------------------------------------------------
    def choose_spec_to_open(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self._window, "Open a job spec", preferences.DEFAULT_FOLDER.get(), _SPEC_FILTER
        )
        if chosen:
            preferences.DEFAULT_FOLDER.set(str(Path(chosen).parent))
            self.open_spec(Path(chosen))

    def open_spec(self, path: Path) -> bool:
        """Open a spec file in the wizard (after asking about unsaved work); unfinished specs open too."""
        if not self.may_leave_draft():
            return False
        try:
            settings, problems = read_spec_file(path)
        except BatchLabError as exc:
            show_error(self._window, exc)
            return False
        self.wizard.open_settings(settings, path)
        self._remember(path)
        if problems:
            self.status.emit(f"Opened {path.name}; it is not finished yet: {problems[0]}")
        else:
            self.status.emit(f"Opened {path.name}.")
        return True

    def save_spec_as(self) -> bool:
        """Ask for a file name and save the wizard's job there; False when the person cancelled."""
        suggested = self.wizard.saved_to or Path(preferences.DEFAULT_FOLDER.get()) / f"{_file_name(self.wizard)}.json"
        path = ask_save_path(self._window, "Save the job spec", suggested, [("Job spec", ".json")])
        return self.save_spec(path) if path else False

    def save_spec(self, path: Path) -> bool:
        """Save the wizard's job as a spec file at ``path`` (the file the command line runs)."""
        try:
            problems = write_spec_file(self.wizard.draft().spec, path)
        except OSError as exc:
            show_error(self._window, BatchLabError(f"{path.name} could not be saved: {exc.strerror}.",
                                                   "Choose another folder, or check that the disk is not full."))
            return False
        self.wizard.mark_saved(path)
        self._remember(path)
        self.save_draft()
        note = f" It will not run yet: {problems[0]}" if problems else ""
        self.status.emit(f"Saved the job spec to {path}.{note}")
        return True

    # ---- recent specs --------------------------------------------------------------------------
    def _remember(self, path: Path) -> None:
        preferences.RECENT_SPECS.set(remember_recent(preferences.RECENT_SPECS.get(), str(Path(path).absolute())))
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = [p for p in preferences.RECENT_SPECS.get() if isinstance(p, str)]
        for text in recent:
            action = QAction(Path(text).name, self.recent_menu)
            action.setToolTip(text)
            action.setStatusTip(text)
            action.triggered.connect(lambda _checked=False, p=text: self.open_spec(Path(p)))
            self.recent_menu.addAction(action)
        self.recent_menu.setEnabled(bool(recent))


def _file_name(wizard: NewJobWizard) -> str:
    """The job's name as a safe file name."""
    name = str(wizard.draft().spec.get("name") or "job")
    return "".join(c if c.isalnum() or c in " -_" else "_" for c in name).strip() or "job"
