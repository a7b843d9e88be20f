"""Fixtures for every test: a private data folder, an in-memory keyring, no inherited keys or URLs."""

from __future__ import annotations

from pathlib import Path

import keyring.core
import pytest

from app.core.keys import MemoryKeyring


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    """BATCHLAB_HOME in tmp_path, a memory keyring, and no provider settings from the environment."""
    home = tmp_path / "batchlab-home"
    home.mkdir()
    monkeypatch.setenv("BATCHLAB_HOME", str(home))
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "BATCHLAB_CRASH_AT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BATCHLAB_DEMO_STEP_SECONDS", "0.2")
    memory = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", memory)
    return memory
