"""The Review step's "Your texts": where the texts go, and the person's agreement to send them there.

The agreement is remembered per provider and per data file: agreeing for one dataset says nothing
about the next.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QGroupBox, QLabel, QVBoxLayout, QWidget

from app.core.run.providers import LABELS
from app.core.spec import JobSpec
from app.ui.common import settings


def consent_key(provider: str, base_url: str | None = None, data: Path | None = None) -> str:
    """The QSettings key remembering that the person agreed to send *this data file's* texts to this provider."""
    where = provider if provider != "compatible" else f"compatible/{(base_url or '').strip().lower()}"
    dataset = hashlib.sha256(str(Path(data).absolute()).encode()).hexdigest()[:16] if data else "any"
    return f"consent/{where}/{dataset}"


def recipient(provider: str, base_url: str | None = None) -> str:
    if provider == "compatible":
        return f"the server at {base_url}" if base_url else "the OpenAI-compatible server"
    return LABELS.get(provider, provider)


class ConsentBox(QGroupBox):
    """Says who receives the texts and asks to tick that this is allowed (the Demo sends nothing)."""

    toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Your texts", parent)
        self._spec: JobSpec | None = None
        layout = QVBoxLayout(self)
        self.text = QLabel()
        self.text.setWordWrap(True)
        layout.addWidget(self.text)
        self.check = QCheckBox()
        self.check.setObjectName("consent")
        self.check.toggled.connect(self._toggled)
        layout.addWidget(self.check)

    def show_spec(self, spec: JobSpec | None) -> None:
        """Ask about ``spec``'s provider and data file, ticked if the person agreed before."""
        self._spec = spec
        provider = spec.provider if spec else None
        if spec is None or provider == "demo":
            self.setVisible(provider is not None)
            self.text.setText("The Demo runs on this computer: your texts are not sent anywhere.")
            self.check.hide()
            return
        self.show()
        self.check.show()
        who = recipient(spec.provider, spec.base_url)
        self.text.setText(
            f"To code them, BatchLab sends the texts of the rows (through the row template) and your instructions "
            f"to {who}, where they are processed under its terms. Make sure your data may be shared this way "
            f"(consent, ethics approval, data-protection rules)."
        )
        self.check.blockSignals(True)
        self.check.setText(f"I understand my texts will be sent to {who}")
        self.check.setChecked(bool(settings().value(consent_key(spec.provider, spec.base_url, spec.data), False, type=bool)))
        self.check.blockSignals(False)

    def given(self) -> bool:
        spec = self._spec
        return spec is not None and (spec.provider == "demo" or self.check.isChecked())

    def _toggled(self, checked: bool) -> None:
        if self._spec is not None:
            settings().setValue(consent_key(self._spec.provider, self._spec.base_url, self._spec.data), checked)
        self.toggled.emit(checked)
