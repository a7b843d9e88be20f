"""A read-only table model over a pandas DataFrame that opens a million rows at once.

Nothing is done per row up front: the model keeps a reference to each column's array and reads a
cell only when a view asks for it (views ask only for the rows on screen). Long texts are cut for
display and shown whole in the tooltip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

if TYPE_CHECKING:  # pandas is imported with the first frame shown, not with the window
    import pandas as pd

#: Characters of a cell shown in the table; the tooltip shows the whole text.
DISPLAY_CHARS = 200
TOOLTIP_CHARS = 2_000

_Index = QModelIndex | QPersistentModelIndex


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and value != value):  # None, NaN
        return ""
    from pandas import NA  # loaded already: the value came from a frame

    return "" if value is NA else str(value)


class DataFrameModel(QAbstractTableModel):
    """Shows a DataFrame; ``row_label(position)`` numbers the rows (default 1, 2, 3 …)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._frame: pd.DataFrame | None = None
        self._columns: list[str] = []
        self._arrays: list[Any] = []
        self._rows = 0
        self._row_label: Callable[[int], int | str] | None = None
        self._highlighted: set[str] = set()
        self._bold = QFont()
        self._bold.setBold(True)

    # ---- content ---------------------------------------------------------------------------
    def set_frame(
        self, frame: pd.DataFrame | None, row_label: Callable[[int], int | str] | None = None
    ) -> None:
        """Show ``frame`` (None: nothing). Constant time: no row is read here."""
        self.beginResetModel()
        self._frame = frame
        self._row_label = row_label
        if frame is None:
            self._columns, self._arrays, self._rows = [], [], 0
        else:
            self._columns = [str(c) for c in frame.columns]
            self._arrays = [frame.iloc[:, i].array for i in range(frame.shape[1])]
            self._rows = len(frame)
        self.endResetModel()

    def frame(self) -> pd.DataFrame | None:
        return self._frame

    def columns(self) -> list[str]:
        return list(self._columns)

    def set_highlighted_columns(self, columns: Sequence[str]) -> None:
        """Mark columns (those the row template uses) in bold with a ● in the header."""
        wanted = set(columns)
        if wanted == self._highlighted:
            return
        self._highlighted = wanted
        if self._columns:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self._columns) - 1)

    def cell(self, row: int, column: int) -> str:
        """The whole text of one cell."""
        return _text(self._arrays[column][row])

    # ---- Qt model interface ----------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < self._rows and 0 <= column < len(self._columns)):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            text = self.cell(row, column)
            if len(text) > DISPLAY_CHARS:
                text = text[: DISPLAY_CHARS - 1] + "…"
            return text.replace("\r\n", " ⏎ ").replace("\n", " ⏎ ")
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self.cell(row, column)
            if len(text) > DISPLAY_CHARS or "\n" in text:
                return text if len(text) <= TOOLTIP_CHARS else text[: TOOLTIP_CHARS - 1] + "…"
            return None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(self._columns):
                return None
            name = self._columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return f"● {name}" if name in self._highlighted else name
            if role == Qt.ItemDataRole.FontRole and name in self._highlighted:
                return self._bold
            if role == Qt.ItemDataRole.ToolTipRole and name in self._highlighted:
                return f'"{name}" is used by the row template'
            return None
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < self._rows:
            return self._row_label(section) if self._row_label is not None else section + 1
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
