"""The Data step's choice of the column that holds each row's ID."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QVBoxLayout, QWidget

from app.ui.common import hint

ROW_NUMBERS = "Row numbers (no ID column: BatchLab numbers the rows 1, 2, 3 …)"


class IdColumnChooser(QWidget):
    """A column of the table, or row numbers, with a word on why the IDs must all differ. Emits
    ``changed`` whenever the choice changes, by the person or by :meth:`choose`, but not while
    :meth:`show_columns` fills it."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.currentIndexChanged.connect(lambda _index: self.changed.emit())
        layout.addWidget(self.combo, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(
            hint(
                "Each answer is matched back to its row by this ID, so every value must be different. "
                "Without an ID column, BatchLab numbers the rows itself."
            )
        )

    def show_columns(self, columns: Sequence[str], chosen: str | None) -> None:
        """Offer ``columns`` (and row numbers), with ``chosen`` chosen (None: row numbers)."""
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(ROW_NUMBERS, None)
        for name in columns:
            self.combo.addItem(name, name)
        self.combo.setCurrentIndex(0 if chosen is None else list(columns).index(chosen) + 1)
        self.combo.blockSignals(False)

    def clear(self) -> None:
        """Nothing to choose from: no table."""
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.blockSignals(False)

    def column(self) -> str | None:
        """The chosen ID column, or None for row numbers."""
        if self.combo.count() == 0:
            return None
        return self.combo.currentData()

    def choose(self, name: str | None) -> None:
        """Choose column ``name`` (None, or a name not offered: row numbers)."""
        index = self.combo.findData(name) if name is not None else 0
        self.combo.setCurrentIndex(max(index, 0))
