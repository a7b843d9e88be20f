"""Step 3 — Output fields: what the model fills in for every row, point and click (no JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QLocale, Qt, Signal
from PySide6.QtGui import QDoubleValidator, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatchLabError
from app.core.build.schema import row_schema
from app.core.build.schema_import import read_schema_file
from app.core.spec import FIELD_TYPES, FieldSpec
from app.ui import preferences
from app.ui.common import MessagePanel, ask_save_path, heading, hint
from app.ui.models.fields_model import TYPE_HELP, TYPE_LABELS, FieldsModel, check_fields


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


class _FieldsChange(QUndoCommand):
    """One change to the fields list, kept as the list before and after (fields are small).

    Typing in the editor changes the same field many times; those changes merge into one step."""

    def __init__(self, page: FieldsPage, before: list[FieldSpec], after: list[FieldSpec], row: int | None) -> None:
        super().__init__("change the output fields")
        self._page, self._before, self._after, self._row = page, before, after, row
        self._done = True  # the change has happened already when it is recorded

    def id(self) -> int:
        return 1 if self._row is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _FieldsChange) or other._row != self._row:
            return False
        self._after = other._after
        return True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._page._restore(self._after, self._row)

    def undo(self) -> None:
        self._page._restore(self._before, self._row)


class FieldsPage(QWidget):
    """A list of fields on the left, an editor for the selected one on the right."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FieldsModel(self)
        self._loading = False
        self.undo_stack = QUndoStack(self)
        self._recorded: list[FieldSpec] = []  # the fields as the undo history last saw them
        self._restoring = False
        self._editing_row: int | None = None
        self._build()
        self.model.rowsInserted.connect(self._model_changed)
        self.model.rowsRemoved.connect(self._model_changed)
        self.model.rowsMoved.connect(self._model_changed)
        self.model.modelReset.connect(self._model_changed)
        self.model.dataChanged.connect(self._model_changed)
        self._selection_changed()
        self._model_changed()

    # ---- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(
            heading(
                "Output fields",
                "What the model fills in for every row. Each field becomes a column in your results. "
                "The model must answer every field, in exactly the form you set here.",
            )
        )
        body = QHBoxLayout()
        layout.addLayout(body, 1)

        left = QVBoxLayout()
        self.list_view = QListView()
        self.list_view.setObjectName("fieldsList")
        self.list_view.setModel(self.model)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list_view.setMinimumWidth(340)
        self.list_view.setStyleSheet(
            "QListView#fieldsList::item { padding: 6px 8px; border-radius: 4px; }"
            " QListView#fieldsList::item:selected { background: #dbe7fd; color: #111827; }"
        )
        self.list_view.selectionModel().selectionChanged.connect(self._selection_changed)
        left.addWidget(self.list_view, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add field")
        self.add_button.clicked.connect(self.add_field)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_field)
        self.up_button = QPushButton("Move up")
        self.up_button.clicked.connect(lambda: self.move_field(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.clicked.connect(lambda: self.move_field(1))
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        left.addLayout(buttons)
        advanced = QHBoxLayout()
        advanced.addWidget(QLabel("For advanced users:"))
        self.import_button = QPushButton("Import JSON schema…")
        self.import_button.setToolTip("Read fields from a JSON schema file (simple properties only).")
        self.import_button.clicked.connect(self.choose_import)
        self.export_button = QPushButton("Export JSON schema…")
        self.export_button.setToolTip("Save the fields as the JSON schema every answer must follow.")
        self.export_button.clicked.connect(self.choose_export)
        advanced.addWidget(self.import_button)
        advanced.addWidget(self.export_button)
        advanced.addStretch(1)
        left.addLayout(advanced)
        self.import_panel = MessagePanel()
        self.import_panel.setObjectName("importReport")
        left.addWidget(self.import_panel)
        body.addLayout(left, 5)

        self.editor = QGroupBox("Selected field")
        form = QFormLayout(self.editor)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setVerticalSpacing(4)
        self.form = form

        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("fieldName")
        self.name_edit.setPlaceholderText("e.g. sentiment")
        self.name_edit.textEdited.connect(self._edited)
        form.addRow("Name:", self._with_hint(self.name_edit, "The column name in your results: letters, digits "
                                                               "and _, starting with a letter."))
        self.type_combo = QComboBox()
        self.type_combo.setObjectName("fieldType")
        for kind in FIELD_TYPES:
            self.type_combo.addItem(TYPE_LABELS[kind], kind)
        self.type_combo.currentIndexChanged.connect(self._type_changed)
        self.type_hint = hint(TYPE_HELP["category"])
        form.addRow("Type:", self._with_hint(self.type_combo, self.type_hint))

        self.choices_edit = QPlainTextEdit()
        self.choices_edit.setObjectName("fieldChoices")
        self.choices_edit.setPlaceholderText("positive\nneutral\nnegative")
        self.choices_edit.setTabChangesFocus(True)
        self.choices_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 5 + 14)
        self.choices_edit.textChanged.connect(self._edited)
        self.choices_hint = hint("One choice per line.")
        self.choices_box = self._with_hint(self.choices_edit, self.choices_hint)
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
        self.range_box = self._with_hint(numbers, "Leave empty for no limit. For example 0 to 1 for a confidence.")
        form.addRow("Range:", self.range_box)

        self.quote_check = QCheckBox("The answer must be a quote copied from the text")
        self.quote_check.setObjectName("fieldVerbatimQuote")
        self.quote_check.toggled.connect(self._edited)
        self.quote_box = self._with_hint(
            self.quote_check,
            "BatchLab checks every answer against the row's text and flags the rows where it is not found.",
        )
        form.addRow("Quote:", self.quote_box)

        self.description_edit = QPlainTextEdit()
        self.description_edit.setObjectName("fieldDescription")
        self.description_edit.setPlaceholderText("e.g. the overall tone of the review")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.description_edit.textChanged.connect(self._edited)
        form.addRow(
            "Description:",
            self._with_hint(self.description_edit, "Optional: tells the model what belongs in this field."),
        )
        self.empty_label = hint("Select a field on the left to change it, or click “Add field”.")
        form.addRow(self.empty_label)

        right = QVBoxLayout()
        right.addWidget(self.editor)
        self.problems_panel = MessagePanel()
        self.problems_panel.setObjectName("fieldProblems")
        right.addWidget(self.problems_panel)
        right.addStretch(1)
        body.addLayout(right, 6)

    @staticmethod
    def _with_hint(control: QWidget, text: str | QLabel) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 4)
        column.setSpacing(2)
        column.addWidget(control)
        column.addWidget(text if isinstance(text, QLabel) else hint(text))
        return box

    # ---- fields ----------------------------------------------------------------------------
    def fields(self) -> list[FieldSpec]:
        return self.model.fields()

    def set_fields(self, fields: list[FieldSpec]) -> None:
        self.model.set_fields(fields)
        if fields:
            self.select(0)
        else:
            self._selection_changed()

    def selected_row(self) -> int | None:
        rows = self.list_view.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def select(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.list_view.selectionModel().select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.list_view.setCurrentIndex(index)

    def add_field(self) -> int:
        """Add a new category field and select it so its name can be typed at once."""
        row = self.model.add(FieldSpec(self.model.unique_name(), "category"))
        self.select(row)
        self.name_edit.setFocus()
        self.name_edit.selectAll()
        return row

    def remove_field(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        self.model.remove(row)
        if self.model.rowCount():
            self.select(min(row, self.model.rowCount() - 1))

    def move_field(self, delta: int) -> None:
        row = self.selected_row()
        if row is None:
            return
        self.select(self.model.move(row, delta))

    # ---- editor ----------------------------------------------------------------------------
    def _selection_changed(self, *_args: object) -> None:
        row = self.selected_row()
        has = row is not None
        for widget in (self.name_edit, self.type_combo, self.choices_edit, self.min_edit, self.max_edit,
                       self.quote_check, self.description_edit, self.remove_button):
            widget.setEnabled(has)
        self.up_button.setEnabled(has and row > 0)  # type: ignore[operator]
        self.down_button.setEnabled(has and row < self.model.rowCount() - 1)  # type: ignore[operator]
        self.form.setRowVisible(self.empty_label, not has)
        self._loading = True
        try:
            if row is None:
                self.editor.setTitle("Selected field")
                self.name_edit.clear()
                self.choices_edit.clear()
                self.min_edit.clear()
                self.max_edit.clear()
                self.quote_check.setChecked(False)
                self.description_edit.clear()
                self._show_type_rows("category")
                return
            field = self.model.field(row)
            self.editor.setTitle(f"Field {row + 1} of {self.model.rowCount()}")
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
        if not self._loading:
            # a description written for the old type would mislead the model (Edit → Undo brings it back)
            self._loading = True
            self.description_edit.clear()
            self._loading = False
        self._replace_selected(merge=False)

    def editor_field(self) -> FieldSpec:
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

    def _edited(self, *_args: object) -> None:
        self._replace_selected(merge=True)

    def _replace_selected(self, merge: bool) -> None:
        """Write the editor into the selected field; ``merge``: one undo step with the edits before."""
        if self._loading:
            return
        row = self.selected_row()
        if row is None:
            return
        self._editing_row = row if merge else None
        try:
            self.model.replace(row, self.editor_field())
        finally:
            self._editing_row = None

    # ---- undo ------------------------------------------------------------------------------
    def _record(self) -> None:
        """Put the change just made on the undo stack (unless it is an undo or redo itself)."""
        now = [FieldSpec(**vars(f)) for f in self.model.fields()]
        if self._restoring or now == self._recorded:
            return
        self.undo_stack.push(_FieldsChange(self, self._recorded, now, self._editing_row))
        self._recorded = now

    def _restore(self, fields: list[FieldSpec], row: int | None) -> None:
        self._restoring = True
        try:
            self.set_fields(fields)
            self._recorded = [FieldSpec(**vars(f)) for f in fields]
            if row is not None and row < len(fields):
                self.select(row)
        finally:
            self._restoring = False

    def forget_history(self) -> None:
        """Start a new undo history from the fields shown now (a new or reopened job)."""
        self.undo_stack.clear()
        self._recorded = [FieldSpec(**vars(f)) for f in self.model.fields()]

    def _model_changed(self, *_args: object) -> None:
        self._record()
        problems = self.model.problems()
        if problems:
            self.problems_panel.show_messages("error", problems, "To go on, fix:")
        else:
            self.problems_panel.show_messages("ok", [f"All {self.model.rowCount()} fields are complete."])
        self.export_button.setEnabled(self.model.rowCount() > 0)
        row = self.selected_row()
        self.up_button.setEnabled(row is not None and row > 0)
        self.down_button.setEnabled(row is not None and row < self.model.rowCount() - 1)
        if row is not None:
            self.editor.setTitle(f"Field {row + 1} of {self.model.rowCount()}")
        self.changed.emit()

    def problems(self) -> list[str]:
        return self.model.problems()

    # ---- JSON schema -----------------------------------------------------------------------
    def choose_import(self) -> None:
        start = preferences.DEFAULT_FOLDER.get()
        path, _ = QFileDialog.getOpenFileName(self, "Import a JSON schema", start, "JSON schema (*.json);;All files (*)")
        if path:
            preferences.DEFAULT_FOLDER.set(str(Path(path).parent))
            self.import_schema(Path(path))

    def import_schema(self, path: Path) -> bool:
        """Replace the fields with those read from a JSON schema file; report what was left out."""
        try:
            result = read_schema_file(path)
        except BatchLabError as exc:
            lines = [exc.message] + ([exc.hint] if exc.hint else [])
            self.import_panel.show_messages("error", lines, "Nothing was imported")
            return False
        self.set_fields(result.fields)
        kind = "warning" if result.skipped else "ok"
        self.import_panel.show_messages(kind, [result.summary()])
        return True

    def choose_export(self) -> None:
        path = ask_save_path(self, "Export the JSON schema", "output-schema.json", [("JSON schema", ".json")])
        if path:
            self.export_schema(path)

    def export_schema(self, path: Path) -> bool:
        """Write the schema one row's answer follows (as sent with one row per request)."""
        problems = check_fields(self.model.fields())
        if problems:
            self.import_panel.show_messages("error", problems, "Fix the fields before exporting")
            return False
        text = json.dumps(row_schema(self.model.fields()), indent=2, ensure_ascii=False)
        try:
            Path(path).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            self.import_panel.show_messages("error", [f"{Path(path).name} could not be written: {exc.strerror}."])
            return False
        self.import_panel.show_messages("ok", [f"Saved the JSON schema to {path}."])
        return True
