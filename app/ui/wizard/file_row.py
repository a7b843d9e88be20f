"""The Data step's top row: Open file…, which file is shown, and for workbooks which sheet."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from app.core.data.files import SUPPORTED_SUFFIXES
from app.ui import preferences


class PathLabel(QLabel):
    """The file's name in bold and its folder in grey, shortened with … in the middle where the row
    is too narrow for them (a long name was cut off mid-word at the window's edge); the whole path
    shows on hover."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path: Path | None = None
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.show_path(None)

    def show_path(self, path: Path | None) -> None:
        self._path = path
        self.setToolTip(str(path) if path is not None else "")
        self._fit()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._path is None:
            self.setText("No file chosen yet.")
            return
        width = self.contentsRect().width() - 2 * self.margin()
        bold = QFont(self.font())
        bold.setBold(True)
        name = QFontMetrics(bold).elidedText(self._path.name, Qt.TextElideMode.ElideMiddle, width)
        metrics = self.fontMetrics()
        room = width - QFontMetrics(bold).horizontalAdvance(name) - metrics.horizontalAdvance(" in ")
        folder = metrics.elidedText(str(self._path.parent), Qt.TextElideMode.ElideMiddle, max(room, 0))
        text = f"<b>{html.escape(name)}</b>"
        if folder:
            text += f" <span style='color:gray'>in {html.escape(folder)}</span>"
        self.setText(text)


class FileRow(QWidget):
    """Choosing the file (the system's dialog, starting in the last folder used) and the sheet."""

    file_chosen = Signal(Path)
    sheet_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)  # as the page's own rows
        self.open_button = QPushButton("Open file…")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.choose_file)
        row.addWidget(self.open_button)
        self.path_label = PathLabel()
        row.addWidget(self.path_label, 1)
        self.sheet_label = QLabel("Sheet:")
        self.sheet_combo = QComboBox()
        self.sheet_combo.setMinimumContentsLength(14)
        self.sheet_combo.setToolTip("Workbooks can hold several sheets: choose the one with your table.")
        self.sheet_combo.activated.connect(lambda _index: self.sheet_chosen.emit(self.sheet_combo.currentText()))
        row.addWidget(self.sheet_label)
        row.addWidget(self.sheet_combo)
        self.show_sheets([], None)

    def choose_file(self) -> None:
        """Ask for a file with the system's file dialog, starting in the last folder used."""
        start = preferences.DEFAULT_FOLDER.get()
        patterns = " ".join(f"*{s}" for s in SUPPORTED_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(self, "Open your data", start, f"Data files ({patterns});;All files (*)")
        if path:
            preferences.DEFAULT_FOLDER.set(str(Path(path).parent))
            self.file_chosen.emit(Path(path))

    def show_path(self, path: Path | None) -> None:
        self.path_label.show_path(path)

    def show_sheets(self, sheets: list[str], current: str | None) -> None:
        """The workbook's sheets with ``current`` chosen; the choice is shown for workbooks only."""
        self.sheet_combo.blockSignals(True)
        self.sheet_combo.clear()
        self.sheet_combo.addItems(sheets or ([current] if current else []))
        if current:
            self.sheet_combo.setCurrentText(current)
        self.sheet_combo.blockSignals(False)
        workbook = len(sheets) > 1 or current is not None
        self.sheet_label.setVisible(workbook)
        self.sheet_combo.setVisible(workbook)
