"""Shared fixtures for the GUI tests: nothing here ever touches the real settings, keyring or data folder.

Every test gets (autouse):
- ``BATCHLAB_HOME`` pointing at a fresh temporary folder;
- QSettings written as INI files under a temporary folder (never the person's real settings);
- an in-memory keyring, and no provider key or server address inherited from the environment;
- every Demo service a test started stopped at its end.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt creates the QApplication

from collections.abc import Iterator
from pathlib import Path

import keyring.backend
import keyring.core
import keyring.errors
import pytest
from PySide6.QtCore import QSettings

from app.core.keys import KeyStore, MemoryKeyring


@pytest.fixture(autouse=True)
def batchlab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BatchLab's data folder (job history, demo service state) in a temporary folder."""
    home = tmp_path / "batchlab-home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("BATCHLAB_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def temp_qsettings(tmp_path: Path) -> Iterator[Path]:
    """Every QSettings reads and writes files under a temporary folder, never the real settings.

    ``QSettings()`` and ``QSettings(fmt, scope, org, app)`` with ``QSettings.defaultFormat()`` use the
    INI format set here. ``QSettings("BatchLab", "BatchLab")`` always uses the *native* format: on
    Linux that is an INI file too and is redirected by ``setPath(NativeFormat, ...)`` below; on macOS
    and Windows it would reach the real store, so app code should not construct it that way.
    """
    folder = tmp_path / "qsettings"
    folder.mkdir(exist_ok=True)
    previous = QSettings.defaultFormat()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(folder))
    yield folder
    QSettings.setDefaultFormat(previous)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    """The process-wide keyring is an in-memory one, and no provider key leaks in from the environment."""
    memory = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", memory)
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return memory


@pytest.fixture
def keys(memory_keyring: MemoryKeyring) -> KeyStore:
    """A key store over the in-memory keyring."""
    return KeyStore(memory_keyring)


@pytest.fixture(autouse=True)
def demo_services() -> Iterator[None]:
    """Stop the Demo services a test started (each test has its own data folder, so its own service)."""
    yield
    from app.core.run.providers.demo import stop_demo_services

    stop_demo_services()


@pytest.fixture(autouse=True)
def finish_background_work(qtbot) -> Iterator[None]:  # noqa: ANN001 - pytest-qt fixture
    """Let running Tasks finish and deliver their results before the test's widgets are closed,
    so no test's leftover work lands in the next one."""
    yield
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    QThreadPool.globalInstance().waitForDone(30_000)
    QApplication.processEvents()


@pytest.fixture(autouse=True)
def discard_drafts_on_closing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows close after each test: the "save your draft?" question is answered Discard, never shown
    (a test that is about the question answers it itself)."""
    from PySide6.QtWidgets import QMessageBox

    from app.ui.spec_files import SpecFiles

    monkeypatch.setattr(SpecFiles, "ask_about_draft", lambda _self: QMessageBox.StandardButton.Discard)
