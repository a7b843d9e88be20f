"""Step 4 — Provider and model: where the texts go, which model codes them, and a few settings."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatchLabError
from app.core.spec import AUTO, default_row_format
from app.core.keys import KeyStore
from app.core.build.models import FORCED_TOOL, JSON_OUTPUTS, ModelRules, can_code, rules_for
from app.core.build.pricing import batch_price, default_models, describe_missing_price
from app.core.run.providers import LABELS, key_account, list_models
from app.ui import preferences
from app.ui.common import heading, hint, settings, while_alive
from app.ui.tasks import Task

PROVIDER_CHOICES = (
    ("openai", "OpenAI"),
    ("anthropic", "Anthropic"),
    ("compatible", "OpenAI-compatible server"),
    ("demo", "Demo (offline, free, made-up answers)"),
)
PROVIDER_HELP = {
    "openai": "OpenAI's Batch API: half the normal price; results within 24 hours, usually much sooner.",
    "anthropic": "Anthropic's Message Batches: half the normal price; results within 24 hours, usually much sooner.",
    "compatible": "A server that offers OpenAI's Batch API under its own address, such as a university's "
    "own service. Ask its administrators for the address and a key.",
    "demo": "A stand-in that runs on this computer and invents plausible answers. Free, needs no key, "
    "nothing leaves your computer: use it to learn BatchLab. Its answers mean nothing.",
}
#: The Model step's second rows-per-request choice: the number in the box beside it.
FIXED_ROWS = "fixed"
ROW_FORMAT_CHOICES = (
    ("compact", "Compact: [ID] before each text (fewer tokens)"),
    ("json", "JSON list of {id, text}"),
)
ENDPOINT_CHOICES = (
    ("chat", "Chat Completions (works with every OpenAI model)"),
    ("responses", "Responses (OpenAI's newer interface)"),
)
_KEY_SOURCES = {
    "keyring": "saved in the system keyring",
    "this session only": "typed in this session only; forgotten when BatchLab closes",
}


EFFORT_WORDS = {
    "none": "none (no reasoning)",
    "minimal": "minimal",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "extra high",
    "max": "maximum",
}


def model_notes(provider: str, model: str, rules: ModelRules) -> str:
    """What BatchLab does differently for this model, in plain words (empty when nothing is special)."""
    if provider == "demo" or not model:
        return ""
    notes = [rules.unknown_note] if rules.unknown_note else []
    if rules.structured == JSON_OUTPUTS:
        notes.append("Answers come back as checked JSON (Anthropic's JSON outputs).")
    elif rules.structured == FORCED_TOOL:
        notes.append("Answers come back through a forced tool call (this older model has no JSON outputs).")
    if rules.api_drops_sampling or not rules.sampling:
        if rules.sampling_at_effort:
            notes.append(f'A temperature is only sent at reasoning effort "{rules.sampling_at_effort}".')
        else:
            notes.append("This model runs at its default temperature; a temperature you set is left out.")
    return " ".join(notes)


def provider_label(provider: str) -> str:
    return LABELS.get(provider, provider)


def format_price(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.1 or value == 0 else f"${value:,.3f}"


class ModelPage(QWidget):
    """Provider, model, key status and the request settings, each with a plain explanation."""

    changed = Signal()

    def __init__(self, keys: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keys = keys
        self._refresh_task: Task | None = None
        self._refresh_generation = 0
        self._price_timer = QTimer(self)
        self._price_timer.setSingleShot(True)
        self._price_timer.setInterval(250)
        self._price_timer.timeout.connect(self._update_price)
        self._build()
        self.reset()

    # ---- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll)
        content = QWidget()
        scroll.setWidget(content)
        layout = QVBoxLayout(content)
        layout.setSpacing(8)
        layout.addWidget(
            heading(
                "Provider and model",
                "Choose who codes your texts and with which model. Batches cost half the normal price and "
                "come back within 24 hours. Start with a small, cheap model and try it on 5 rows.",
            )
        )
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setVerticalSpacing(10)
        layout.addLayout(form)

        self.provider_combo = QComboBox()
        self.provider_combo.setObjectName("provider")
        for key, label in PROVIDER_CHOICES:
            self.provider_combo.addItem(label, key)
        self.provider_combo.currentIndexChanged.connect(self._provider_changed)
        self.provider_hint = hint("")
        form.addRow("Provider:", self._stack(self._left(self.provider_combo), self.provider_hint))

        self.base_url_edit = QLineEdit()
        self.base_url_edit.setObjectName("baseUrl")
        self.base_url_edit.setPlaceholderText("https://llm.example.org/v1")
        self.base_url_edit.textChanged.connect(self._base_url_changed)
        self.base_url_box = self._stack(
            self.base_url_edit, hint("The server's address, usually ending in /v1. Its key is set in Settings.")
        )
        form.addRow("Server address:", self.base_url_box)
        self.form = form

        self.model_combo = QComboBox()
        self.model_combo.setObjectName("model")
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model_combo.setMinimumContentsLength(28)
        self.model_combo.currentTextChanged.connect(self._model_changed)
        self.refresh_button = QPushButton("Refresh from provider")
        self.refresh_button.setToolTip("Ask the provider which models your account can use.")
        self.refresh_button.clicked.connect(self.refresh_models)
        model_row = QWidget()
        row = QHBoxLayout(model_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.model_combo, 1)
        row.addWidget(self.refresh_button)
        self.models_note = hint("")
        self.models_note.hide()
        self.price_label = hint("")
        self.rules_label = hint("")
        self.rules_label.setObjectName("modelRules")
        form.addRow("Model:", self._stack(model_row, self.price_label, self.rules_label, self.models_note))

        self.key_label = QLabel()
        self.key_label.setObjectName("keyStatus")
        self.key_label.setWordWrap(True)
        self.key_label.setTextFormat(Qt.TextFormat.RichText)
        form.addRow("API key:", self.key_label)

        self.rows_combo = QComboBox()
        self.rows_combo.setObjectName("rowsMode")
        self.rows_combo.addItem("Automatic (recommended)", AUTO)
        self.rows_combo.addItem("A set number:", FIXED_ROWS)
        self.rows_combo.currentIndexChanged.connect(self._rows_mode_changed)
        self.rows_spin = QSpinBox()
        self.rows_spin.setObjectName("rowsPerRequest")
        self.rows_spin.setRange(1, 100)
        self.rows_spin.valueChanged.connect(self._rows_changed)
        rows_row = QWidget()
        rows_layout = QHBoxLayout(rows_row)
        rows_layout.setContentsMargins(0, 0, 0, 0)
        rows_layout.addWidget(self.rows_combo)
        rows_layout.addWidget(self.rows_spin)
        rows_layout.addStretch(1)
        form.addRow(
            "Rows per request:",
            self._stack(
                rows_row,
                hint(
                    "How many rows go into one request. More rows per request is cheaper (the instructions "
                    "are sent once for all of them), but one bad answer then affects more rows. Automatic "
                    "puts in as many as bring the extra input per row down to about 25 tokens, within what "
                    "the model can answer safely (at most 20); the Review step shows the number."
                ),
            ),
        )
        self.format_combo = QComboBox()
        self.format_combo.setObjectName("rowFormat")
        for key, label in ROW_FORMAT_CHOICES:
            self.format_combo.addItem(label, key)
        self.format_combo.currentIndexChanged.connect(self._emit_changed)
        self.format_box = self._stack(
            self._left(self.format_combo),
            hint(
                "How several rows are written into one request. Compact marks each row with its ID in "
                "square brackets and costs fewer tokens; the JSON list is BatchLab's older format. Either "
                "way every answer names its row's ID and is checked."
            ),
        )
        form.addRow("Row format:", self.format_box)
        self.budget_spin = QSpinBox()
        self.budget_spin.setObjectName("outputBudget")
        self.budget_spin.setRange(0, 1_000_000)
        self.budget_spin.setSingleStep(256)
        self.budget_spin.setSpecialValueText("automatic")
        self.budget_spin.setSuffix(" tokens")
        self.budget_spin.setMinimumWidth(150)
        self.budget_spin.valueChanged.connect(self._emit_changed)
        form.addRow(
            "Output budget:",
            self._stack(
                self._left(self.budget_spin),
                hint(
                    "The longest answer the model may write for one request. Leave it on “automatic”: "
                    "BatchLab sizes it from your fields. Too low, and answers come back cut off."
                ),
            ),
        )
        temperature = QWidget()
        temp_row = QHBoxLayout(temperature)
        temp_row.setContentsMargins(0, 0, 0, 0)
        self.temperature_check = QCheckBox("Set a temperature:")
        self.temperature_check.setObjectName("useTemperature")
        self.temperature_spin = QDoubleSpinBox()
        self.temperature_spin.setObjectName("temperature")
        self.temperature_spin.setRange(0.0, 2.0)
        self.temperature_spin.setSingleStep(0.1)
        self.temperature_spin.setDecimals(1)
        self.temperature_spin.setEnabled(False)
        self.temperature_check.toggled.connect(self.temperature_spin.setEnabled)
        self.temperature_check.toggled.connect(self._emit_changed)
        self.temperature_spin.valueChanged.connect(self._emit_changed)
        temp_row.addWidget(self.temperature_check)
        temp_row.addWidget(self.temperature_spin)
        temp_row.addStretch(1)
        form.addRow(
            "Temperature:",
            self._stack(
                temperature,
                hint(
                    "Optional. Lower (e.g. 0) gives more consistent answers; leave it off to use the model's "
                    "default. Models that do not take one run without it (the preview says why)."
                ),
            ),
        )
        self.effort_combo = QComboBox()
        self.effort_combo.setObjectName("reasoningEffort")
        self.effort_combo.currentIndexChanged.connect(self._emit_changed)
        self.effort_hint = hint(
            "How long the model deliberates before answering. Coding a text rarely needs it, so BatchLab "
            "uses the lowest setting the model accepts. Higher settings add hidden reasoning, billed as "
            "output: the preview shows roughly how much it adds."
        )
        self.effort_box = self._stack(self._left(self.effort_combo), self.effort_hint)
        form.addRow("Reasoning effort:", self.effort_box)

        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setText("Advanced settings")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced_toggle.toggled.connect(self._toggle_advanced)
        layout.addWidget(self.advanced_toggle)
        self.advanced_group = QGroupBox()
        advanced_form = QFormLayout(self.advanced_group)
        advanced_form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.endpoint_combo = QComboBox()
        self.endpoint_combo.setObjectName("endpoint")
        for key, label in ENDPOINT_CHOICES:
            self.endpoint_combo.addItem(label, key)
        self.endpoint_combo.currentIndexChanged.connect(self._emit_changed)
        self.endpoint_hint = hint(
            "Which OpenAI interface the batch uses. Both give the same answers; keep Chat Completions "
            "unless you have a reason to change it."
        )
        advanced_form.addRow("OpenAI endpoint:", self._stack(self._left(self.endpoint_combo), self.endpoint_hint))
        self.advanced_group.setVisible(False)
        layout.addWidget(self.advanced_group)
        layout.addStretch(1)

    @staticmethod
    def _stack(*widgets: QWidget) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        for widget in widgets:
            column.addWidget(widget)
        return box

    @staticmethod
    def _left(widget: QWidget) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(widget)
        row.addStretch(1)
        return box

    def _toggle_advanced(self, shown: bool) -> None:
        self.advanced_group.setVisible(shown)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    # ---- values ----------------------------------------------------------------------------
    def provider(self) -> str:
        return self.provider_combo.currentData()

    def model(self) -> str:
        return self.model_combo.currentText().strip()

    def base_url(self) -> str | None:
        if self.provider() != "compatible":
            return None
        return self.base_url_edit.text().strip() or None

    def endpoint(self) -> str:
        return self.endpoint_combo.currentData() if self.provider() == "openai" else "chat"

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
        provider: str,
        model: str,
        *,
        base_url: str | None = None,
        endpoint: str = "chat",
        rows_per_request: int | str = AUTO,
        row_format: str | None = None,
        max_output_tokens: int | None = None,
        temperature: float | None = None,
        reasoning_effort: str | None = None,
    ) -> None:
        """Fill every control (from a spec being duplicated, or the remembered choice)."""
        self.set_provider(provider)
        self.base_url_edit.setText(base_url or "")
        self.model_combo.setCurrentText(model)
        self.endpoint_combo.setCurrentIndex(max(self.endpoint_combo.findData(endpoint), 0))
        if endpoint != "chat":
            self.advanced_toggle.setChecked(True)
        automatic = rows_per_request == AUTO
        self.rows_combo.setCurrentIndex(self.rows_combo.findData(AUTO if automatic else FIXED_ROWS))
        self.rows_spin.setValue(5 if automatic else int(rows_per_request))
        chosen = row_format or default_row_format(rows_per_request)
        self.format_combo.setCurrentIndex(max(self.format_combo.findData(chosen), 0))
        self._show_rows_controls()
        self.budget_spin.setValue(max_output_tokens or 0)
        self.temperature_check.setChecked(temperature is not None)
        self.temperature_spin.setValue(temperature if temperature is not None else 0.0)
        self._update_price()
        self._set_effort(reasoning_effort)

    def set_provider(self, provider: str) -> None:
        index = self.provider_combo.findData(provider)
        if index >= 0:
            self.provider_combo.setCurrentIndex(index)

    def reset(self) -> None:
        """The remembered provider and model (Demo for a first run), default settings."""
        store = settings()
        provider = str(store.value("wizard/provider", "demo"))
        if self.provider_combo.findData(provider) < 0:
            provider = "demo"
        models = default_models(provider)
        model = str(store.value(f"wizard/model/{provider}", models[0] if models else ""))
        self._note("")
        self.set_values(provider, model)
        self.advanced_toggle.setChecked(False)
        self._provider_changed()
        self.model_combo.setCurrentText(model)

    def remember(self) -> None:
        """Keep the provider and model as the next job's default."""
        store = settings()
        store.setValue("wizard/provider", self.provider())
        store.setValue(f"wizard/model/{self.provider()}", self.model())

    # ---- reactions -------------------------------------------------------------------------
    def _provider_changed(self, *_args: object) -> None:
        provider = self.provider()
        self._refresh_generation += 1  # a refresh for the previous provider no longer matters
        self.refresh_button.setEnabled(provider != "demo")
        self.provider_hint.setText(PROVIDER_HELP.get(provider, ""))
        self.form.setRowVisible(self.base_url_box, provider == "compatible")
        if provider == "compatible" and not self.base_url_edit.text().strip():
            self.base_url_edit.setText(preferences.COMPATIBLE_URL.get())  # the server set up in Settings
        # the advanced settings hold only OpenAI's endpoint choice: other providers have nothing to show
        self.advanced_toggle.setVisible(provider == "openai")
        self.advanced_group.setVisible(provider == "openai" and self.advanced_toggle.isChecked())
        current = self.model()
        models = default_models(provider)
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.addItems(models)
        remembered = str(settings().value(f"wizard/model/{provider}", ""))
        keep = current if current in models else (remembered or (models[0] if models else ""))
        self.model_combo.setCurrentText(keep)
        self.model_combo.blockSignals(False)
        self.model_combo.lineEdit().setPlaceholderText(
            "the model's name as the server calls it" if provider == "compatible" else "model name"
        )
        self._note("")
        self.refresh_key_status()
        self._update_price()
        self.changed.emit()

    def _note(self, text: str) -> None:
        self.models_note.setText(text)
        self.models_note.setVisible(bool(text))

    def _base_url_changed(self, _text: str) -> None:
        self.refresh_key_status()
        self.changed.emit()

    def _model_changed(self, _text: str) -> None:
        self._price_timer.start()
        self.changed.emit()

    def _emit_changed(self, *_args: object) -> None:
        self.changed.emit()

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

    def _set_effort(self, effort: str | None) -> None:
        """Offer the efforts the model accepts; keep ``effort`` chosen if it is one of them."""
        rules = rules_for(self.provider(), self.model())
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
        self.rules_label.setText(model_notes(self.provider(), self.model(), rules))
        self.rules_label.setVisible(bool(self.rules_label.text()))

    def _update_price(self) -> None:
        self._set_effort(self.effort_combo.currentData())
        provider, model = self.provider(), self.model()
        if not model:
            self.price_label.setText("Type or choose a model name.")
            return
        if provider == "demo":
            self.price_label.setText("The demo charges nothing.")
            return
        price = batch_price(provider, model)
        if price is None:
            self.price_label.setText(describe_missing_price(provider, model))
        else:
            self.price_label.setText(
                f"Batch price: {format_price(price.input_per_mtok)} per million input tokens, "
                f"{format_price(price.output_per_mtok)} per million output tokens ({price.source})."
            )

    def refresh_key_status(self) -> None:
        """Say whether a key is set for the chosen provider, and where it comes from."""
        provider = self.provider()
        if provider == "demo":
            self.key_label.setText("✓ The demo needs no key.")
            return
        if provider == "compatible" and not self.base_url():
            self.key_label.setText("Enter the server address first; its key is set in Settings → API keys.")
            return
        account = key_account(provider, self.base_url())
        source = self.keys.source(account) if account else None
        label = provider_label(provider)
        if source is None:
            self.key_label.setText(
                f"<span style='color:#b3261e'>✗ No key is set for {label}.</span> "
                "Add it in <b>Settings → API keys</b> before trying rows or submitting."
            )
        else:
            where = _KEY_SOURCES.get(source, source)
            self.key_label.setText(f"<span style='color:#2e7d32'>✓ A key is set for {label}</span> ({where}).")

    def has_key(self) -> bool:
        account = key_account(self.provider(), self.base_url())
        return account is None or self.keys.source(account) is not None

    def showEvent(self, event: object) -> None:  # keys may have changed in Settings meanwhile
        self.refresh_key_status()
        super().showEvent(event)  # type: ignore[arg-type]

    # ---- model list ------------------------------------------------------------------------
    def refresh_models(self) -> None:
        """Ask the provider for its models in the background; keep the built-in list if that fails."""
        provider, base_url, keys = self.provider(), self.base_url(), self.keys
        if provider == "demo":
            return
        self._refresh_generation += 1
        generation = self._refresh_generation
        self.refresh_button.setEnabled(False)
        self._note(f"Asking {provider_label(provider)} for the models your account can use…")
        self._refresh_task = (
            Task(self, lambda _context: list_models(provider, keys, base_url))
            .on_done(while_alive(self, lambda models: self._models_arrived(generation, provider, models)))
            .on_error(while_alive(self, lambda error: self._models_failed(generation, provider, error)))
            .on_finished(while_alive(self, lambda: self.refresh_button.setEnabled(self.provider() != "demo")))
            .start()
        )

    def _models_arrived(self, generation: int, provider: str, models: list[str]) -> None:
        if generation != self._refresh_generation:
            return
        current = self.model()
        models = [m for m in models if can_code(m)]  # no embedding, speech, image or moderation models
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.addItems(models)
        self.model_combo.setCurrentText(current)
        self.model_combo.blockSignals(False)
        if models == default_models(provider):
            self._note(
                f"Could not get the list from {provider_label(provider)}; showing BatchLab's own list."
            )
        else:
            self._note(f"{len(models)} models that can code texts are available to your account.")

    def _models_failed(self, generation: int, provider: str, error: BatchLabError) -> None:
        if generation != self._refresh_generation:
            return
        reason = re.sub(r"\s+", " ", error.message).strip()
        self._note(f"Showing BatchLab's own list of models. ({reason})")

    # ---- completeness ----------------------------------------------------------------------
    def problems(self) -> list[str]:
        found = []
        if self.provider() == "compatible":
            url = self.base_url()
            if not url:
                found.append("Enter the server address of the OpenAI-compatible server.")
            elif not re.match(r"^https?://\S+$", url):
                found.append("The server address must start with http:// or https://.")
        if not self.model():
            found.append("Choose or type a model.")
        return found

    def cancel_work(self) -> None:
        self._refresh_generation += 1
        if self._refresh_task is not None:
            self._refresh_task.cancel()
