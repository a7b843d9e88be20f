"""A figure drawn by app.core.research.figures, shown as a picture, with "Save figure…" (PNG or SVG).

The core draws with matplotlib's Agg backend into a file; this widget only renders that file in
the background and shows it, so the UI never waits on matplotlib.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.core.errors import BatchLabError
from app.ui.common import ask_save_path, section_title, while_alive
from app.ui.dialogs import show_error
from app.ui.tasks import Task

#: ``draw(path)`` writes the figure to ``path``; PNG or SVG by the suffix.
Draw = Callable[[Path], Any]
#: matplotlib is not thread-safe: figures are drawn one at a time, whichever view asks.
_DRAWING = threading.Lock()


def _drawn(draw: Draw, path: Path) -> Path:
    with _DRAWING:
        draw(path)
    return path


class FigureView(QWidget):
    """Title, the rendered figure scaled to fit, and a save button; ``saved`` carries the path written."""

    saved = Signal(str)

    def __init__(self, title: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._draw: Draw | None = None
        self._pixmap = QPixmap()
        self._folder = tempfile.TemporaryDirectory(prefix="batchlab-figure-")
        self.title = section_title(title)
        self.title.setWordWrap(True)  # beside its button in a narrow column, as many lines as it needs
        self.title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.picture = QLabel("No figure yet.")
        self.picture.setObjectName(f"figure_{name}")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setWordWrap(True)  # why there is no figure, in a narrow column
        self.picture.setMinimumSize(160, 120)
        self.save_button = QPushButton("Save figure…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.choose_path)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.picture, 1)

    def show_figure(self, draw: Draw | None, empty: str = "No figure for this field.") -> None:
        """Render ``draw`` to a PNG in the background and show it (None: show ``empty``)."""
        self._draw = draw
        self.save_button.setEnabled(False)
        self._pixmap = QPixmap()
        if draw is None:
            self.picture.setPixmap(QPixmap())
            self.picture.setText(empty)
            return
        self.picture.setText("Drawing…")
        path = Path(self._folder.name) / f"{self.name}-{id(draw)}.png"
        task = Task(self, lambda _: _drawn(draw, path))
        task.on_done(while_alive(self, lambda _: self._loaded(draw, path)))
        task.on_error(while_alive(self, lambda error: self.picture.setText(error.message)))
        task.on_finished(task.deleteLater).start()

    def _loaded(self, draw: Draw, path: Path) -> None:
        if draw is not self._draw:
            return  # another figure was asked for meanwhile
        self._pixmap = QPixmap(str(path))
        self.save_button.setEnabled(not self._pixmap.isNull())
        self._fit()

    def has_figure(self) -> bool:
        return not self._pixmap.isNull()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap.isNull():
            return
        size = self.picture.size()
        self.picture.setPixmap(
            self._pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        )

    def choose_path(self) -> None:
        path = ask_save_path(self, "Save figure", f"{self.name}.png", [("PNG picture", ".png"), ("SVG drawing", ".svg")])
        if path:
            self.save_to(path)

    def save_to(self, path: Path) -> None:
        """Write the figure to ``path`` (PNG or SVG by its suffix) in the background."""
        draw = self._draw
        if draw is None:
            return
        task = Task(self, lambda _: _drawn(draw, path))
        task.on_done(while_alive(self, lambda _: self.saved.emit(str(path))))
        task.on_error(while_alive(self, self._failed))
        task.on_finished(task.deleteLater).start()

    def _failed(self, error: BatchLabError) -> None:
        show_error(self, error)
