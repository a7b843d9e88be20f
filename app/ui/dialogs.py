"""Plain-language dialogs for errors; the one place that maps core error types to what people see."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.errors import BatchLabError


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
