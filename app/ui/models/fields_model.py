"""The output fields of a job as a list model, with the spec's own checks in plain words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from app.core.errors import SpecError
from app.core.spec import FIELD_TYPES, FieldSpec, parse_spec

#: What people see for each field type, in the order of ``FIELD_TYPES``.
TYPE_LABELS = {
    "category": "Category",
    "number": "Number",
    "integer": "Whole number",
    "boolean": "Yes/No",
    "list": "List",
    "text": "Text",
}
assert tuple(TYPE_LABELS) == FIELD_TYPES

#: One sentence per type, shown under the type chooser.
TYPE_HELP = {
    "category": "The model picks exactly one of the choices you list.",
    "number": "A number such as 0.75, optionally between a minimum and a maximum.",
    "integer": "A whole number such as 3, optionally between a minimum and a maximum.",
    "boolean": "Yes or no (true/false), e.g. “mentions a price”.",
    "list": "Several items. With choices, only those; without, any short texts.",
    "text": "Free text, such as a short quote or a summary.",
}

_Index = QModelIndex | QPersistentModelIndex


def check_fields(fields: list[FieldSpec]) -> list[str]:
    """The spec's own problems with these output fields (empty when all is well).

    Runs the fields through :func:`app.core.spec.parse_spec`, the checks every saved job passes,
    and keeps only what concerns the fields.
    """
    raw = {"fields": [f.to_dict() for f in fields]}
    try:
        parse_spec(raw, Path.cwd())
    except SpecError as exc:
        return [p for p in exc.problems if "output field" in p.lower()]
    return []


def describe_field(field: FieldSpec) -> str:
    """One line for the list: name, type and what it holds."""
    label = TYPE_LABELS.get(field.type, field.type)
    details = ""
    if field.choices:
        shown = ", ".join(field.choices[:6]) + (", …" if len(field.choices) > 6 else "")
        details = f": {shown}"
    elif field.type in ("number", "integer") and (field.minimum is not None or field.maximum is not None):
        low = "…" if field.minimum is None else _number_text(field.minimum)
        high = "…" if field.maximum is None else _number_text(field.maximum)
        details = f": {low} to {high}"
    return f"{field.name or '(no name)'}  —  {label}{details}"


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class FieldsModel(QAbstractListModel):
    """A list of :class:`FieldSpec`; each row shows one field, ``FieldRole`` returns the FieldSpec."""

    FieldRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._fields: list[FieldSpec] = []

    # ---- reading -----------------------------------------------------------------------------
    def fields(self) -> list[FieldSpec]:
        """Copies of the fields, in order."""
        return [FieldSpec(**vars(f)) for f in self._fields]

    def field(self, row: int) -> FieldSpec:
        return self._fields[row]

    def names(self) -> list[str]:
        return [f.name for f in self._fields]

    def problems(self) -> list[str]:
        """Everything that stops these fields being used, in plain words."""
        if not self._fields:
            return ["Add at least one output field: what should the model fill in for each row?"]
        return check_fields(self._fields)

    # ---- changing ----------------------------------------------------------------------------
    def set_fields(self, fields: list[FieldSpec]) -> None:
        self.beginResetModel()
        self._fields = [FieldSpec(**vars(f)) for f in fields]
        self.endResetModel()

    def add(self, field: FieldSpec) -> int:
        """Append a field; returns its row."""
        row = len(self._fields)
        self.beginInsertRows(QModelIndex(), row, row)
        self._fields.append(field)
        self.endInsertRows()
        return row

    def replace(self, row: int, field: FieldSpec) -> None:
        self._fields[row] = field
        index = self.index(row, 0)
        self.dataChanged.emit(index, index)

    def remove(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._fields[row]
        self.endRemoveRows()

    def move(self, row: int, delta: int) -> int:
        """Move a field up (-1) or down (+1); returns its new row (unchanged at either end)."""
        target = row + delta
        if not (0 <= row < len(self._fields) and 0 <= target < len(self._fields)) or delta == 0:
            return row
        # Qt's destination is the row the item goes *before*, counted before the move.
        destination = target + 1 if delta > 0 else target
        self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), destination)
        self._fields.insert(target, self._fields.pop(row))
        self.endMoveRows()
        return target

    def unique_name(self, base: str = "field") -> str:
        """A field name not used yet: field_1, field_2, …"""
        taken = {n.lower() for n in self.names()}
        number = 1
        while f"{base}_{number}" in taken:
            number += 1
        return f"{base}_{number}"

    # ---- Qt model interface --------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._fields)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._fields):
            return None
        field = self._fields[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return describe_field(field)
        if role == Qt.ItemDataRole.ToolTipRole:
            return field.description or None
        if role == self.FieldRole:
            return field
        return None
