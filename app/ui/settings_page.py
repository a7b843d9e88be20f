"""Settings: API keys per provider (in the key store, never in BatchLab's files) and the preferences.

Keyring calls can stall (a locked keychain, a slow Secret Service), so reading, saving and
testing keys all run as background tasks; the page only shows their answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatchLabError
from app.core.keys import KeyStore, mask
from app.core.paths import data_home
from app.core.run.providers import LABELS, key_account, test_connection
from app.ui import preferences
from app.ui.common import section_title
from app.ui.dialogs import show_error
from app.ui.jobs_view import show_folder
from app.ui.preferences import Preference
from app.ui.tasks import Task, TaskContext

KEY_PROVIDERS = ("openai", "anthropic", "compatible")


def _card(title: str, text: str = "") -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setObjectName("card")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(20, 16, 20, 18)
    layout.setSpacing(10)
    layout.addWidget(section_title(title))
    if text:
        note = QLabel(text)
        note.setObjectName("hint")
        note.setWordWrap(True)
        layout.addWidget(note)
    return card, layout


class KeyRow(QObject):
    """One provider's key in the grid: where it comes from (masked), a field to replace it, remove, test."""

    changed = Signal()

    def __init__(self, provider: str, keys: KeyStore, grid: QGridLayout, row: int, parent: QWidget) -> None:
        super().__init__(parent)
        self.provider = provider
        self._keys = keys
        self._test: Task | None = None
        name = QLabel(LABELS[provider])
        name.setObjectName("apiKeyName")
        self.status = QLabel("Checking…")
        self.status.setObjectName("apiKeyStatus")
        self.entry = QLineEdit()
        self.entry.setEchoMode(QLineEdit.EchoMode.Password)
        self.entry.setPlaceholderText("Paste a new key")
        self.entry.setClearButtonEnabled(True)
        self.entry.returnPressed.connect(self.save)
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self._test_clicked)
        self.result = QLabel()
        self.result.setObjectName("testResult")
        self.result.setWordWrap(True)
        self.result.hide()
        self.url: QLineEdit | None = None
        # two lines a provider (where the key is, then the field and its buttons): one line was
        # wider than the page at the window's smallest size
        for label in (name, self.status):
            label.setContentsMargins(0, 8, 0, 0)  # a gap above each provider
        grid.addWidget(name, row, 0)
        grid.addWidget(self.status, row, 1, 1, 4)
        grid.addWidget(self.entry, row + 1, 1)
        grid.addWidget(self.save_button, row + 1, 2)
        grid.addWidget(self.remove_button, row + 1, 3)
        grid.addWidget(self.test_button, row + 1, 4)
        row += 2
        if provider == "compatible":
            self.url = QLineEdit(preferences.COMPATIBLE_URL.get())
            self.url.setPlaceholderText("Server address, e.g. http://localhost:8000/v1")
            self.url.editingFinished.connect(self._url_changed)
            grid.addWidget(QLabel("Server"), row, 0)
            grid.addWidget(self.url, row, 1, 1, 4)
            row += 1
        grid.addWidget(self.result, row, 1, 1, 4)
        #: The first grid row after this provider's.
        self.next_row = row + 1

    def _base_url(self) -> str | None:
        return self.url.text().strip() or None if self.url else None

    def _account(self) -> str | None:
        if self.provider == "compatible" and not self._base_url():
            return None
        return key_account(self.provider, self._base_url())

    # ---- reading ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show where the key comes from, read in the background."""
        account = self._account()
        if account is None:
            self._show(None, None)
            return

        def read(ctx: TaskContext) -> tuple[str | None, str | None]:
            key = self._keys.get(account)
            return (mask(key) if key else None), self._keys.source(account)

        _start(Task(self, read).on_done(lambda found: self._show(*found)))

    def _show(self, masked: str | None, source: str | None) -> None:
        if masked is None:
            text = "Not set" if self._account() else "Enter the server's address first"
        elif source == "keyring":
            text = f"{masked} · saved in {self._keys.store_name()}"
        else:
            text = f"{masked} · {source}"
        self.status.setText(text)
        self.status.setProperty("set", masked is not None)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.remove_button.setEnabled(source in ("keyring", "this session only"))  # not an environment variable
        self.test_button.setEnabled(masked is not None or self._test is not None)

    # ---- changing --------------------------------------------------------------------------------
    def save(self) -> None:
        account = self._account()
        key = self.entry.text()
        if account is None or not key.strip():
            return
        self.entry.clear()

        def saved(where: str) -> None:
            self._say("Saved." if where == "keyring" else "Saved for this session only (no keyring here).")
            self.changed.emit()

        _start(Task(self, lambda ctx: self._keys.set(account, key)).on_done(saved).on_error(self._failed))

    def remove(self) -> None:
        account = self._account()
        if account is None:
            return

        def removed(_: object) -> None:
            self._say("Removed.")
            self.changed.emit()

        _start(Task(self, lambda ctx: self._keys.delete(account)).on_done(removed).on_error(self._failed))

    def _failed(self, error: BatchLabError) -> None:
        show_error(self.status.window(), error)

    def _url_changed(self) -> None:
        preferences.COMPATIBLE_URL.set(self._base_url() or "")
        self.refresh()

    # ---- testing ---------------------------------------------------------------------------------
    def _test_clicked(self) -> None:
        if self._test is not None:  # "Stop waiting": the answer is ignored when it comes
            self._test.cancel()
            self._end_test("Stopped waiting for an answer.", ok=None)
            return
        provider, base_url = self.provider, self._base_url()
        self._say("Testing the connection…")
        self.test_button.setText("Stop waiting")
        task = Task(self, lambda ctx: test_connection(provider, self._keys, base_url))
        task.on_done(lambda text: task is self._test and self._end_test(text, ok=True))
        task.on_error(lambda error: task is self._test and self._end_test(_plain(error), ok=False))
        self._test = _start(task)

    def _end_test(self, text: str, ok: bool | None) -> None:
        self._test = None
        self.test_button.setText("Test connection")
        self._say(text, ok)

    def _say(self, text: str, ok: bool | None = None) -> None:
        """Show a short outcome under the row: green when it worked, red when it did not."""
        self.result.setText(text)
        self.result.setProperty("ok", "" if ok is None else "yes" if ok else "no")
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)
        self.result.setVisible(bool(text))


