"""The export dialog: the format, where to save, whether to protect against formulas (explained), then
the export in the background with progress and Cancel, and what it changed in the file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatchLabError
from app.core.results.export import ExportSummary
from app.ui import preferences
from app.ui.common import MessagePanel, hint, while_alive
from app.ui.jobs_controller import JobsController
from app.ui.tasks import Task, is_cancellation

#: (format, label, file suffix, formulas neutralised by default)
FORMATS = (
    ("xlsx", "Excel workbook (.xlsx)", ".xlsx", True),
    ("csv-excel", "CSV for Excel (.csv)", ".csv", True),
    ("csv", "Plain CSV, UTF-8 (.csv)", ".csv", False),
)
_FORMULA_HELP = (
    "A spreadsheet runs a cell that starts with =, +, - or @ as a formula, which can be misused. With this on, "
    "such text cells get an apostrophe in front so they show as text; numbers are never changed. Leave it off "
    "for files read by other programs (R, Python, SPSS), where the apostrophe would be part of the text: "
    "a handle like @user or a text like -3 stays exactly as coded."
)


def locale_separator(locale: QLocale | None = None) -> str:
    """The list separator a spreadsheet expects in CSV here: ";" where the decimal mark is a comma."""
    return ";" if (locale or QLocale()).decimalPoint() == "," else ","


class ExportDialog(QDialog):
    """Choose how to export one job, then follow the export; the dialog stays responsive throughout."""

    def __init__(self, controller: JobsController, job_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._job_id = job_id
        self._task: Task | None = None
        self.summary: ExportSummary | None = None
        job = controller.job(job_id)
        self.setWindowTitle("Export coded rows")
        self.setMinimumWidth(560)
        name = job.name if job else "coded"
        safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in name).strip() or "coded"

        intro = QLabel(f"Save the rows of “{name}” with their coding, next to your data's columns.")
        intro.setWordWrap(True)
        self.format_group = QButtonGroup(self)
        formats = QVBoxLayout()
        for i, (_kind, label, _suffix, _neutral) in enumerate(FORMATS):
            button = QRadioButton(label)
            self.format_group.addButton(button, i)
            formats.addWidget(button)
        self.separator_note = hint("")
        formats.addWidget(self.separator_note)

        self.path_edit = QLineEdit(str(Path(preferences.DEFAULT_FOLDER.get()) / f"{safe}.xlsx"))
        self.path_edit.setObjectName("exportPath")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose_path)
        where = QHBoxLayout()
        where.addWidget(self.path_edit, 1)
        where.addWidget(choose)

        self.neutralise_check = QCheckBox("Protect against formulas (recommended for spreadsheets)")
        self.neutralise_check.setObjectName("neutraliseFormulas")
        formula_help = hint(_FORMULA_HELP)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.result_panel = MessagePanel()
        self.result_panel.setObjectName("exportResult")

        self.export_button = QPushButton("Export")
        self.export_button.setObjectName("primaryButton")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addLayout(formats)
        layout.addSpacing(4)
        layout.addWidget(QLabel("Save as:"))
        layout.addLayout(where)
        layout.addSpacing(4)
        layout.addWidget(self.neutralise_check)
        layout.addWidget(formula_help)
        layout.addWidget(self.progress)
        layout.addWidget(self.result_panel)
        layout.addLayout(buttons)

        self.format_group.idToggled.connect(self._format_toggled)
        self.format_group.button(0).setChecked(True)

    # ---- choices ---------------------------------------------------------------------------------
    def format(self) -> str:
        return FORMATS[self.format_group.checkedId()][0]

    def set_format(self, kind: str) -> None:
        """Choose a format; the formula option takes that format's default."""
        self.format_group.button([f[0] for f in FORMATS].index(kind)).setChecked(True)

    def path(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()

    def set_path(self, path: Path) -> None:
        self.path_edit.setText(str(path))

    def _format_toggled(self, index: int, checked: bool) -> None:
        if not checked:
            return
        kind, _label, suffix, neutralise = FORMATS[index]
        self.neutralise_check.setChecked(neutralise)
        if self.path_edit.text().strip():
            self.path_edit.setText(str(self.path().with_suffix(suffix)))
        separator = locale_separator()
        if kind == "csv-excel":
            words = "semicolons (;), as spreadsheets expect where the decimal mark is a comma" if separator == ";" \
                else "commas (,), as spreadsheets expect with this computer's number format"
            self.separator_note.setText(f"Columns are separated by {words}; accents are kept.")
        elif kind == "csv":
            self.separator_note.setText("Columns are separated by commas; the text is UTF-8, as most programs read it.")
        else:
            self.separator_note.setText("Numbers stay numbers; yes/no answers are written as yes and no.")

    def _choose_path(self) -> None:
        suffix = FORMATS[self.format_group.checkedId()][2]
        chosen, _ = QFileDialog.getSaveFileName(self, "Export coded rows", str(self.path()), f"*{suffix}")
        if chosen:
            path = Path(chosen)
            self.set_path(path if path.suffix.lower() == suffix else path.with_suffix(suffix))
            preferences.DEFAULT_FOLDER.set(str(path.parent))

    # ---- exporting -------------------------------------------------------------------------------
    def start(self) -> None:
        """Export in the background; progress and Cancel stay live, the result is shown here."""
        path = self.path()
        kind = self.format()
        self.summary = None
        self.result_panel.clear()
        self.progress.setValue(0)
        self.progress.show()
        self.export_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        options = {
            "csv_for_excel": kind == "csv-excel",
            "separator": locale_separator() if kind == "csv-excel" else None,
            "neutralise_formulas": self.neutralise_check.isChecked(),
        }
        self._task = self._controller.export(
            self._job_id,
            path,
            progress=while_alive(self, self._progressed),
            done=while_alive(self, self._done),
            failed=while_alive(self, self._failed),
            **options,
        )

    def is_exporting(self) -> bool:
        return self._task is not None and self._task.running

    def _progressed(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setValue(int(1000 * min(done, total) / total))

    def _done(self, summary: ExportSummary) -> None:
        self._task = None
        self.summary = summary
        self.progress.setValue(1000)
        self.export_button.setEnabled(True)
        self.export_button.setText("Export again")
        self.cancel_button.setText("Close")
        self.result_panel.show_messages("ok", [f"Saved {summary.rows:,} rows to {summary.path}.", *summary.notes])

    def _failed(self, error: BatchLabError) -> None:
        self._task = None
        self.progress.hide()
        self.export_button.setEnabled(True)
        self.cancel_button.setText("Close")
        if is_cancellation(error):
            self.result_panel.show_messages("info", ["Export stopped; no file was written."])
        else:
            self.result_panel.show_messages("error", [error.message] + ([error.hint] if error.hint else []))

    def _cancel_or_close(self) -> None:
        if self.is_exporting():
            assert self._task is not None
            self._task.cancel()
        else:
            self.reject()

    def reject(self) -> None:
        if self.is_exporting():
            assert self._task is not None
            self._task.cancel()
        super().reject()


def export_job(parent: QWidget, controller: JobsController, job_id: str) -> ExportDialog | None:
    """Open the export dialog for a job (window-modal: the rest of the app keeps running)."""
    if controller.job(job_id) is None:
        return None
    dialog = ExportDialog(controller, job_id, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.open()
    return dialog
