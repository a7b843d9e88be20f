"""The Data step's top row: Open file…, which file is shown, and for workbooks which sheet."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from app.core.data.files import SUPPORTED_SUFFIXES
from app.ui import preferences


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
        self.path_label = QLabel("No file chosen yet.")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
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
        if path is None:
            self.path_label.setText("No file chosen yet.")
            self.path_label.setToolTip("")
        else:
            self.path_label.setText(f"<b>{path.name}</b>  <span style='color:gray'>in {path.parent}</span>")
            self.path_label.setToolTip(str(path))

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