def _start(task: Task) -> Task:
    """Start a task that cleans itself up once it has reported."""
    return task.on_finished(task.deleteLater).start()


def _plain(error: BatchLabError) -> str:
    return f"{error.message} {error.hint}".strip()


class SettingsPage(QWidget):
    """API keys and preferences; every change is saved at once."""

    keys_changed = Signal()
    preference_changed = Signal(str)  # the preference's key

    def __init__(self, keys: KeyStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keys = keys
        title = QLabel("Settings")
        title.setObjectName("pageTitle")

        keys_card, keys_layout = _card("API keys")
        self.store_label = QLabel()
        self.store_label.setObjectName("hint")
        self.store_label.setWordWrap(True)
        keys_layout.addWidget(self.store_label)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        self.key_rows: dict[str, KeyRow] = {}
        row = 0
        for provider in KEY_PROVIDERS:
            key_row = KeyRow(provider, keys, grid, row, self)
            key_row.changed.connect(self.keys_changed)
            key_row.changed.connect(self.refresh_keys)
            self.key_rows[provider] = key_row
            row = key_row.next_row
        keys_layout.addLayout(grid)

        prefs_card, prefs_layout = _card("Preferences")
        form = QGridLayout()  # a grid, not a QFormLayout: that one pads rows whose hints wrap
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(8)
        form.setColumnStretch(1, 1)
        for row, pref in enumerate(preferences.SHOWN):
            if pref.kind is not bool:
                label = QLabel(pref.label)
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
                label.setContentsMargins(0, 4, 0, 0)
                form.addWidget(label, row, 0)
            form.addWidget(self._editor(pref), row, 1)
        prefs_layout.addLayout(form)

        data_card, data_layout = _card(
            "Data folder", "The job history and one folder per job, with every file sent and received."
        )
        folder_row = QHBoxLayout()
        folder = QLabel(str(data_home()))
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        open_folder = QPushButton("Open")
        open_folder.clicked.connect(lambda: show_folder(data_home()))
        folder_row.addWidget(folder, 1)
        folder_row.addWidget(open_folder)
        data_layout.addLayout(folder_row)

        content = QWidget()
        content.setObjectName("scrollContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(16)
        layout.addWidget(title)
        for card in (keys_card, prefs_card, data_card):
            layout.addWidget(card)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.refresh_keys()

    def refresh_keys(self) -> None:
        """Show again where keys are kept and which are set (the keyring may have stopped working)."""
        store = self._keys.store_name()
        self.store_label.setText(
            f"Keys are kept in <b>{store}</b>, never in BatchLab's own files. The Demo provider needs no key."
            if self._keys.persistent()
            else f"Keys are kept <b>{store}</b>. BatchLab also reads the OPENAI_API_KEY and ANTHROPIC_API_KEY "
            "environment variables. The Demo provider needs no key."
        )
        for key_row in self.key_rows.values():
            key_row.refresh()

    def _editor(self, pref: Preference) -> QWidget:
        """An editor built from the preference's declaration; it saves on every change."""

        def changed(value: Any) -> None:
            pref.set(value)
            self.preference_changed.emit(pref.key)

        if pref.kind is bool:
            box = QCheckBox(pref.label)
            box.setChecked(pref.get())
            box.toggled.connect(changed)
            return self._with_help(box, pref)
        if pref.kind is float:
            spin = QDoubleSpinBox()
            spin.setDecimals(1)
            spin.setRange(pref.minimum or 0.0, pref.maximum or 1e9)
            spin.setSuffix(pref.suffix)
            spin.setValue(pref.get())
            spin.valueChanged.connect(changed)
            spin.setMaximumWidth(180)
            return self._with_help(spin, pref)
        line = QLineEdit(pref.get())
        line.editingFinished.connect(lambda: changed(line.text().strip()))
        if not pref.folder:
            return self._with_help(line, pref)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(line, 1)
        choose = QPushButton("Choose…")

        def pick() -> None:
            chosen = QFileDialog.getExistingDirectory(self, pref.label, line.text() or str(Path.home()))
            if chosen:
                line.setText(chosen)
                changed(chosen)

        choose.clicked.connect(pick)
        row_layout.addWidget(choose)
        return self._with_help(row, pref)

    @staticmethod
    def _with_help(editor: QWidget, pref: Preference) -> QWidget:
        if not pref.help:
            return editor
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(2)
        layout.addWidget(editor)
        help_text = QLabel(pref.help)
        help_text.setObjectName("hint")
        help_text.setWordWrap(True)
        help_text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(help_text)
        return box
