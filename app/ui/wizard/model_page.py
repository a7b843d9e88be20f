"""Step 4 — Provider and model: where the texts go, which model codes them, and a few settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QScrollArea, QVBoxLayout, QWidget

from app.core.build.models import rules_for
from app.core.build.pricing import default_models
from app.core.keys import KeyStore
from app.core.spec import AUTO, SERVER_ADDRESS
from app.ui import preferences
from app.ui.common import heading, hint, settings
from app.ui.wizard.advanced_settings import AdvancedSettings
from app.ui.wizard.form_boxes import left_aligned, stacked
from app.ui.wizard.key_status import KeyStatusLabel
from app.ui.wizard.model_chooser import ModelChooser
from app.ui.wizard.request_settings import RequestSettings

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


class ModelPage(QWidget):
    """Provider, model, key status and the request settings, each with a plain explanation.

    The page chooses the provider and keeps its parts in step with it: the model list
    (:class:`ModelChooser`), the key line, the request settings and the advanced settings.
    """

    changed = Signal()

    def __init__(self, keys: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keys = keys
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
        self.form = form

        self.provider_combo = QComboBox()
        self.provider_combo.setObjectName("provider")
        for key, label in PROVIDER_CHOICES:
            self.provider_combo.addItem(label, key)
        self.provider_combo.currentIndexChanged.connect(self._provider_changed)
        self.provider_hint = hint("")
        form.addRow("Provider:", stacked(left_aligned(self.provider_combo), self.provider_hint))

        self.base_url_edit = QLineEdit()
        self.base_url_edit.setObjectName("baseUrl")
        self.base_url_edit.setPlaceholderText("https://llm.example.org/v1")
        self.base_url_edit.textChanged.connect(self._base_url_changed)
        self.base_url_box = stacked(
            self.base_url_edit, hint("The server's address, usually ending in /v1. Its key is set in Settings.")
        )
        form.addRow("Server address:", self.base_url_box)

        self.model_chooser = ModelChooser(self.keys)
        self.model_chooser.edited.connect(self.changed)
        self.model_chooser.settled.connect(self._model_settled)
        self.model_chooser.refresh_requested.connect(lambda: self.model_chooser.refresh(self.base_url()))
        form.addRow("Model:", self.model_chooser)

        self.key_label = KeyStatusLabel(self.keys)
        form.addRow("API key:", self.key_label)

        self.request_settings = RequestSettings(self)
        self.request_settings.changed.connect(self.changed)
        for label, field in self.request_settings.form_rows:
            form.addRow(label, field)

        self.advanced = AdvancedSettings()
        self.advanced.changed.connect(self.changed)
        layout.addWidget(self.advanced)
        layout.addStretch(1)

    # ---- values ----------------------------------------------------------------------------
    def provider(self) -> str:
        return self.provider_combo.currentData()

    def model(self) -> str:
        return self.model_chooser.model()

    def base_url(self) -> str | None:
        if self.provider() != "compatible":
            return None
        return self.base_url_edit.text().strip() or None

    def endpoint(self) -> str:
        return self.advanced.endpoint() if self.provider() == "openai" else "chat"

    def rows_per_request(self) -> int | str:
        """A whole number, or AUTO."""
        return self.request_settings.rows_per_request()

    def row_format(self) -> str | None:
        return self.request_settings.row_format()

    def max_output_tokens(self) -> int | None:
        return self.request_settings.max_output_tokens()

    def temperature(self) -> float | None:
        return self.request_settings.temperature()

    def reasoning_effort(self) -> str | None:
        return self.request_settings.reasoning_effort()

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
        self.model_chooser.set_model(model)
        self.advanced.show_endpoint(endpoint)
        self.request_settings.set_values(rows_per_request, row_format, max_output_tokens, temperature)
        self._show_model_rules(reasoning_effort)

    def spec_part(self) -> dict[str, Any]:
        """This step's choices in the spec's JSON form."""
        return {
            "provider": self.provider(),
            "model": self.model(),
            "endpoint": self.endpoint(),
            "rows_per_request": self.rows_per_request(),
            "row_format": self.row_format(),
            "max_output_tokens": self.max_output_tokens(),
            "temperature": self.temperature(),
            "reasoning_effort": self.reasoning_effort(),
            "base_url": self.base_url(),
        }

    def fill(self, raw: Mapping[str, Any]) -> None:
        """Show a spec's choices (a draft's, a job's being duplicated); a spec without a provider
        leaves the remembered choice."""
        if raw.get("provider"):
            self.set_values(
                raw["provider"],
                raw.get("model") or "",
                base_url=raw.get("base_url"),
                endpoint=raw.get("endpoint") or "chat",
                rows_per_request=raw.get("rows_per_request") or AUTO,
                row_format=raw.get("row_format"),
                max_output_tokens=raw.get("max_output_tokens"),
                temperature=raw.get("temperature"),
                reasoning_effort=raw.get("reasoning_effort"),
            )

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
        self.set_values(provider, model)
        self.advanced.collapse()
        self._provider_changed()
        self.model_chooser.set_model(model)

    def remember(self) -> None:
        """Keep the provider and model as the next job's default."""
        store = settings()
        store.setValue("wizard/provider", self.provider())
        store.setValue(f"wizard/model/{self.provider()}", self.model())

    # ---- reactions -------------------------------------------------------------------------
    def _provider_changed(self, *_args: object) -> None:
        provider = self.provider()
        self.provider_hint.setText(PROVIDER_HELP.get(provider, ""))
        self.form.setRowVisible(self.base_url_box, provider == "compatible")
        if provider == "compatible" and not self.base_url_edit.text().strip():
            self.base_url_edit.setText(preferences.COMPATIBLE_URL.get())  # the server set up in Settings
        # the advanced settings hold only OpenAI's endpoint choice: other providers have nothing to show
        self.advanced.setVisible(provider == "openai")
        self.model_chooser.show_provider(provider)
        self.refresh_key_status()
        self._model_settled()
        self.changed.emit()

    def _base_url_changed(self, _text: str) -> None:
        self.refresh_key_status()
        self.changed.emit()

    def _model_settled(self) -> None:
        self._show_model_rules(self.reasoning_effort())

    def _show_model_rules(self, effort: str | None) -> None:
        """Price, notes and reasoning efforts for the model now named; ``effort`` stays chosen if offered."""
        rules = rules_for(self.provider(), self.model())
        self.model_chooser.show_details(self.provider(), rules)
        self.request_settings.offer_efforts(rules, effort)

    def refresh_key_status(self) -> None:
        """Say whether a key is set for the chosen provider, and where it comes from."""
        self.key_label.show_for(self.provider(), self.base_url())

    def showEvent(self, event: object) -> None:  # keys may have changed in Settings meanwhile
        self.refresh_key_status()
        super().showEvent(event)  # type: ignore[arg-type]

    # ---- completeness ----------------------------------------------------------------------
    def problems(self) -> list[str]:
        found = []
        if self.provider() == "compatible":
            url = self.base_url()
            if not url:
                found.append("Enter the server address of the OpenAI-compatible server.")
            elif not SERVER_ADDRESS.match(url):
                found.append("The server address must start with http:// or https://.")
        if not self.model():
            found.append("Choose or type a model.")
        return found

    def cancel_work(self) -> None:
        self.model_chooser.cancel_work()
