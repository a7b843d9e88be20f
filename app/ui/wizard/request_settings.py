"""The Model step's request settings: rows per request, row format, output budget, temperature and
reasoning effort, each with the hint that explains it."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox, QWidget

from app.core.build.models import ModelRules
from app.core.spec import AUTO, default_row_format
from app.ui.wizard.form_boxes import explained

#: The second rows-per-request choice: the number in the box beside it.
FIXED_ROWS = "fixed"
ROW_FORMAT_CHOICES = (
    ("compact", "Compact: [ID] before each text (fewer tokens)"),
    ("json", "JSON list of {id, text}"),
)
EFFORT_WORDS = {
    "none": "none (no reasoning)",
    "minimal": "minimal",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "extra high",
    "max": "maximum",
}


class RequestSettings(QObject):
    """The controls for how requests are built, as rows for the page's form.

    They share the page's form (rather than being a widget with a form of their own) so that all of
    the step's labels line up in one column.
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows_combo = QComboBox()
        self.rows_combo.setObjectName("rowsMode")
        self.rows_combo.addItem("Automatic (recommended)", AUTO)
        self.rows_combo.addItem("A set number:", FIXED_ROWS)
        self.rows_combo.currentIndexChanged.connect(self._rows_mode_changed)
        self.rows_spin = QSpinBox()
        self.rows_spin.setObjectName("rowsPerRequest")
        self.rows_spin.setRange(1, 100)
        self.rows_spin.valueChanged.connect(self._rows_changed)
        rows_box = explained(
            "How many rows go into one request. More rows per request is cheaper (the instructions "
            "are sent once for all of them), but one bad answer then affects more rows. Automatic "
            "puts in as many as bring the extra input per row down to about 25 tokens, within what "
            "the model can answer safely (at most 20); the Review step shows the number.",
            self.rows_combo, self.rows_spin,
        )
        self.format_combo = QComboBox()
        self.format_combo.setObjectName("rowFormat")
        for key, label in ROW_FORMAT_CHOICES:
            self.format_combo.addItem(label, key)
        self.format_combo.currentIndexChanged.connect(self.changed)
        self.format_box = explained(
            "How several rows are written into one request. Compact marks each row with its ID in "
            "square brackets and costs fewer tokens; the JSON list is BatchLab's older format. Either "
            "way every answer names its row's ID and is checked.",
            self.format_combo,
        )
        self.budget_spin = QSpinBox()
        self.budget_spin.setObjectName("outputBudget")
        self.budget_spin.setRange(0, 1_000_000)
        self.budget_spin.setSingleStep(256)
        self.budget_spin.setSpecialValueText("automatic")
        self.budget_spin.setSuffix(" tokens")
        self.budget_spin.setMinimumWidth(150)
        self.budget_spin.valueChanged.connect(self.changed)
        budget_box = explained(
            "The longest answer the model may write for one request. Leave it on “automatic”: "
            "BatchLab sizes it from your fields. Too low, and answers come back cut off.",
            self.budget_spin,
        )
        self.temperature_check = QCheckBox("Set a temperature:")
        self.temperature_check.setObjectName("useTemperature")
        self.temperature_spin = QDoubleSpinBox()
        self.temperature_spin.setObjectName("temperature")
        self.temperature_spin.setRange(0.0, 2.0)
        self.temperature_spin.setSingleStep(0.1)
        self.temperature_spin.setDecimals(1)
        self.temperature_spin.setEnabled(False)
        self.temperature_check.toggled.connect(self.temperature_spin.setEnabled)
        self.temperature_check.toggled.connect(self.changed)
        self.temperature_spin.valueChanged.connect(self.changed)
        temperature_box = explained(
            "Optional. Lower (e.g. 0) gives more consistent answers; leave it off to use the model's "
            "default. Models that do not take one run without it (the preview says why).",
            self.temperature_check, self.temperature_spin,
        )
        self.effort_combo = QComboBox()
        self.effort_combo.setObjectName("reasoningEffort")
        self.effort_combo.currentIndexChanged.connect(self.changed)
        effort_box = explained(
            "How long the model deliberates before answering. Coding a text rarely needs it, so BatchLab "
            "uses the lowest setting the model accepts. Higher settings add hidden reasoning, billed as "
            "output: the preview shows roughly how much it adds.",
            self.effort_combo,
        )
        self.form_rows: list[tuple[str, QWidget]] = [
            ("Rows per request:", rows_box),
            ("Row format:", self.format_box),
            ("Output budget:", budget_box),
            ("Temperature:", temperature_box),
            ("Reasoning effort:", effort_box),
        ]

    # ---- values ----------------------------------------------------------------------------
    def rows_per_request(self) -> int | str:
        """A whole number, or AUTO."""
        return AUTO if self.rows_combo.currentData() == AUTO else self.rows_spin.value()

    def row_format(self) -> str | None:
        """The chosen row format; None where it is the default for the rows-per-request choice (so a
        spec without one round-trips unchanged)."""
        chosen = self.format_combo.currentData()
        return None if chosen == default_row_format(self.rows_per_request()) else chosen

    def max_output_tokens(self) -> int | None:
        return self.budget_spin.value() or None

    def temperature(self) -> float | None:
        return round(self.temperature_spin.value(), 2) if self.temperature_check.isChecked() else None

    def reasoning_effort(self) -> str | None:
        """The chosen effort, or None for the lowest the model accepts."""
        return self.effort_combo.currentData() if self.effort_combo.isEnabled() else None

    def set_values(
        self,
        rows_per_request: int | str,
        row_format: str | None,
        max_output_tokens: int | None,
        temperature: float | None,
    ) -> None:
        automatic = rows_per_request == AUTO
        self.rows_combo.setCurrentIndex(self.rows_combo.findData(AUTO if automatic else FIXED_ROWS))
        self.rows_spin.setValue(5 if automatic else int(rows_per_request))
        chosen = row_format or default_row_format(rows_per_request)
        self.format_combo.setCurrentIndex(max(self.format_combo.findData(chosen), 0))
        self._show_rows_controls()
        self.budget_spin.setValue(max_output_tokens or 0)
        self.temperature_check.setChecked(temperature is not None)
        self.temperature_spin.setValue(temperature if temperature is not None else 0.0)

    def offer_efforts(self, rules: ModelRules, effort: str | None) -> None:
        """Offer the efforts the model accepts; keep ``effort`` chosen if it is one of them."""
        self.effort_combo.blockSignals(True)
        self.effort_combo.clear()
        if rules.efforts:
            lowest = EFFORT_WORDS.get(rules.default_effort or "", rules.default_effort)
            self.effort_combo.addItem(f"Lowest the model accepts ({lowest}) — recommended", None)
            for level in rules.efforts:
                self.effort_combo.addItem(EFFORT_WORDS.get(level, level), level)
            self.effort_combo.setCurrentIndex(max(self.effort_combo.findData(effort), 0))
        else:
            self.effort_combo.addItem("Not adjustable for this model", None)
        self.effort_combo.setEnabled(bool(rules.efforts))
        self.effort_combo.blockSignals(False)

    # ---- reactions -------------------------------------------------------------------------
    def _rows_mode_changed(self, *_args: object) -> None:
        """A row format left at the previous choice's default follows the new choice's default."""
        rows = self.rows_per_request()
        previous = AUTO if rows != AUTO else self.rows_spin.value()
        if self.format_combo.currentData() == default_row_format(previous):
            self.format_combo.setCurrentIndex(self.format_combo.findData(default_row_format(rows)))
        self._rows_changed()

    def _rows_changed(self, *_args: object) -> None:
        self._show_rows_controls()
        self.changed.emit()

    def _show_rows_controls(self) -> None:
        """The number only for a set number; the row format only where several rows share a request."""
        rows = self.rows_per_request()
        self.rows_spin.setVisible(rows != AUTO)
        self.format_box.setEnabled(rows == AUTO or rows > 1)
