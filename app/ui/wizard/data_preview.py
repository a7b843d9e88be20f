"""The Data step's lower half: the loaded table, or before any file the place to drop one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QStackedWidget, QTableView, QWidget

from app.core.data.files import SUPPORTED_SUFFIXES
from app.ui.models.table_model import DataFrameModel

if TYPE_CHECKING:
    from app.core.data import Table

#: Rows looked at to size a column to its texts.
_SIZING_ROWS = 50


class DataPreview(QStackedWidget):
    """The table as read (a model over the data, never a copy), or the drop zone when there is none."""

    sample_requested = Signal()  # the person clicked "open the sample project"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = DataFrameModel(self)
        self.view = QTableView()
        self.view.setObjectName("dataPreview")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setMinimumHeight(140)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.view.verticalHeader().setToolTip("Row numbers as Excel shows them (the column names are row 1).")
        self.drop_zone = QLabel(
            "<p style='font-size:15pt'>Drop a CSV, TSV or Excel file here</p>"
            "<p>or click <b>Open file…</b> above.</p>"
            "<p>One row per text, with the column names in the first row.<br>"
            "BatchLab reads " + ", ".join(SUPPORTED_SUFFIXES) + " files.</p>"
            "<p style='margin-top:18px'>New to BatchLab? <a href='sample'>Open the sample project</a>: "
            "forty product reviews and the offline Demo provider, no API key needed.</p>"
        )
        self.drop_zone.linkActivated.connect(lambda _link: self.sample_requested.emit())
        self.drop_zone.setObjectName("dropZone")
        self.drop_zone.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_zone.setWordWrap(True)
        self.drop_zone.setStyleSheet(
            "QLabel#dropZone { border: 2px dashed palette(mid); border-radius: 10px; color: palette(text); }"
        )
        self.addWidget(self.drop_zone)
        self.addWidget(self.view)

    def show_table(self, table: Table | None) -> None:
        """Show ``table`` with its columns sized to their texts; None: no table, the drop zone."""
        self.model.set_frame(table.frame if table is not None else None, table.row_number if table is not None else None)
        if table is not None:
            self._size_columns(table)

    def show_drop_zone(self, shown: bool) -> None:
        self.setCurrentWidget(self.drop_zone if shown else self.view)

    def _size_columns(self, table: Table) -> None:
        header = self.view.horizontalHeader()
        metrics = self.view.fontMetrics()
        for column, name in enumerate(self.model.columns()):
            width = max(metrics.horizontalAdvance(name) + 36, 90)
            if len(table):
                sample = table.frame.iloc[:_SIZING_ROWS, column].astype("str").str.len().max()
                width = max(width, min(int(sample) * metrics.averageCharWidth() + 16, 380))
            header.resizeSection(column, width)
