"""The Output fields step's JSON schema import and export, for people who have a schema already."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core.build.schema_files import read_schema_file, write_schema_file
from app.core.errors import BatchLabError
from app.ui import preferences
from app.ui.common import MessagePanel, ask_save_path
from app.ui.models.fields_model import FieldsModel, check_fields


class SchemaFilesPanel(QWidget):
    """Import and Export buttons for a JSON schema, and a report of what the last one did.

    Imported fields are handed up (``imported``) for the page to show; export reads ``model``.
    """

    imported = Signal(list)  # the fields read from the schema

    def __init__(self, model: FieldsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)  # the page's own spacing: the row and report sit as if in its column
        # the label above the buttons: beside them, the row left the field editor too narrow to read
        column.addWidget(QLabel("For advanced users:"))
        buttons = QHBoxLayout()
        self.import_button = QPushButton("Import JSON schema…")
        self.import_button.setToolTip("Read fields from a JSON schema file (simple properties only).")
        self.import_button.clicked.connect(self.choose_import)
        self.export_button = QPushButton("Export JSON schema…")
        self.export_button.setToolTip("Save the fields as the JSON schema every answer must follow.")
        self.export_button.clicked.connect(self.choose_export)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.report = MessagePanel()
        self.report.setObjectName("importReport")
        column.addWidget(self.report)
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(self._count_changed)
        self._count_changed()

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
            self.report.show_messages("error", lines, "Nothing was imported")
            return False
        self.imported.emit(result.fields)
        kind = "warning" if result.skipped else "ok"
        self.report.show_messages(kind, [result.summary()])
        return True

    def choose_export(self) -> None:
        path = ask_save_path(self, "Export the JSON schema", "output-schema.json", [("JSON schema", ".json")])
        if path:
            self.export_schema(path)

    def export_schema(self, path: Path) -> bool:
        """Write the schema one row's answer follows (as sent with one row per request)."""
        problems = check_fields(self.model.fields())
        if problems:
            self.report.show_messages("error", problems, "Fix the fields before exporting")
            return False
        try:
            write_schema_file(path, self.model.fields())
        except BatchLabError as exc:
            self.report.show_messages("error", [exc.message, exc.hint])
            return False
        self.report.show_messages("ok", [f"Saved the JSON schema to {path}."])
        return True

    def _count_changed(self, *_args: object) -> None:
        self.export_button.setEnabled(self.model.rowCount() > 0)
