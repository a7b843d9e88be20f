"""The Output fields step's editor for one field: its name, type and what the type needs."""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.spec import FIELD_TYPES, FieldSpec
from app.ui.common import hint
from app.ui.models.fields_model import TYPE_HELP, TYPE_LABELS


def _number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _with_hint(control: QWidget, text: str | QLabel) -> QWidget:
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 4)
    column.setSpacing(2)
    column.addWidget(control)
    column.addWidget(text if isinstance(text, QLabel) else hint(text))
    return box


class FieldEditor(QGroupBox):
    """The selected field's controls; only the rows its type uses are shown.

    Filling the controls from a field is not an edit: the signals come from the person's changes only.
    """

    edited = Signal()  # typing: merges into one undo step with the typing before it
    type_changed = Signal()  # a step of its own, as it also clears the description

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Selected field", parent)
        self._loading = False
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setVerticalSpacing(4)
        self.form = form

        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("fieldName")
        self.name_edit.setPlaceholderText("e.g. sentiment")
        self.name_edit.textEdited.connect(self._edited)
        form.addRow("Name:", _with_hint(self.name_edit, "The column name in your results: letters, digits "
                                                          "and _, starting with a letter."))
        self.type_combo = QComboBox()
        self.type_combo.setObjectName("fieldType")
        for kind in FIELD_TYPES:
            self.type_combo.addItem(TYPE_LABELS[kind], kind)
        self.type_combo.currentIndexChanged.connect(self._type_changed)
        self.type_hint = hint(TYPE_HELP["category"])
        form.addRow("Type:", _with_hint(self.type_combo, self.type_hint))

        self.choices_edit = self._text_box("fieldChoices", "positive\nneutral\nnegative", lines=5)
        self.choices_hint = hint("One choice per line.")
        self.choices_box = _with_hint(self.choices_edit, self.choices_hint)
        form.addRow("Choices:", self.choices_box)

        numbers = QWidget()
        number_row = QHBoxLayout(numbers)
        number_row.setContentsMargins(0, 0, 0, 0)
        validator = QDoubleValidator(self)
        validator.setLocale(QLocale.c())
        validator.setNotation(QDoubleValidator.Notation.StandardNotation)
        self.min_edit = QLineEdit()
        self.min_edit.setObjectName("fieldMinimum")
        self.max_edit = QLineEdit()
        self.max_edit.setObjectName("fieldMaximum")
        for edit in (self.min_edit, self.max_edit):
            edit.setValidator(validator)
            edit.setPlaceholderText("no limit")
            edit.setMaximumWidth(120)
            edit.textEdited.connect(self._edited)
        number_row.addWidget(QLabel("from"))
        number_row.addWidget(self.min_edit)
        number_row.addWidget(QLabel("to"))
        number_row.addWidget(self.max_edit)
        number_row.addStretch(1)
        self.range_box = _with_hint(numbers, "Leave empty for no limit. For example 0 to 1 for a confidence.")
        form.addRow("Range:", self.range_box)

        self.quote_check = QCheckBox("The answer must be a quote copied from the text")
        self.quote_check.setObjectName("fieldVerbatimQuote")
        self.quote_check.toggled.connect(self._edited)
        self.quote_box = _with_hint(
            self.quote_check,
            "BatchLab checks every answer against the row's text and flags the rows where it is not found.",
        )
        form.addRow("Quote:", self.quote_box)

        self.description_edit = self._text_box("fieldDescription", "e.g. the overall tone of the review", lines=3)
        form.addRow(
            "Description:",
            _with_hint(self.description_edit, "Optional: tells the model what belongs in this field."),
        )
        self.empty_label = hint("Select a field on the left to change it, or click “Add field”.")
        form.addRow(self.empty_label)

    def _text_box(self, name: str, placeholder: str, lines: int) -> QPlainTextEdit:
        """A few lines of text; Tab moves on to the next control rather than typing a tab."""
        edit = QPlainTextEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.setTabChangesFocus(True)
        edit.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 14)
        edit.textChanged.connect(self._edited)
        return edit

    def show_field(self, field: FieldSpec | None) -> None:
        """Fill the controls from ``field``; None empties and disables them."""
        for widget in (self.name_edit, self.type_combo, self.choices_edit, self.min_edit, self.max_edit,
                       self.quote_check, self.description_edit):
            widget.setEnabled(field is not None)
        self.form.setRowVisible(self.empty_label, field is None)
        self._loading = True
        try:
            if field is None:
                self.name_edit.clear()
                self.choices_edit.clear()
                self.min_edit.clear()
                self.max_edit.clear()
                self.quote_check.setChecked(False)
                self.description_edit.clear()
                self._show_type_rows("category")
                return
            self.name_edit.setText(field.name)
            self.type_combo.setCurrentIndex(FIELD_TYPES.index(field.type) if field.type in FIELD_TYPES else 0)
            self.choices_edit.setPlainText("\n".join(field.choices))
            self.min_edit.setText(_number_text(field.minimum))
            self.max_edit.setText(_number_text(field.maximum))
            self.quote_check.setChecked(field.verbatim_quote)
            self.description_edit.setPlainText(field.description)
            self._show_type_rows(field.type)
        finally:
            self._loading = False

    def show_position(self, row: int | None, count: int) -> None:
        self.setTitle("Selected field" if row is None else f"Field {row + 1} of {count}")

    def field(self) -> FieldSpec:
        """The field as the editor shows it now (choices and range only where the type uses them)."""
        kind = self.type_combo.currentData()
        choices = [c.strip() for c in self.choices_edit.toPlainText().splitlines() if c.strip()]
        numeric = kind in ("number", "integer")
        return FieldSpec(
            name=self.name_edit.text().strip(),
            type=kind,
            description=self.description_edit.toPlainText().strip(),
            choices=choices if kind in ("category", "list") else [],
            minimum=_number(self.min_edit.text()) if numeric else None,
            maximum=_number(self.max_edit.text()) if numeric else None,
            verbatim_quote=kind == "text" and self.quote_check.isChecked(),
        )

    def start_naming(self) -> None:
        """Put the cursor in the name, selected, so typing replaces the suggested one."""
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def _show_type_rows(self, kind: str) -> None:
        self.form.setRowVisible(self.choices_box, kind in ("category", "list"))
        self.form.setRowVisible(self.range_box, kind in ("number", "integer"))
        self.form.setRowVisible(self.quote_box, kind == "text")
        self.type_hint.setText(TYPE_HELP.get(kind, ""))
        if kind == "list":
            self.choices_hint.setText("One per line. Leave empty to let the model write any short items.")
        else:
            self.choices_hint.setText("One choice per line; the model picks exactly one.")

    def _type_changed(self, _index: int) -> None:
        self._show_type_rows(self.type_combo.currentData())
        if self._loading:
            return
        # a description written for the old type would mislead the model (Edit → Undo brings it back)
        self._loading = True
        self.description_edit.clear()
        self._loading = False
        self.type_changed.emit()

    def _edited(self, *_args: object) -> None:
        if not self._loading:
            self.edited.emit()
