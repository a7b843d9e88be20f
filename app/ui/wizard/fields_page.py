"""Step 3 — Output fields: what the model fills in for every row, point and click (no JSON)."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Signal
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QListView, QPushButton, QVBoxLayout, QWidget

from app.core.spec import FieldSpec
from app.ui.common import MessagePanel, heading, scroll_area
from app.ui.models.fields_model import FieldsModel
from app.ui.wizard.field_editor import FieldEditor
from app.ui.wizard.fields_history import FieldsHistory
from app.ui.wizard.schema_files import SchemaFilesPanel


class FieldsPage(QWidget):
    """A list of fields on the left, an editor for the selected one on the right.

    The page keeps the list, the editor (:class:`FieldEditor`) and the undo history
    (:class:`FieldsHistory`) in step: an edit is written into the model, and every change of the
    model is recorded and checked.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FieldsModel(self)
        self.undo_stack = FieldsHistory(self.model, self)
        self.undo_stack.restore.connect(self._show_restored)
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
        self.schema_files = SchemaFilesPanel(self.model)
        self.schema_files.imported.connect(self.set_fields)
        self.import_panel = self.schema_files.report  # the wizard empties it for a new job
        left.addWidget(self.schema_files)
        body.addLayout(left, 5)

        self.editor = FieldEditor()
        self.editor.edited.connect(lambda: self._replace_selected(merge=True))
        self.editor.type_changed.connect(lambda: self._replace_selected(merge=False))
        self.problems_panel = MessagePanel()
        self.problems_panel.setObjectName("fieldProblems")
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.editor)
        column.addWidget(self.problems_panel)
        column.addStretch(1)
        body.addWidget(scroll_area(right), 6)  # a category's editor is taller than the smallest window

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
        self.editor.start_naming()
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

    def forget_history(self) -> None:
        """Start a new undo history from the fields shown now (a new or reopened job)."""
        self.undo_stack.forget()

    def problems(self) -> list[str]:
        return self.model.problems()

    # ---- keeping list, editor and history in step ------------------------------------------
    def _selection_changed(self, *_args: object) -> None:
        row = self.selected_row()
        self.remove_button.setEnabled(row is not None)
        self._enable_moves(row)
        self.editor.show_position(row, self.model.rowCount())
        self.editor.show_field(None if row is None else self.model.field(row))

    def _enable_moves(self, row: int | None) -> None:
        self.up_button.setEnabled(row is not None and row > 0)
        self.down_button.setEnabled(row is not None and row < self.model.rowCount() - 1)

    def _replace_selected(self, merge: bool) -> None:
        """Write the editor into the selected field; ``merge``: one undo step with the edits before."""
        row = self.selected_row()
        if row is None:
            return
        with self.undo_stack.typing_in(row if merge else None):
            self.model.replace(row, self.editor.field())

    def _show_restored(self, fields: list[FieldSpec], row: int | None) -> None:
        self.set_fields(fields)
        if row is not None and row < len(fields):
            self.select(row)

    def _model_changed(self, *_args: object) -> None:
        self.undo_stack.record()
        problems = self.model.problems()
        if problems:
            self.problems_panel.show_messages("error", problems, "To go on, fix:")
        else:
            self.problems_panel.show_messages("ok", [f"All {self.model.rowCount()} fields are complete."])
        row = self.selected_row()
        self._enable_moves(row)
        if row is not None:
            self.editor.show_position(row, self.model.rowCount())
        self.changed.emit()
