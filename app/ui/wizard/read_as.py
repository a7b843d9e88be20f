"""The Data step's "Read as" choices: which row holds the column names, the encoding, the separator.

Each shows what was detected and, when changed, asks for the file to be read again that way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from app.ui.common import hint

if TYPE_CHECKING:
    from app.core.data import Table

#: Changing the header row is acted on after this pause, so typing "12" does not read row 1 first.
_LAYOUT_PAUSE_MS = 500


class ReadAsControls(QWidget):
    """How the file was read, each setting a choice to change."""

    #: The person changed how to read the file: a dict of ``LoadOptions`` fields and their new values.
    chosen = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._shown_header_row: int | None = None
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(_LAYOUT_PAUSE_MS)
        self._pause.timeout.connect(self._header_row_chosen)

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.header_spin = QSpinBox()
        self.header_spin.setObjectName("headerRow")
        self.header_spin.setRange(1, 10_000)
        self.header_spin.setToolTip("The spreadsheet row that holds the column names; rows above it are left out.")
        self.header_spin.valueChanged.connect(lambda _value: self._pause.start())
        self.encoding_label = QLabel("Encoding:")
        self.encoding_combo = QComboBox()
        self.encoding_combo.setObjectName("encoding")
        self._may_shrink(self.encoding_combo, 14)
        self.encoding_combo.setToolTip("Letters look wrong (Ã©, �)? Choose the encoding the file was saved in.")
        self.encoding_combo.activated.connect(lambda _i: self.chosen.emit({"encoding": self.encoding_combo.currentData()}))
        self.delimiter_label = QLabel("Separator:")
        self.delimiter_combo = QComboBox()
        self.delimiter_combo.setObjectName("delimiter")
        self._may_shrink(self.delimiter_combo, 10)
        self.delimiter_combo.activated.connect(
            lambda _i: self.chosen.emit({"delimiter": self.delimiter_combo.currentData()})
        )
        row.addWidget(QLabel("Column names in row"))
        row.addWidget(self.header_spin)
        row.addSpacing(12)
        for widget in (self.encoding_label, self.encoding_combo, self.delimiter_label, self.delimiter_combo):
            row.addWidget(widget)
        row.addStretch(1)
        column.addLayout(row)
        self.layout_notes = hint("")
        self.layout_notes.setObjectName("layoutNotes")
        column.addWidget(self.layout_notes)

    @staticmethod
    def _may_shrink(combo: QComboBox, letters: int) -> None:
        """As wide as its choice where there is room, down to ``letters`` letters where there is not
        (the smallest window): a combo as wide as its longest encoding's name pushed the Data step's
        details off the window's right edge."""
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(letters)

    def stop_pending(self) -> None:
        """Forget a header row still being typed (another reading was asked for)."""
        self._pause.stop()

    def show_table(self, table: Table) -> None:
        """Show how ``table`` was read (encoding and separator only for text files)."""
        from app.core.data import encoding_label

        if self.encoding_combo.count() == 0:
            self._fill_choices()
        layout = table.layout
        self._shown_header_row = layout.header_row
        text_file = table.encoding is not None
        for widget in (self.encoding_label, self.encoding_combo, self.delimiter_label, self.delimiter_combo):
            widget.setVisible(text_file)
        self.header_spin.blockSignals(True)
        self.header_spin.setValue(layout.header_row)
        self.header_spin.blockSignals(False)
        if text_file:
            codec = table.encoding or "utf-8"
            if self.encoding_combo.findData(codec) < 0:
                self.encoding_combo.addItem(encoding_label(codec), codec)
            self.encoding_combo.setCurrentIndex(self.encoding_combo.findData(codec))
            if self.delimiter_combo.findData(table.delimiter) < 0:
                self.delimiter_combo.addItem(f"“{table.delimiter}”", table.delimiter)
            self.delimiter_combo.setCurrentIndex(self.delimiter_combo.findData(table.delimiter))
        self.layout_notes.setText(" ".join(layout.notes))
        self.layout_notes.setVisible(bool(layout.notes))

    def _fill_choices(self) -> None:
        """The encodings and separators to choose from (filled with the first file shown, so the
        data readers are imported only once a file is chosen)."""
        from app.core.data import DELIMITER_NAMES, ENCODING_NAMES

        for codec, label in ENCODING_NAMES.items():
            self.encoding_combo.addItem(label, codec)
        for delimiter, name in DELIMITER_NAMES.items():
            self.delimiter_combo.addItem(name, delimiter)

    def _header_row_chosen(self) -> None:
        if self._shown_header_row is not None and self.header_spin.value() != self._shown_header_row:
            self.chosen.emit({"header_row": self.header_spin.value()})
