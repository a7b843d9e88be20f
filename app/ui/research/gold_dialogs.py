"""Gold labels from a file or from a column of the job's own data, with a column-to-field mapping.

Both dialogs read first and list every problem by row (unknown IDs, values outside a field's
choices …) before anything is saved; the person then imports the labels that are usable, knowing
exactly which were not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.data import SUPPORTED_SUFFIXES, load_table
from app.core.errors import BatchLabError
from app.core.research.gold import gold_from_columns, read_gold_file
from app.core.research.gold_store import GoldStore
from app.core.run.engine import Engine
from app.ui import preferences
from app.ui.common import MessagePanel, hint, plural, while_alive
from app.ui.models.table_model import DataFrameModel
from app.ui.research.job_data import JobData
from app.ui.tasks import Task

NOT_USED = "— not used —"


def matching_column(field: str, columns: list[str]) -> str | None:
    """The column named like the field (ignoring case, spaces and a gold_/human_ prefix), if any."""
    def plain(name: str) -> str:
        name = name.strip().lower().replace(" ", "_")
        for prefix in ("gold_", "human_", "gold.", "human."):
            name = name.removeprefix(prefix)
        return name

    return next((c for c in columns if plain(c) == field.lower()), None)


class _GoldDialog(QDialog):
    """Read labels with the chosen mapping, list the problems, then save the usable labels."""

    saved = Signal(str)  # job id

    def __init__(self, engine: Engine, data: JobData, coder: str, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(640, 520)
        self.engine, self.data = engine, data
        self.result_: Any = None
        self.combos: dict[str, QComboBox] = {}
        self.coder = QLineEdit(coder)
        self.coder.setObjectName("goldCoder")
        self.form = QFormLayout()
        self.panel = MessagePanel()
        self.problems = DataFrameModel(self)
        view = QTableView()
        view.setObjectName("goldProblems")
        view.setModel(self.problems)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().hide()
        view.horizontalHeader().setStretchLastSection(True)
        self.problems_view = view
        view.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.check_button = self.buttons.addButton("Check", QDialogButtonBox.ButtonRole.ActionRole)
        self.check_button.clicked.connect(self.check)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.panel)
        layout.addWidget(view, 1)
        layout.addWidget(self.buttons)

    def add_mapping(self, columns: list[str]) -> None:
        """One drop-down per field, preset to the column named like it."""
        for field in self.data.spec.fields:
            combo = self.combos.get(field.name)
            if combo is None:
                combo = self.combos[field.name] = QComboBox()
                combo.currentIndexChanged.connect(self._mapping_changed)
                self.form.addRow(f"{field.name}:", combo)
            combo.clear()
            combo.addItems([NOT_USED, *columns])
            combo.setCurrentText(matching_column(field.name, columns) or NOT_USED)

    def mapping(self) -> dict[str, str]:
        return {name: c.currentText() for name, c in self.combos.items() if c.currentIndex() > 0}

    def read(self) -> Any:
        """The GoldImport for the current choices (runs in the background)."""
        raise NotImplementedError

    def _mapping_changed(self) -> None:
        self.result_ = None
        self.import_button.setEnabled(False)

    def check(self) -> None:
        """Read the labels with the chosen mapping and show what would be imported."""
        if not self.mapping():
            self.panel.show_messages("error", ["Choose the column for at least one field."])
            return
        self.check_button.setEnabled(False)
        self.panel.show_messages("info", ["Reading the labels…"])
        task = Task(self, lambda _: self.read())
        task.on_done(while_alive(self, self._checked)).on_error(while_alive(self, self._failed))
        task.on_finished(while_alive(self, lambda: self.check_button.setEnabled(True)))
        task.on_finished(task.deleteLater).start()

    def _checked(self, result: Any) -> None:
        self.result_ = result
        usable = len(result.labels)
        problems = list(result.problems)
        kind = "ok" if not problems else ("warning" if usable else "error")
        lines = [f"{plural(usable, 'row')} with gold labels can be imported."]
        if problems:
            lines.append(f"{plural(len(problems), 'problem')}, listed by row below: those values are not imported.")
        self.panel.show_messages(kind, lines)
        frame = pd.DataFrame(
            [(str(p.row or ""), p.column or "", p.message) for p in problems], columns=["Row", "Column", "Problem"]
        )
        self.problems.set_frame(frame if problems else None)
        self.problems_view.setVisible(bool(problems))
        self.import_button.setEnabled(usable > 0)

    def save(self) -> None:
        """Store the checked labels under the coder name and close."""
        coder = self.coder.text().strip()
        if self.result_ is None or not coder:
            self.panel.show_messages("error", ["Give these labels a coder name (for example the file's author)."])
            return
        labels, job_id, source = self.result_.labels, self.data.job_id, self.source()
        self.import_button.setEnabled(False)

        def stored(_: Any) -> None:
            self.saved.emit(job_id)
            self.accept()

        task = Task(self, lambda _: GoldStore(self.engine.store).save_labels(job_id, coder, labels, source))
        task.on_done(while_alive(self, stored)).on_error(while_alive(self, self._failed))
        task.on_finished(task.deleteLater).start()

    def source(self) -> str:
        raise NotImplementedError

    def _failed(self, error: BatchLabError) -> None:
        self.panel.show_messages("error", [error.message, error.hint])


class GoldImportDialog(_GoldDialog):
    """Gold labels from a CSV/TSV/Excel file: choose the file, its ID column and a column per field."""

    def __init__(self, engine: Engine, data: JobData, coder: str, parent: QWidget | None = None) -> None:
        super().__init__(engine, data, coder, "Import gold labels", parent)
        self.path: Path | None = None
        self.file_label = QLabel("No file chosen.")
        choose = QPushButton("Choose file…")
        choose.clicked.connect(self.choose_file)
        row = QHBoxLayout()
        row.addWidget(self.file_label, 1)
        row.addWidget(choose)
        self.id_column = QComboBox()
        self.id_column.currentIndexChanged.connect(self._mapping_changed)
        self.form.addRow("File:", row)
        self.form.addRow("Coder name:", self.coder)
        self.form.addRow("ID column:", self.id_column)
        self.form.addRow(hint("Rows are matched to the job's rows by ID; fields by column name (change as needed)."))
        self.check_button.setEnabled(False)

    def choose_file(self) -> None:
        patterns = " ".join(f"*{suffix}" for suffix in SUPPORTED_SUFFIXES)
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Gold labels", preferences.DEFAULT_FOLDER.get(), f"Data files ({patterns})"
        )
        if chosen:
            self.load_file(Path(chosen))

    def load_file(self, path: Path) -> None:
        """Read the file's columns (in the background) and preset the mapping."""
        self.path = path
        self.file_label.setText(path.name)
        if not self.coder.text().strip():
            self.coder.setText(path.stem)
        task = Task(self, lambda _: load_table(path).columns)
        task.on_done(while_alive(self, self._columns)).on_error(while_alive(self, self._failed))
        task.on_finished(task.deleteLater).start()

    def _columns(self, columns: list[str]) -> None:
        self.id_column.clear()
        self.id_column.addItems(columns)
        wanted = self.data.spec.id_column
        self.id_column.setCurrentText(wanted if wanted in columns else columns[0])
        self.add_mapping(columns)
        self.check_button.setEnabled(True)
        self.check()

    def read(self) -> Any:
        return read_gold_file(
            self.path, self.data.spec, id_column=self.id_column.currentText(), mapping=self.mapping(),
            known_ids=set(self.data.ids),
        )

    def source(self) -> str:
        return f"file {self.path.name}" if self.path else "file"


class GoldColumnDialog(_GoldDialog):
    """Gold labels already in the job's data file: one column per field."""

    def __init__(self, engine: Engine, data: JobData, parent: QWidget | None = None) -> None:
        super().__init__(engine, data, "data column", "Gold labels from a data column", parent)
        self.form.addRow("Coder name:", self.coder)
        self.form.addRow(hint("Choose, for each field, the column of the job's data that holds its gold value."))
        self.add_mapping(data.columns)

    def read(self) -> Any:
        return gold_from_columns(self.data.table, self.data.spec, self.mapping())

    def source(self) -> str:
        return "data columns " + ", ".join(self.mapping().values())
