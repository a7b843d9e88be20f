"""Plain-language dialogs for errors; the one place that maps core error types to what people see."""

from __future__ import annotations

import datetime as dt
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.errors import BatchLabError
from app.core.paths import data_home


def record_bug(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> Path:
    """Append an unexpected error's traceback to the error log; people see a plain message instead."""
    log = data_home() / "logs" / "errors.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')}\n")
        handle.write("".join(traceback.format_exception(kind, value, tb)))
    return log


def show_error(parent: QWidget | None, error: BatchLabError | Exception) -> QMessageBox:
    """Show an error as a message and what to do next; never a traceback. Returns the (open) box."""
    if isinstance(error, BatchLabError):
        title, text, hint = error.title, error.message, error.hint
    else:
        title = "Something went wrong"
        text = f"{error.__class__.__name__}: {error}"
        hint = "Nothing was lost. Try again; if it happens again, please report it."
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    if hint:
        box.setInformativeText(hint)
    box.open()
    return box


def confirm(parent: QWidget | None, title: str, text: str, action: str) -> bool:
    """Ask before something that cannot be undone; ``action`` labels the confirming button."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes
