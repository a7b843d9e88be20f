"""Step 2 — Instructions: what the model should do, and what it sees of each row."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.build.starters import STARTERS, Starter, guess_text_column
from app.core.build.template import check_placeholders, parse_template, placeholders
from app.ui.common import MessagePanel, heading, hint, scroll_area, section_title

if TYPE_CHECKING:
    from app.core.data import Table

PREVIEW_CHARS = 20_000


def replace_text(editor: QPlainTextEdit, text: str) -> None:
    """Replace an editor's whole text as one step Ctrl+Z can undo."""
    cursor = editor.textCursor()
    cursor.beginEditBlock()
    cursor.select(QTextCursor.SelectionType.Document)
    cursor.insertText(text)
    cursor.endEditBlock()
    editor.setTextCursor(cursor)


class InstructionsPage(QWidget):
    """Editors for the instructions and the row template, column list, live preview of one row."""

    changed = Signal()
    template_changed = Signal(list)  # the column names the row template uses
    starter_applied = Signal(object)  # Starter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table: Table | None = None
        self._used: list[str] = []
        self._build()
        self._update()

    def _editor(
        self, layout: QVBoxLayout, title: str, explanation: str, name: str, placeholder: str, stretch: int
    ) -> QPlainTextEdit:
        """A titled, explained text editor that updates the page as the person types."""
        layout.addWidget(section_title(title))
        layout.addWidget(hint(explanation))
        editor = QPlainTextEdit()
        editor.setObjectName(name)
        editor.setPlaceholderText(placeholder)
        editor.textChanged.connect(self._update)
        layout.addWidget(editor, stretch)
        return editor

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(
            heading(
                "Instructions",
                "Tell the model what to do, and choose what it reads of each row. Write as you would brief "
                "a research assistant: the task, what each answer means, and how to treat unclear cases.",
            )
        )
        starter_row = QHBoxLayout()
        starter_row.addWidget(QLabel("Start from an example:"))
        self.starter_combo = QComboBox()
        for item in STARTERS:
            self.starter_combo.addItem(item.title, item.key)
            self.starter_combo.setItemData(self.starter_combo.count() - 1, item.summary, Qt.ItemDataRole.ToolTipRole)
        starter_row.addWidget(self.starter_combo)
        self.starter_button = QPushButton("Use this example")
        self.starter_button.setToolTip("Fills the instructions, the row template and the output fields.")
        self.starter_button.clicked.connect(lambda: self.apply_starter(STARTERS[self.starter_combo.currentIndex()]))
        starter_row.addWidget(self.starter_button)
        self.starter_note = QLabel()
        self.starter_note.setWordWrap(True)
        starter_row.addWidget(self.starter_note, 1)
        layout.addLayout(starter_row)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 6, 0)
        self.instructions_edit = self._editor(
            left_layout,
            "Instructions",
            "Sent once with every request, the same for all rows. Describe the task and each category. "
            "You do not need to explain the answer format: BatchLab takes care of that.",
            "instructions",
            "For example: You code customer reviews for a study of consumer satisfaction. Decide whether each "
            "review is positive, neutral or negative overall …",
            stretch=3,
        )
        self.template_edit = self._editor(
            left_layout,
            "Row template",
            "What the model reads for each row. A column name in braces, like {body}, is replaced by "
            "that row's value: click a column on the right to insert it at the cursor.",
            "rowTemplate",
            "For example:\nTitle: {title}\nReview: {body}",
            stretch=2,
        )
        self.template_panel = MessagePanel()
        self.template_panel.setObjectName("templateProblems")
        left_layout.addWidget(self.template_panel)
        splitter.addWidget(scroll_area(left))  # with a problem shown, taller than the smallest window

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 0, 0, 0)
        right_layout.addWidget(section_title("Columns"))
        right_layout.addWidget(hint("Click a name to insert it into the row template."))
        self.columns_list = QListWidget()
        self.columns_list.setObjectName("columns")
        self.columns_list.setStyleSheet(
            "QListWidget#columns::item { padding: 5px 8px; border-radius: 4px; }"
            " QListWidget#columns::item:hover { background: #e0ecff; color: #1d4ed8; }"
        )
        self.columns_list.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        self.columns_list.itemClicked.connect(self._column_clicked)
        self.columns_list.itemActivated.connect(self._column_clicked)
        right_layout.addWidget(self.columns_list, 2)
        # the row chooser on a line of its own: beside the title, it kept the instructions narrow
        right_layout.addWidget(section_title("What the model sees"))
        preview_row = QHBoxLayout()
        preview_row.addWidget(QLabel("Row"))
        self.row_spin = QSpinBox()
        self.row_spin.setRange(1, 1)
        self.row_spin.setToolTip("Choose a row of your data to see its text as the model will read it.")
        self.row_spin.valueChanged.connect(self._render_preview)
        preview_row.addWidget(self.row_spin)
        self.row_total = QLabel()
        preview_row.addWidget(self.row_total)
        preview_row.addStretch(1)
        right_layout.addLayout(preview_row)
        self.preview = QPlainTextEdit()
        self.preview.setObjectName("renderedRow")
        self.preview.setReadOnly(True)
        self.preview.setPlaceholderText("The row template filled in with a real row appears here.")
        right_layout.addWidget(self.preview, 3)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([640, 420])

    # ---- data ------------------------------------------------------------------------------
    def set_table(self, table: Table | None) -> None:
        """The loaded data: its columns become clickable and its rows can be previewed."""
        self.table = table
        self.columns_list.clear()
        if table is not None:
            for name in table.columns:
                item = QListWidgetItem(name)
                item.setData(Qt.ItemDataRole.UserRole, name)
                if placeholders("{" + name + "}") != [name]:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                    item.setToolTip(
                        "This column name has braces, quotes, line breaks or spaces at its ends, so it cannot be "
                        "used in a template. Rename the column in your file to use it."
                    )
                else:
                    item.setToolTip(f"Insert {{{name}}} at the cursor in the row template.")
                self.columns_list.addItem(item)
            rows = max(len(table), 1)
            self.row_spin.setRange(1, rows)
            self.row_total.setText(f"of {len(table):,}")
        else:
            self.row_spin.setRange(1, 1)
            self.row_total.setText("")
        self._update()

    def columns(self) -> list[str]:
        return self.table.columns if self.table is not None else []

    def _column_clicked(self, item: QListWidgetItem) -> None:
        if not item.flags() & Qt.ItemFlag.ItemIsEnabled:
            return
        self.insert_column(item.data(Qt.ItemDataRole.UserRole))

    def insert_column(self, name: str) -> None:
        """Insert ``{name}`` at the row template's cursor."""
        self.template_edit.insertPlainText("{" + name + "}")
        self.template_edit.setFocus()

    # ---- texts -----------------------------------------------------------------------------
    def instructions(self) -> str:
        return self.instructions_edit.toPlainText()

    def template(self) -> str:
        return self.template_edit.toPlainText()

    def set_texts(self, instructions: str, template: str) -> None:
        self.instructions_edit.setPlainText(instructions)
        self.template_edit.setPlainText(template)
        self.starter_note.clear()

    def used_columns(self) -> list[str]:
        """The names the row template writes in braces (whether or not the data has them)."""
        return placeholders(self.template())

    def apply_starter(self, item: Starter) -> None:
        """Fill instructions and template from a starter (Ctrl+Z in each editor brings the old text back)."""
        frame = self.table.frame if self.table is not None else None
        replace_text(self.instructions_edit, item.instructions)
        replace_text(self.template_edit, item.row_template(guess_text_column(frame)))
        self.starter_note.setText(
            f"Filled in from “{item.title}”: adapt the instructions to your study. Ctrl+Z in a box undoes."
        )
        self.starter_applied.emit(item)

    # ---- live checks and preview -----------------------------------------------------------
    def problems(self) -> list[str]:
        found = []
        if not self.instructions().strip():
            found.append("Write the instructions: tell the model what to do with each text.")
        template = self.template()
        if not template.strip():
            found.append("Write the row template: click a column name on the right to insert it.")
        elif self.table is not None:
            found += check_placeholders(template, self.table.columns)
            if not placeholders(template):
                found.append(
                    "The row template uses no column, so every row would send the same text. "
                    "Click a column name on the right to insert it."
                )
        return found

    def _update(self) -> None:
        used = self.used_columns()
        if used != self._used:
            self._used = used
            self.template_changed.emit(used)
        template = self.template()
        problems = []
        if template.strip() and self.table is not None:
            problems = check_placeholders(template, self.table.columns)
            if not placeholders(template):
                problems.append(
                    "The row template uses no column yet: click a column name on the right to insert it."
                )
        if problems:
            self.template_panel.show_messages("error", problems)
        else:
            self.template_panel.clear()
        self._render_preview()
        self.changed.emit()

    def _render_preview(self) -> None:
        table = self.table
        text = self.template()
        if table is None or not len(table):
            self.preview.setPlainText("")
            self.preview.setPlaceholderText("Load a data file to see a real row here.")
            return
        if not text.strip():
            self.preview.setPlainText("")
            self.preview.setPlaceholderText("Write the row template to see what the model reads for this row.")
            return
        position = self.row_spin.value() - 1
        parsed = parse_template(text, table.columns)
        values = [str(table.frame[c].iat[position]) for c in parsed.columns]
        rendered = parsed.render(values)
        if len(rendered) > PREVIEW_CHARS:
            rendered = rendered[:PREVIEW_CHARS] + f"\n… ({len(rendered) - PREVIEW_CHARS:,} more characters)"
        self.preview.setPlainText(rendered)
        self.row_total.setText(f"of {len(table):,}  (spreadsheet row {table.row_number(position)})")
