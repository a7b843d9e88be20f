"""The Model step's model row: the provider's models to pick from, and what the chosen one means."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.core.build.models import FORCED_TOOL, JSON_OUTPUTS, ModelRules
from app.core.build.pricing import batch_price, default_models, describe_missing_price
from app.core.keys import KeyStore
from app.core.run.providers import LABELS
from app.ui.common import hint, settings
from app.ui.wizard.model_list import ModelListLoader


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


def format_price(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.1 or value == 0 else f"${value:,.3f}"


class ModelChooser(QWidget):
    """An editable list of the provider's models with a refresh button; under it the batch price,
    the model's peculiarities and how the list was got.

    The price and rules are looked up once typing pauses (``settled``), not at every keystroke.
    """

    edited = Signal()  # the model name changed
    settled = Signal()  # the model name has stayed the same for a moment
    refresh_requested = Signal()  # the person asked for the provider's own list

    def __init__(self, keys: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._provider = ""
        self.loader = ModelListLoader(keys, self)
        self.loader.loaded.connect(self._show_models)
        self.loader.failed.connect(lambda reason: self._note(f"Showing BatchLab's own list of models. ({reason})"))
        self.loader.finished.connect(lambda: self.refresh_button.setEnabled(self._provider != "demo"))
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(250)
        self._settle_timer.timeout.connect(self.settled)

        self.combo = QComboBox()
        self.combo.setObjectName("model")
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setMinimumContentsLength(28)
        self.combo.currentTextChanged.connect(self._text_changed)
        self.refresh_button = QPushButton("Refresh from provider")
        self.refresh_button.setToolTip("Ask the provider which models your account can use.")
        self.refresh_button.clicked.connect(self.refresh_requested)
        model_row = QWidget()
        row = QHBoxLayout(model_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.refresh_button)
        self.models_note = hint("")
        self.models_note.hide()
        self.price_label = hint("")
        self.rules_label = hint("")
        self.rules_label.setObjectName("modelRules")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        for widget in (model_row, self.price_label, self.rules_label, self.models_note):
            column.addWidget(widget)

    def model(self) -> str:
        return self.combo.currentText().strip()

    def set_model(self, model: str) -> None:
        self.combo.setCurrentText(model)

    def show_provider(self, provider: str) -> None:
        """Offer BatchLab's own list for ``provider``, keeping the model typed if it is on it."""
        self._provider = provider
        self.loader.forget()  # a list still on its way is for the previous provider
        self.refresh_button.setEnabled(provider != "demo")
        current = self.model()
        models = default_models(provider)
        remembered = str(settings().value(f"wizard/model/{provider}", ""))
        self._set_list(models, current if current in models else (remembered or (models[0] if models else "")))
        self.combo.lineEdit().setPlaceholderText(
            "the model's name as the server calls it" if provider == "compatible" else "model name"
        )
        self._note("")

    def show_details(self, provider: str, rules: ModelRules) -> None:
        """The batch price and the model's peculiarities, under the name."""
        model = self.model()
        self.rules_label.setText(model_notes(provider, model, rules))
        self.rules_label.setVisible(bool(self.rules_label.text()))
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

    def refresh(self, base_url: str | None) -> None:
        """Ask the provider for its models in the background; keep the built-in list if that fails."""
        if self._provider == "demo":
            return
        self.refresh_button.setEnabled(False)
        self._note(f"Asking {LABELS.get(self._provider, self._provider)} for the models your account can use…")
        self.loader.load(self._provider, base_url)

    def cancel_work(self) -> None:
        self.loader.cancel()

    def _text_changed(self, _text: str) -> None:
        self._settle_timer.start()
        self.edited.emit()

    def _set_list(self, models: list[str], current: str) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(models)
        self.combo.setCurrentText(current)
        self.combo.blockSignals(False)

    def _show_models(self, models: list[str]) -> None:
        self._set_list(models, self.model())
        self._note(f"{len(models)} models that can code texts are available to your account.")

    def _note(self, text: str) -> None:
        self.models_note.setText(text)
        self.models_note.setVisible(bool(text))
