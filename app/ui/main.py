"""Starting the desktop app: the application object, its look, the main window and the job runner."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Sequence
from types import TracebackType

from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from app.core.errors import BatchLabError
from app.ui import preferences
from app.ui.dialogs import record_bug, show_error
from app.ui.resources import app_icon

#: Background work is mostly waiting on providers and disks, not computing: allow a few more threads.
_MIN_THREADS = 8

ACCENT = "#2563eb"
STYLESHEET = f"""
QMainWindow, QWidget#scrollContent, QStackedWidget#pages {{ background: #f6f7f9; }}
QWidget {{ color: #1f2937; }}
QToolTip {{ background: #111827; color: #f9fafb; border: none; padding: 5px 8px; }}

QFrame#sidebar {{ background: #eef1f5; border-right: 1px solid #dde2e9; }}
QLabel#brand {{ font-size: 17px; font-weight: 700; color: #111827; padding: 2px 0; }}
QListWidget#nav {{ background: transparent; border: none; outline: 0; font-size: 14px; }}
QListWidget#nav::item {{ padding: 9px 12px; margin: 2px 0; border-radius: 6px; color: #374151; }}
QListWidget#nav::item:hover {{ background: #e2e7ee; }}
QListWidget#nav::item:selected {{ background: #ffffff; color: {ACCENT}; font-weight: 600; }}
QLabel#sidebarNote {{ color: #6b7280; font-size: 11px; }}

QLabel#pageTitle {{ font-size: 21px; font-weight: 600; color: #111827; }}
QLabel#pageSubtitle, QLabel#hint, QLabel#pageIntro, QLabel#facts {{ color: #5b6474; }}
QLabel#sectionTitle {{ font-size: 14px; font-weight: 600; color: #111827; }}
QLabel#jobMessage {{ color: #374151; padding: 6px 2px; }}
QLabel#emptyState {{ color: #4b5563; background: #ffffff; border: 1px dashed #cfd6df; border-radius: 10px; padding: 40px; }}

QLabel#stateChip {{ border-radius: 10px; padding: 2px 10px; font-weight: 600; background: #e0ecff; color: #1d4ed8; }}
QLabel#stateChip[state="done"] {{ background: #dcfce7; color: #166534; }}
QLabel#stateChip[state="failed"], QLabel#stateChip[state="problem"] {{ background: #fee2e2; color: #991b1b; }}
QLabel#stateChip[state="cancelled"], QLabel#stateChip[state="cancelling"] {{ background: #eceff3; color: #475467; }}

QFrame#card, QFrame#rowPanel {{ background: #ffffff; border: 1px solid #e3e7ed; border-radius: 10px; }}
QLabel#apiKeyName {{ font-weight: 600; }}
QLabel#apiKeyStatus {{ color: #b54708; }}
QLabel#apiKeyStatus[set="true"] {{ color: #166534; }}
QLabel#testResult[ok="yes"] {{ color: #166534; }}
QLabel#testResult[ok="no"] {{ color: #b42318; }}

QPushButton, QToolButton#actionButton, QToolButton#dangerButton {{
    background: #ffffff; border: 1px solid #cfd6df; border-radius: 6px; padding: 5px 12px; min-height: 18px;
}}
QPushButton:hover, QToolButton#actionButton:hover, QToolButton#dangerButton:hover {{
    background: #f3f5f8; border-color: #b8c1cc;
}}
QPushButton:pressed, QToolButton:pressed {{ background: #e8ecf1; }}
QPushButton:disabled, QToolButton:disabled {{ color: #a3abb7; background: #f8f9fb; border-color: #e3e7ed; }}
QPushButton:default, QPushButton#primaryButton {{ background: {ACCENT}; color: #ffffff; border-color: {ACCENT}; }}
QPushButton:default:hover, QPushButton#primaryButton:hover {{ background: #1d4ed8; }}
QPushButton#primaryButton:disabled {{ background: #b9cdf5; border-color: #b9cdf5; color: #ffffff; }}
QToolButton#dangerButton {{ color: #b42318; }}
QToolButton#dangerButton:disabled {{ color: #e3a59f; }}
QPushButton#linkButton {{ background: transparent; border: none; color: {ACCENT}; padding: 2px 0; font-weight: 600; }}
QPushButton#linkButton:hover {{ text-decoration: underline; }}
QPushButton#filterChip {{ border-radius: 13px; padding: 3px 12px; background: #ffffff; }}
QPushButton#filterChip:checked {{ background: #1f2937; color: #ffffff; border-color: #1f2937; }}

QLineEdit, QPlainTextEdit, QTextEdit {{
    background: #ffffff; border: 1px solid #cfd6df; border-radius: 6px; padding: 4px 6px;
    selection-background-color: #bfd4fb; selection-color: #111827;
}}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus {{ border-color: {ACCENT}; }}
QLineEdit:read-only, QPlainTextEdit[readOnly="true"] {{ background: #f9fafb; }}

QTableView, QTreeView, QListView {{
    background: #ffffff; alternate-background-color: #f9fafb; border: 1px solid #e3e7ed; border-radius: 8px;
    gridline-color: #eef0f3; selection-background-color: #dbe7fd; selection-color: #111827;
}}
QHeaderView::section {{
    background: #f3f5f8; color: #475467; border: none; border-bottom: 1px solid #e3e7ed;
    border-right: 1px solid #eceff3; padding: 6px 8px; font-weight: 600;
}}
QTableCornerButton::section {{ background: #f3f5f8; border: none; }}

QTabWidget::pane {{ border: none; border-top: 1px solid #e3e7ed; top: -1px; }}
QTabBar::tab {{ background: transparent; padding: 7px 16px; margin-right: 4px; border: none;
    border-bottom: 2px solid transparent; color: #5b6474; font-weight: 600; }}
QTabBar::tab:selected {{ color: {ACCENT}; border-bottom: 2px solid {ACCENT}; }}
QTabBar::tab:hover:!selected {{ color: #1f2937; }}

QSplitter::handle {{ background: transparent; height: 8px; }}
QStatusBar {{ background: #eef1f5; border-top: 1px solid #dde2e9; color: #374151; }}
QMenuBar {{ background: #eef1f5; border-bottom: 1px solid #dde2e9; }}
QProgressBar {{ border: 1px solid #d6dce4; border-radius: 5px; background: #f3f5f8; text-align: center; color: #111827; }}
QProgressBar::chunk {{ background: #93b7f7; border-radius: 4px; }}
"""


def _light_palette() -> QPalette:
    """A light palette, so the stylesheet's colours fit even when the system uses a dark theme."""
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#f6f7f9",
        QPalette.ColorRole.WindowText: "#1f2937",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f9fafb",
        QPalette.ColorRole.Text: "#1f2937",
        QPalette.ColorRole.Button: "#ffffff",
        QPalette.ColorRole.ButtonText: "#1f2937",
        QPalette.ColorRole.Highlight: "#93b7f7",
        QPalette.ColorRole.HighlightedText: "#111827",
        QPalette.ColorRole.ToolTipBase: "#111827",
        QPalette.ColorRole.ToolTipText: "#f9fafb",
        QPalette.ColorRole.PlaceholderText: "#98a2b3",
        QPalette.ColorRole.Link: ACCENT,
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#a3abb7"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#a3abb7"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#a3abb7"))
    return palette


#: Python's thread switch interval while the window runs (see :func:`configure`).
GUI_SWITCH_INTERVAL = 0.001


def configure(app: QApplication) -> None:
    """Names (they place QSettings), icon and look; shared by the app and the screenshots."""
    app.setOrganizationName(preferences.ORGANISATION)
    app.setApplicationName(preferences.APPLICATION)
    app.setApplicationDisplayName("BatchLab")
    app.setWindowIcon(app_icon())
    app.setStyle("Fusion")
    app.setPalette(_light_palette())
    app.setStyleSheet(STYLESHEET)
    pool = QThreadPool.globalInstance()
    pool.setMaxThreadCount(max(pool.maxThreadCount(), _MIN_THREADS))
    # The window's thread needs Python's lock for every slot, paint and timer it runs in Python;
    # while background work holds it, each wait lasts up to the switch interval (5 ms by default),
    # and a turn of the event loop waits several times: 1 ms keeps the window's stalls short.
    sys.setswitchinterval(min(sys.getswitchinterval(), GUI_SWITCH_INTERVAL))


def error_hook(parent: QWidget) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    """A ``sys.excepthook`` for bugs on the UI thread: the details go to a log file, the person
    gets a plain message (never a traceback) and the app keeps running."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if isinstance(value, BatchLabError):
            # meant for people, not a bug: a damaged job history, say, met when a screen first needs the engine
            show_error(parent, value)
            return
        log = record_bug(kind, value, tb)
        show_error(
            parent,
            BatchLabError(
                f"BatchLab ran into an unexpected problem ({kind.__name__}).",
                f"Nothing was lost: your jobs and their files are safe. The details were saved to {log}; "
                "please include that file if you report it.",
            ),
        )

    return hook


def run_gui(argv: Sequence[str] | None = None) -> int:
    """Show the main window, carry on every unfinished job, and run until the window closes.

    The window comes first: the engine and the job history are made by the controller's start
    in a worker, and the window's other screens are built when first opened."""
    from app.ui.jobs_controller import JobsController
    from app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(list(argv) if argv is not None else sys.argv)
    assert isinstance(app, QApplication)
    configure(app)
    controller = JobsController(poll_interval=preferences.POLL_SECONDS.get())
    window = MainWindow(controller)
    sys.excepthook = error_hook(window)
    window.show()
    gc.freeze()  # the objects built so far live as long as the app: keep them out of GC passes
    controller.start()
    code = app.exec()
    controller.shutdown()
    QThreadPool.globalInstance().waitForDone(5000)  # let a running step record what it did
    from app.core.run.providers.demo import stop_demo_services  # not at start: it imports the providers

    stop_demo_services()
    return code
