"""The controls for one row's answers, built from the job's codebook: one group per field.

Categories are radio buttons numbered 1, 2, 3 … so a coder can pick with the number keys; booleans
are Yes/No; lists are check boxes; numbers and texts are edit lines. The controls only hold values:
storing them is the hand-coding screen's business.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDoubleValidator, QIntValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QWidget,
)

from app.core.spec import FieldSpec

_BOOLEAN_CHOICES = ("yes", "no")


def _choices(field: FieldSpec) -> tuple[str, ...]:
    return _BOOLEAN_CHOICES if field.type == "boolean" else tuple(field.choices)


class FieldControls(QWidget):
    """Editors for every field of a codebook; ``changed`` fires on any edit by the person."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.fields: list[FieldSpec] = []
        self._groups: dict[str, QButtonGroup] = {}
        self._boxes: dict[str, list[QCheckBox]] = {}
        self._lines: dict[str, QLineEdit] = {}

    def set_fields(self, fields: list[FieldSpec]) -> None:
        """Build one row of controls per field (replacing any earlier ones)."""
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = list(fields)
        self._groups, self._boxes, self._lines = {}, {}, {}
        for field in self.fields:
            label = field.name + (f"\n({field.description})" if field.description else "")
            self.form.addRow(label, self._editor(field))

    def _editor(self, field: FieldSpec) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        if field.type in ("category", "boolean"):
            group = QButtonGroup(box)
            group.setExclusive(False)  # so a choice can be cleared again; exclusivity is kept in _picked
            for number, choice in enumerate(_choices(field), start=1):
                button = QRadioButton(f"{number}  {choice}" if self._numbered(field) else choice)
                button.setProperty("choice", choice)
                group.addButton(button, number)
                row.addWidget(button)
            group.idClicked.connect(lambda number, g=group: self._picked(g, number))
            self._groups[field.name] = group
        elif field.type == "list":
            self._boxes[field.name] = []
            for choice in field.choices:
                check = QCheckBox(choice)
                check.toggled.connect(self.changed)
                self._boxes[field.name].append(check)
                row.addWidget(check)
        else:
            line = QLineEdit()
            line.setObjectName(f"field_{field.name}")
            if field.type == "integer":
                line.setValidator(QIntValidator(line))
            elif field.type == "number":
                line.setValidator(QDoubleValidator(line))
            line.textEdited.connect(self.changed)
            self._lines[field.name] = line
            row.addWidget(line, 1 if field.type == "text" else 0)
        if field.type != "text":
            row.addStretch(1)
        return box

    def _numbered(self, field: FieldSpec) -> bool:
        """Only the first choice field gets number keys (two fields cannot share the keys 1–9)."""
        first = next((f for f in self.fields if f.type in ("category", "boolean")), None)
        return first is field

    def _picked(self, group: QButtonGroup, number: int) -> None:
        for button in group.buttons():
            if group.id(button) != number:
                button.setChecked(False)
        self.changed.emit()

    def pick(self, number: int) -> bool:
        """Choose the ``number``-th choice of the numbered field (the number keys); False if there is none."""
        field = next((f for f in self.fields if self._numbered(f)), None)
        button = self._groups[field.name].button(number) if field else None
        if button is None:
            return False
        button.setChecked(True)
        self._picked(self._groups[field.name], number)
        return True

    # ---- values ----------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The answers given so far; fields left empty are left out.

        A list with nothing ticked is an answer (no label applies) once anything else is answered.
        """
        out: dict[str, Any] = {}
        for name, group in self._groups.items():
            checked = group.checkedButton()
            if checked is not None:
                choice = checked.property("choice")
                out[name] = (choice == "yes") if choice in _BOOLEAN_CHOICES and self._is_boolean(name) else choice
        for name, line in self._lines.items():
            text = line.text().strip()
            if text:
                out[name] = _number(text, self._kind(name))
        for name, boxes in self._boxes.items():
            chosen = [b.text() for b in boxes if b.isChecked()]
            if chosen or out:
                out[name] = chosen
        return {f.name: out[f.name] for f in self.fields if f.name in out}

    def _kind(self, name: str) -> str:
        return next(f.type for f in self.fields if f.name == name)

    def _is_boolean(self, name: str) -> bool:
        return self._kind(name) == "boolean"

    def set_values(self, values: dict[str, Any]) -> None:
        """Show earlier answers (or none); does not emit ``changed``."""
        self.blockSignals(True)
        for name, group in self._groups.items():
            wanted = values.get(name)
            if isinstance(wanted, bool):
                wanted = "yes" if wanted else "no"
            for button in group.buttons():
                button.setChecked(button.property("choice") == wanted)
        for name, boxes in self._boxes.items():
            chosen = set(values.get(name) or [])
            for check in boxes:
                check.setChecked(check.text() in chosen)
        for name, line in self._lines.items():
            value = values.get(name)
            line.setText("" if value is None else str(value))
        self.blockSignals(False)


def _number(text: str, kind: str) -> Any:
    """The typed value of an edit line: numbers as numbers (a decimal comma is accepted)."""
    if kind not in ("number", "integer"):
        return text
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return text
    return int(value) if kind == "integer" else value
