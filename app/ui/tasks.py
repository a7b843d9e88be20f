"""Background work for the GUI: say *what* should run off the UI thread and *what to do with the answer*.

    Task(parent, work).on_done(show).on_error(explain).with_progress(bar.setValue).start()

``work`` receives a :class:`TaskContext` to report progress and check for cancellation; it runs
in Qt's global thread pool and never touches widgets. Results, errors and progress come back
through queued signals, so every callback runs on the UI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from app.core.errors import BatchLabError, CancelledError
from app.ui.dialogs import record_bug

#: Held by work that imports the core's heavy modules for the first time (the engine; the data
#: readers): two threads importing pandas at once can each meet it half initialised.
HEAVY_IMPORTS = threading.Lock()


def _emit(signal: Any, *args: Any) -> None:
    """Report to the UI thread; if the receiving side was already destroyed (the window closed while
    the work ran, say), there is nobody left to tell, and that is not an error."""
    try:
        signal.emit(*args)
    except RuntimeError:  # "Signal source has been deleted"
        pass


class TaskContext:
    """What running work sees: a progress reporter and a cancel flag."""

    def __init__(self, signals: _Signals) -> None:
        self._signals = signals
        self.cancelled = False

    def progress(self, done: int, total: int) -> None:
        _emit(self._signals.progress, int(done), int(total))

    def message(self, text: str) -> None:
        _emit(self._signals.message, text)

    def should_cancel(self) -> bool:
        return self.cancelled


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)
    message = Signal(str)
    finished = Signal()


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self.task = task

    def run(self) -> None:
        task = self.task
        try:
            result = task.work(task.context)
        except BatchLabError as exc:
            _emit(task.signals.failed, exc)
        except Exception as exc:  # an unexpected bug: keep the app alive, log it, say it plainly
            log = record_bug(type(exc), exc, exc.__traceback__)
            wrapped = BatchLabError(
                f"An unexpected error stopped this task ({exc.__class__.__name__}).",
                f"Nothing was lost. Try again; if it happens again, please report it with {log}.",
            )
            _emit(task.signals.failed, wrapped)
        else:
            _emit(task.signals.done, result)
        finally:
            _emit(task.signals.finished)


class Task(QObject):
    """One piece of background work with UI-thread callbacks."""

    def __init__(self, parent: QObject | None, work: Callable[[TaskContext], Any]) -> None:
        super().__init__(parent)
        self.work = work
        self.signals = _Signals()
        self.context = TaskContext(self.signals)
        self.running = False
        self.signals.finished.connect(self._finished)

    def on_done(self, callback: Callable[[Any], None]) -> Task:
        self.signals.done.connect(callback)
        return self

    def on_error(self, callback: Callable[[BatchLabError], None]) -> Task:
        self.signals.failed.connect(callback)
        return self

    def with_progress(self, callback: Callable[[int, int], None]) -> Task:
        self.signals.progress.connect(callback)
        return self

    def with_messages(self, callback: Callable[[str], None]) -> Task:
        self.signals.message.connect(callback)
        return self

    def on_finished(self, callback: Callable[[], None]) -> Task:
        self.signals.finished.connect(callback)
        return self

    def start(self) -> Task:
        self.running = True
        QThreadPool.globalInstance().start(_Runnable(self))
        return self

    def cancel(self) -> None:
        """Ask the work to stop; it raises CancelledError at its next check."""
        self.context.cancelled = True

    def _finished(self) -> None:
        self.running = False


def is_cancellation(error: BatchLabError) -> bool:
    """Whether a failure is only the person's own request to stop."""
    return isinstance(error, CancelledError)
