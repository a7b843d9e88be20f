"""Step 1 — Data: open a CSV/TSV/Excel file, see it, choose the ID column, see its problems.

This page is on screen when the window opens, so it imports the data readers (and pandas with
them) only once a file is chosen.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatchLabError
from app.ui.common import MessagePanel, ProgressRow, heading, plural, scrolling_page
from app.ui.tasks import is_cancellation
from app.ui.wizard.data_check import DataCheck
from app.ui.wizard.data_findings import DataFindings
from app.ui.wizard.data_load import TableLoad
from app.ui.wizard.data_preview import DataPreview
from app.ui.wizard.file_row import FileRow
from app.ui.wizard.id_column import IdColumnChooser
from app.ui.wizard.read_as import ReadAsControls

if TYPE_CHECKING:
    from app.core.data import DataIssue, LoadOptions, Table

_DELIMITERS = {",": "comma-separated", ";": "semicolon-separated", "\t": "tab-separated", "|": "separated by |"}
_UNSET: Any = object()


def file_facts(table: Table) -> str:
    """“40 rows · 4 columns · UTF-8 · comma-separated” (or the sheet for workbooks)."""
    from app.core.data import encoding_label

    parts = [plural(len(table), "row"), plural(len(table.columns), "column")]
    if table.sheet is not None:
        parts.append(f"sheet “{table.sheet}”")
    if table.encoding:
        label = encoding_label(table.encoding)
        parts.append(f"{label} (guessed)" if table.encoding_guessed else label)
    if table.delimiter:
        parts.append(_DELIMITERS.get(table.delimiter, f"separated by “{table.delimiter}”"))
    if table.layout.header_row != 1:
        parts.append(f"column names in row {table.layout.header_row}")
    return " · ".join(parts)


class DataPage(QWidget):
    """Load the data in the background, preview it, choose the ID column and show its problems."""

    changed = Signal()
    table_loaded = Signal(object)  # Table
    sample_requested = Signal()  # the person clicked "open the sample project"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table: Table | None = None
        self.path: Path | None = None
        self._template_columns: list[str] = []
        self._pending_id: Any = _UNSET
        self._loading_sheet: str | None = None
        self._options: LoadOptions | None = None
        self._build()
        self.loader = TableLoad(self)
        self.loader.progressed.connect(self.load_row.advance)
        self.loader.loaded.connect(self._loaded)
        self.loader.failed.connect(self._load_failed)
        self.check = DataCheck(self)
        self.check.done.connect(self._checked)
        self._show_state()

    @property
    def options(self) -> LoadOptions:
        """What the person chose instead of what was detected (only the settings they changed)."""
        if self._options is None:
            from app.core.data import LoadOptions

            self._options = LoadOptions()
        return self._options

    @options.setter
    def options(self, options: LoadOptions) -> None:
        self._options = options

    # ---- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        # a file with a title row and a few problems needs more height than the smallest window has
        content = QWidget()
        scrolling_page(self, content)
        layout = QVBoxLayout(content)
        layout.setSpacing(8)
        layout.addWidget(
            heading(
                "Your data",
                "Choose the spreadsheet that holds your texts: CSV, TSV or Excel, one row per text. "
                "You can also drag the file onto this window. Nothing is sent anywhere at this step.",
            )
        )

        self.file_row = FileRow()
        self.file_row.file_chosen.connect(self.load_file)
        self.file_row.sheet_chosen.connect(self._sheet_chosen)
        layout.addWidget(self.file_row)

        self.load_row = ProgressRow()
        self.load_row.cancelled.connect(self.cancel_loading)
        layout.addWidget(self.load_row)

        self.error_panel = MessagePanel()
        self.error_panel.setObjectName("loadError")
        layout.addWidget(self.error_panel)

        self.details = QWidget()
        form = QFormLayout(self.details)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.facts_label = QLabel()
        self.facts_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts_label.setWordWrap(True)  # a long list of facts wraps at the smallest window size
        form.addRow("File:", self.facts_label)
        self.read_as = ReadAsControls()
        self.read_as.chosen.connect(lambda changes: self.choose_layout(**changes))
        form.addRow("Read as:", self.read_as)
        self.id_chooser = IdColumnChooser()
        self.id_chooser.changed.connect(self._id_changed)
        form.addRow("ID column:", self.id_chooser)
        self.used_label = QLabel()
        self.used_label.setWordWrap(True)
        form.addRow("Texts sent:", self.used_label)
        layout.addWidget(self.details)

        self.issues_panel = DataFindings()
        self.issues_panel.setObjectName("dataIssues")
        layout.addWidget(self.issues_panel)

        self.preview = DataPreview()
        self.preview.sample_requested.connect(self.sample_requested)
        self.model, self.view, self.drop_zone = self.preview.model, self.preview.view, self.preview.drop_zone
        layout.addWidget(self.preview, 1)

    def choose_layout(self, **changes: object) -> None:
        """Read the file again with these settings instead of the detected ones (header_row, encoding …)."""
        if self.path is None:
            return
        self.options = replace(self.options, **changes)  # type: ignore[arg-type]
        self.load_file(self.path, self.options.sheet, self.id_column(), self.options)

    # ---- loading ---------------------------------------------------------------------------
    def load_file(
        self, path: Path, sheet: str | None = None, id_column: Any = _UNSET, options: LoadOptions | None = None
    ) -> None:
        """Read ``path`` in the background; ``id_column`` (a name or None) is chosen once it is loaded.
        ``options`` are the person's own choices of how to read it (a new file starts from none)."""
        self.read_as.stop_pending()
        if options is None and (self.path is None or Path(path).expanduser().absolute() != self.path):
            from app.core.data import LoadOptions

            options = LoadOptions()
        self.options = replace(options or self.options, sheet=sheet)
        self.path = Path(path).expanduser().absolute()
        self._pending_id = id_column
        self._loading_sheet = sheet
        self.error_panel.clear()
        self.file_row.show_path(self.path)
        self.load_row.start(f"Reading {self.path.name}…")
        self.loader.start(self.path, self.options)
        self.changed.emit()

    def cancel_loading(self, quiet: bool = False) -> None:
        """Stop a load in progress; the table shown before (if any) stays."""
        if self.loader.cancel() and not quiet:
            self.load_row.hide()
            self.path = self.table.path if self.table is not None else None
            self.file_row.show_path(self.path)
            self.error_panel.show_messages("info", ["Loading stopped."])
            self.changed.emit()

    def is_loading(self) -> bool:
        return self.loader.is_running()

    def _loaded(self, table: Table, sheets: list[str], id_guess: str | None) -> None:
        self.load_row.hide()
        self.set_table(table, sheets, id_guess)

    def _load_failed(self, error: BatchLabError) -> None:
        self.load_row.hide()
        if is_cancellation(error):
            self.error_panel.show_messages("info", ["Loading stopped."])
        else:
            failed = self.path.name if self.path else "The file"
            lines = [error.message] + ([error.hint] if error.hint else [])
            if self.table is not None:
                lines.append(f"The data shown below is still {self.table.path.name}.")
            self.error_panel.show_messages("error", lines, f"{failed} could not be used")
        self.path = self.table.path if self.table is not None else None
        self.file_row.show_path(self.path)
        self.changed.emit()

    def set_table(self, table: Table, sheets: list[str] | None = None, id_guess: Any = _UNSET) -> None:
        """Show an already loaded table (the wizard and tests use this too); ``id_guess`` is
        :func:`find_id_column`'s answer when the loading task already gave it."""
        from app.core.data import find_id_column

        self.table = table
        self.path = table.path
        self.file_row.show_path(self.path)
        self.file_row.show_sheets(sheets or [], table.sheet)
        self.facts_label.setText(file_facts(table))
        self.read_as.show_table(table)
        self.preview.show_table(table)
        explicit = self._pending_id is not _UNSET
        wanted = self._pending_id if explicit else find_id_column(table) if id_guess is _UNSET else id_guess
        self._pending_id = _UNSET
        self.id_chooser.show_columns(table.columns, wanted if wanted in table.columns else None)
        self.check.ask(table, self.id_column(), self._template_columns)
        self._show_state()
        self._update_used()
        self.table_loaded.emit(table)
        self.changed.emit()

    def _sheet_chosen(self, sheet: str) -> None:
        if self.path is not None and sheet and (self.table is None or sheet != self.table.sheet):
            # another sheet has its own header row
            self.load_file(self.path, sheet, self.id_column(), replace(self.options, header_row=None))

    def clear(self) -> None:
        self.cancel_loading(quiet=True)
        self.check.forget()
        self.table, self.path = None, None
        self._pending_id = _UNSET
        self.preview.show_table(None)
        self.id_chooser.clear()
        self.file_row.show_sheets([], None)
        self.error_panel.clear()
        self.load_row.hide()
        self.file_row.show_path(self.path)
        self._show_state()
        self.changed.emit()

    # ---- ID column and checks --------------------------------------------------------------
    def id_column(self) -> str | None:
        """The chosen ID column, or None for row numbers."""
        return self.id_chooser.column()

    def chosen(self) -> tuple[Path | None, str | None, str | None]:
        """(file, sheet, ID column) as chosen, also while the file is still loading (drafts keep these)."""
        if self.is_loading():
            pending = None if self._pending_id is _UNSET else self._pending_id
            return self.path, self._loading_sheet, pending
        if self.table is None:
            return None, None, None
        return self.table.path, self.table.sheet, self.id_column()

    def set_id_column(self, name: str | None) -> None:
        if self.table is None or self.is_loading():
            self._pending_id = name
            return
        self.id_chooser.choose(name)

    def set_template_columns(self, columns: list[str]) -> None:
        """The columns the row template uses: highlighted, and checked for blank texts."""
        if columns == self._template_columns:
            return
        self._template_columns = list(columns)
        self.model.set_highlighted_columns(columns)
        self._update_used()
        if self.table is not None:
            self._start_check()

    def _id_changed(self) -> None:
        if self.table is not None:
            self._start_check()

    def _update_used(self) -> None:
        used = [c for c in self._template_columns if self.table is None or c in self.table.columns]
        if used:
            names = ", ".join(f"<b>{c}</b>" for c in used)
            self.used_label.setText(f"The row template uses {names} (marked ● in the table below).")
        else:
            self.used_label.setText(
                "Chosen in the next step: the row template says which columns hold the texts to code."
            )

    def _start_check(self) -> None:
        """Check the table again for the columns now chosen."""
        assert self.table is not None
        self.check.ask(self.table, self.id_column(), self._template_columns)
        self._show_state()
        self.changed.emit()

    def _checked(self) -> None:
        self._show_state()
        self.changed.emit()

    def issues(self) -> list[DataIssue] | None:
        """The problems found in the data (None while the check runs or no file is loaded)."""
        return self.check.issues

    def is_checking(self) -> bool:
        return self.table is not None and self.check.issues is None

    def _show_state(self) -> None:
        loaded = self.table is not None
        self.details.setVisible(loaded)
        self.preview.show_drop_zone(not loaded)
        if not loaded:
            self.load_row.setVisible(self.is_loading())
            self.issues_panel.clear()
            return
        issues = self.check.issues
        if issues is None:
            self.issues_panel.show_checking()
        else:
            assert self.table is not None
            self.issues_panel.show_findings(issues, self.table.layout.reasons, bool(self._template_columns))

    # ---- completeness ----------------------------------------------------------------------
    def problems(self) -> list[str]:
        if self.is_loading():
            return ["The file is still loading."]
        if self.table is None:
            return ["Open a data file first (or drag one onto this window)."]
        if (issues := self.check.issues) is None:
            return ["Checking the data…"]
        return [i.message for i in issues if i.blocking]

    def cancel_work(self) -> None:
        """Stop loading (the previous table stays); a running check is quick and finishes by itself."""
        self.cancel_loading()
