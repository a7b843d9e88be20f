"""A data file dragged onto the wizard: accepted when BatchLab can read it, then loaded."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QWidget


def dropped_file(event: QDropEvent) -> Path | None:
    """The first local file among the dragged ones with a suffix BatchLab reads (CSV, TSV, Excel …)."""
    from app.core.data.files import SUPPORTED_SUFFIXES

    mime = event.mimeData()
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in SUPPORTED_SUFFIXES:
            return Path(url.toLocalFile())
    return None


class FileDrops(QObject):
    """Lets ``widget`` take a dragged data file (others are refused while still dragged) and says which."""

    dropped = Signal(Path)

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        path = dropped_file(event)  # type: ignore[arg-type]
        if path is None:
            event.ignore()
        else:
            event.acceptProposedAction()  # type: ignore[attr-defined]
            if kind == QEvent.Type.Drop:
                self.dropped.emit(path)
        return True
