"""The main window: the sidebar (app.ui.sidebar), the menus, and the three screens; notices in app.ui.job_notices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QStackedWidget,
    QWidget,
)

from app import __version__
from app.core.drafts import DraftStore
from app.core.errors import BatchLabError
from app.core.spec import JobSpec, load_spec
from app.ui import preferences
from app.ui.dialogs import show_error
from app.ui.job_notices import JobNotices
from app.ui.jobs_controller import JobsController
from app.ui.research.job_import import JobImporter
from app.ui.resources import SAMPLE_SPEC, app_icon
from app.ui.sidebar import Sidebar
from app.ui.spec_files import SpecFiles
from app.ui.wizard.wizard import NewJobWizard
from app.ui.work_ahead import WorkAhead

if TYPE_CHECKING:
    from app.core.data import Table
    from app.ui.job_detail import JobDetail
    from app.ui.jobs_view import JobsView
    from app.ui.settings_page import SettingsPage


class MainWindow(QMainWindow):
    """Shows the three screens and connects them to the jobs controller; holds no job logic itself.

    Only New job is built at start; Jobs, a job's detail and Settings are built the first time
    they are needed (see the properties below), so the window appears before their modules load.
    """

    def __init__(self, controller: JobsController) -> None:
        super().__init__()
        self.controller = controller
        self.setWindowTitle("BatchLab")
        self.setWindowIcon(app_icon())
        self.setMinimumSize(QSize(960, 640))

        self.wizard = NewJobWizard(lambda: controller.keys)
        self.spec_files = SpecFiles(self, self.wizard, DraftStore(controller.home))
        self.importer = JobImporter(controller, self)  # File → Import…
        self.importer.imported.connect(self.open_job)
        self._jobs_view: JobsView | None = None
        self._job_detail: JobDetail | None = None
        self._settings_page: SettingsPage | None = None

        self.jobs_stack = QStackedWidget()
        self.pages = QStackedWidget()
        self.pages.setObjectName("pages")
        self.pages.addWidget(self.wizard)
        self.pages.addWidget(self.jobs_stack)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.sidebar = Sidebar()
        self.sidebar.page_chosen.connect(self._page_chosen)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self._menus()
        self.statusBar().showMessage(
            "New to BatchLab? File → Open sample project runs a whole job offline, without an API key.", 30000
        )
        self.notices = JobNotices(self, controller)
        self.spec_files.status.connect(lambda text: self.statusBar().showMessage(text, 15000))

        self.wizard.submit_requested.connect(self.submit)
        self.wizard.sample_requested.connect(self.open_sample_project)
        controller.job_created.connect(self._job_created)
        controller.jobs_changed.connect(self._jobs_loaded)
        self._jobs_seen = False
        self.work_ahead = WorkAhead(controller, self.wizard, lambda: self.jobs_view)

        geometry = preferences.WINDOW_GEOMETRY.get()
        if geometry.isEmpty() or not self.restoreGeometry(geometry):
            self.resize(1200, 800)
        self.show_page("new")
        self.spec_files.restore_draft()

    # ---- screens built when first needed ------------------------------------------------------
    @property
    def jobs_view(self) -> JobsView:
        if self._jobs_view is None:
            self.controller.wait_for_engine()
            from app.ui.jobs_view import JobsView

            view = self._jobs_view = JobsView(self.controller)
            view.open_requested.connect(self.open_job)
            view.duplicate_requested.connect(self.duplicate)
            self.jobs_stack.insertWidget(0, view)
        return self._jobs_view

    @property
    def job_detail(self) -> JobDetail:
        if self._job_detail is None:
            self.controller.wait_for_engine()
            from app.ui.job_detail import JobDetail

            detail = self._job_detail = JobDetail(self.controller)
            detail.back_requested.connect(lambda: self.jobs_stack.setCurrentWidget(self.jobs_view))
            self.jobs_stack.addWidget(detail)
        return self._job_detail

    @property
    def settings_page(self) -> SettingsPage:
        if self._settings_page is None:
            keys = self.controller.keys
            from app.ui.settings_page import SettingsPage

            page = self._settings_page = SettingsPage(keys)
            page.keys_changed.connect(self.controller.resume_stalled)
            page.preference_changed.connect(self._preference_changed)
            self.pages.addWidget(page)
        return self._settings_page

    # ---- building --------------------------------------------------------------------------------
    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        standard = QKeySequence.StandardKey
        self._add_actions(
            file_menu,
            ("&New job", standard.New, self.new_job),
            ("&Open data file…", standard.Open, self.choose_data_file),
            ("Open &job spec…", QKeySequence("Ctrl+Shift+O"), self.spec_files.choose_spec_to_open),
        )
        file_menu.addMenu(self.spec_files.recent_menu)
        self._add_actions(
            file_menu,
            ("Save job spec &as…", QKeySequence("Ctrl+Shift+S"), self.spec_files.save_spec_as),
            ("Open &sample project", None, self.open_sample_project),
            ("&Import…", None, self.importer.choose),
        )
        file_menu.addSeparator()
        self._add_actions(file_menu, ("&Quit", standard.Quit, self.close))
        edit_menu = self.menuBar().addMenu("&Edit")
        self._add_actions(
            edit_menu,
            ("&Undo", standard.Undo, lambda: self._edit("undo")),
            ("&Redo", standard.Redo, lambda: self._edit("redo")),
        )
        edit_menu.addSeparator()
        self._add_actions(
            edit_menu,
            ("Cu&t", standard.Cut, lambda: self._edit("cut")),
            ("&Copy", standard.Copy, lambda: self._edit("copy")),
            ("&Paste", standard.Paste, lambda: self._edit("paste")),
            ("Select &all", standard.SelectAll, lambda: self._edit("selectAll")),
        )
        help_menu = self.menuBar().addMenu("&Help")
        self._add_actions(help_menu, ("&About BatchLab", None, self.about))

    def _add_actions(self, menu: QMenu, *entries: tuple[str, object, Callable[[], object]]) -> None:
        for text, shortcut, slot in entries:
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            menu.addAction(action)

    def _edit(self, command: str) -> None:
        """Edit menu commands go to the focused text box; undo and redo in the fields list go to its history."""
        focused = QApplication.focusWidget()
        if focused is not None and hasattr(focused, command) and hasattr(focused, "undo"):
            getattr(focused, command)()
        elif command in ("undo", "redo") and self.pages.currentWidget() is self.wizard:
            getattr(self.wizard.fields_page.undo_stack, command)()

    # ---- navigation ------------------------------------------------------------------------------
    def show_page(self, name: str) -> None:
        """Switch to "new", "jobs" or "settings"."""
        self.sidebar.choose(name)

    def _page_chosen(self, name: str) -> None:
        if name == "jobs":
            self.jobs_stack.setCurrentWidget(self.jobs_view)
        page = self.wizard if name == "new" else self.jobs_stack if name == "jobs" else self.settings_page
        self.pages.setCurrentWidget(page)

    def open_job(self, job_id: str) -> None:
        """Show a job's rows and settings."""
        self.show_page("jobs")
        self.job_detail.show_job(job_id)
        if self.job_detail.job_id == job_id:
            self.jobs_stack.setCurrentWidget(self.job_detail)

    def new_job(self) -> None:
        if self.spec_files.may_leave_draft():
            self.wizard.reset()
            self.show_page("new")

    def duplicate(self, spec: JobSpec) -> None:
        """Start a new job from an earlier job's settings."""
        if self.spec_files.may_leave_draft():
            self.wizard.load_spec(spec)
            self.show_page("new")

    def choose_data_file(self) -> None:
        from app.core.data.files import SUPPORTED_SUFFIXES

        patterns = " ".join(f"*{suffix}" for suffix in SUPPORTED_SUFFIXES)
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Open a data file", preferences.DEFAULT_FOLDER.get(), f"Data files ({patterns});;All files (*)"
        )
        if chosen:
            preferences.DEFAULT_FOLDER.set(str(Path(chosen).parent))
            self.wizard.load_file(Path(chosen))
            self.show_page("new")

    def open_sample_project(self) -> None:
        """The sample reviews with a ready spec for the offline Demo provider: a whole job without a key."""
        if not self.spec_files.may_leave_draft():
            return
        try:
            spec = load_spec(SAMPLE_SPEC)
        except BatchLabError as exc:
            show_error(self, exc)
            return
        self.wizard.load_spec(spec)
        self.show_page("new")
        self.statusBar().showMessage("Sample project opened: it uses the Demo provider, which needs no key.", 10000)

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About BatchLab",
            f"<h3>BatchLab {__version__}</h3>"
            "<p>Code the texts in a spreadsheet with a language model, through the providers' batch APIs "
            "at half the usual price.</p><p>Every file sent and received stays in the job's folder; API keys "
            "stay in your system's keyring.</p>",
        )

    # ---- submitting ------------------------------------------------------------------------------
    def submit(self, spec: JobSpec, table: Table) -> None:
        """Write the request files with a cancellable progress window, then follow the job."""
        _ = self.jobs_view  # shown next: built now if no quiet moment came for it, not beside the writing
        progress = QProgressDialog("Writing the request files…", "Cancel", 0, 0, self)
        progress.setWindowTitle("Submitting")
        progress.setMinimumWidth(420)  # room for the whole title and message
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(400)
        progress.setAutoClose(False)
        progress.setAutoReset(False)

        def advanced(done: int, total: int) -> None:
            progress.setMaximum(max(total, 1))
            progress.setValue(min(done, total))

        task = self.controller.submit(spec, table, progress=advanced, finished=progress.deleteLater)
        progress.canceled.connect(task.cancel)

    def _jobs_loaded(self) -> None:
        """The first job list after starting: land on Jobs when a job is still running; then do
        the rest of start-up's work ahead (see app.ui.work_ahead)."""
        if self._jobs_seen:
            return
        self._jobs_seen = True
        running = any(not job.finished for job in self.controller.jobs())
        if running:
            self.show_page("jobs")
        self.work_ahead.start(jobs_view_too=not running)

    def _job_created(self, job_id: str) -> None:
        self.show_page("jobs")
        self.wizard.reset()  # once hidden: emptied on screen, its steps were laid out again (~20 ms)
        self.jobs_view.select_job(job_id)
        job = self.controller.job(job_id)
        if job:
            self.statusBar().showMessage(f"“{job.name}” was created and is being sent.", 10000)

    def _preference_changed(self, key: str) -> None:
        if key == preferences.POLL_SECONDS.key:
            self.controller.set_poll_interval(preferences.POLL_SECONDS.get())

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.spec_files.may_leave_draft(closing=True):
            event.ignore()
            return
        preferences.WINDOW_GEOMETRY.set(self.saveGeometry())
        super().closeEvent(event)

