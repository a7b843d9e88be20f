"""The Model step's line saying whether an API key is set for the chosen provider."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.core.keys import KeyStore
from app.core.run.providers import LABELS, key_account

_KEY_SOURCES = {
    "keyring": "saved in the system keyring",
    "this session only": "typed in this session only; forgotten when BatchLab closes",
}


class KeyStatusLabel(QLabel):
    """Says whether a key is set, and where it comes from, so a missing key shows before Submit does."""

    def __init__(self, keys: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keys = keys
        self.setObjectName("keyStatus")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)

    def show_for(self, provider: str, base_url: str | None) -> None:
        """Look the key up again (it may have changed in Settings) and say what was found."""
        if provider == "demo":
            self.setText("✓ The demo needs no key.")
            return
        if provider == "compatible" and not base_url:
            self.setText("Enter the server address first; its key is set in Settings → API keys.")
            return
        account = key_account(provider, base_url)
        source = self.keys.source(account) if account else None
        label = LABELS.get(provider, provider)
        if source is None:
            self.setText(
                f"<span style='color:#b3261e'>✗ No key is set for {label}.</span> "
                "Add it in <b>Settings → API keys</b> before trying rows or submitting."
            )
        else:
            where = _KEY_SOURCES.get(source, source)
            self.setText(f"<span style='color:#2e7d32'>✓ A key is set for {label}</span> ({where}).")
