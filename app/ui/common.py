"""Small building blocks the screens share: headings, section titles, hints, a problems panel, a progress row."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.ui.preferences import DEFAULT_FOLDER, settings

__all__ = [
    "MessagePanel",
    "ProgressRow",
    "ask_save_path",
    "heading",
    "hint",
    "plural",
    "scroll_area",
    "scrolling_page",
    "settings",
    "while_alive",
]



def heading(title: str, intro: str) -> QWidget:
    """The page title in large type with one or two sentences under it."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 4)
    layout.setSpacing(2)
    label = QLabel(title)
    label.setObjectName("pageTitle")
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.35)
    font.setBold(True)
    label.setFont(font)
    layout.addWidget(label)
    text = hint(intro)
    text.setObjectName("pageIntro")
    layout.addWidget(text)
    return box


def scroll_area(content: QWidget) -> QScrollArea:
    """``content`` in a frameless scroll area that scrolls only when the window is too small for it:
    squeezed instead, its controls would be drawn over each other or cut off."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)  # as large as the area when there is room, so stretches still fill it
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(content)
    return scroll


def scrolling_page(page: QWidget, content: QWidget) -> QScrollArea:
    """Lay ``content`` out as all of ``page``, in a :func:`scroll_area`."""
    scroll = scroll_area(content)
    outer = QVBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)
    return scroll


def section_title(text: str) -> QLabel:
    """A small bold title over a group of controls (styled by the app's stylesheet)."""
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
    return label


def hint(text: str) -> QLabel:
    """A short explanation under a control: wrapped, a little muted, selectable."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("hint")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    palette = label.palette()
    color = palette.color(palette.ColorRole.WindowText)
    color.setAlpha(190)
    palette.setColor(palette.ColorRole.WindowText, color)
    label.setPalette(palette)
    return label


class MessagePanel(QFrame):
    """A framed list of messages: problems (red), warnings (amber), all-good (green) or info."""

    changed = Signal()

    STYLES = {
        "error": ("#fdecea", "#b3261e", "#5f1410"),
        "warning": ("#fff4e0", "#b26a00", "#4d2e00"),
        "ok": ("#e8f5e9", "#2e7d32", "#1b3d1d"),
        "info": ("#eef3fb", "#3c64a8", "#1c2e4d"),
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label)
        self.kind = "info"
        self.messages: list[str] = []
        self.hide()

    def show_messages(self, kind: str, messages: Sequence[str], title: str = "") -> None:
        """Show ``messages`` (plain text) under an optional bold ``title``; nothing: hide the panel."""
        self.kind, self.messages = kind, [m for m in messages if m]
        if not self.messages and not title:
            self.clear()
            return
        background, border, text = self.STYLES[kind]
        self.setStyleSheet(
            f"MessagePanel {{ background: {background}; border: 1px solid {border}; border-radius: 4px; }}"
            f" QLabel {{ color: {text}; background: transparent; }}"
        )
        parts = [f"<b>{html.escape(title)}</b>"] if title else []
        if len(self.messages) == 1 and not title:
            parts.append(_para(self.messages[0]))
        elif self.messages:
            items = "".join(f"<li>{_para(m)}</li>" for m in self.messages)
            parts.append(f"<ul style='margin-left:-20px; margin-top:2px; margin-bottom:0'>{items}</ul>")
        self.label.setText("".join(parts))
        self.show()
        self.changed.emit()

    def clear(self) -> None:
        self.messages = []
        self.label.clear()
        self.hide()
        self.changed.emit()

    def text(self) -> str:
        """The panel's text without markup (for tests and accessibility)."""
        return self.label.text() if not self.isHidden() else ""

    def plain_text(self) -> str:
        return "\n".join(self.messages)


class ProgressRow(QWidget):
    """“Reading data.csv…”, a progress bar and Cancel, shown while long work runs."""

    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancelled)
        row.addWidget(self.label)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)

    def start(self, text: str) -> None:
        self.label.setText(text)
        self.progress.setValue(0)
        self.show()

    def advance(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setValue(int(1000 * min(done, total) / total))


def _para(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def while_alive(widget: QObject, callback: Callable[..., Any]) -> Callable[..., None]:
    """``callback``, skipped once ``widget`` is gone (a Task may report after its page was closed)."""

    def call(*args: Any) -> None:
        if shiboken6.isValid(widget):
            callback(*args)

    return call


def ask_save_path(
    parent: QWidget, title: str, suggested: str | Path, kinds: Sequence[tuple[str, str]]
) -> Path | None:
    """Ask where to save a file; None when the person cancels.

    ``kinds`` are (label, suffix) pairs such as ("Web page", ".html"). A bare file name starts in
    the folder the person last used, and the folder chosen is remembered, as everywhere else in
    the app; a name without one of the suffixes gets the first (never replacing what was typed).
    """
    start = Path(suggested)
    if not start.is_absolute():
        start = Path(DEFAULT_FOLDER.get()) / start
    filters = ";;".join(f"{label} (*{suffix})" for label, suffix in kinds)
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start), filters)
    if not chosen:
        return None
    path = Path(chosen)
    if path.suffix.lower() not in {suffix for _, suffix in kinds}:
        path = path.with_name(path.name + kinds[0][1])
    DEFAULT_FOLDER.set(str(path.parent))
    return path
