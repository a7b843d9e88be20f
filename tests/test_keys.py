"""The key store: keyring first, explicit fallbacks, and keys that never show up in text."""

from __future__ import annotations

import logging

import keyring.backend
import keyring.core
import keyring.errors
import pytest
from keyring.backends import chainer, fail

from app.core.errors import KeyMissingError
from app.core.keys import (
    KEYRING_FAILED,
    NO_KEYRING,
    SERVICE,
    KeyStore,
    MemoryKeyring,
    mask,
)

SECRET = "sk-proj-Abc123Def456Ghi789Jkl0Mno7421"


class LockedKeyring(MemoryKeyring):
    """Looks usable but refuses every operation, like a locked or unreachable Secret Service."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("locked")


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    """The process-wide keyring is an in-memory one, and no provider variable leaks in."""
    memory = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", memory)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    return memory


def test_keyring_round_trip(isolated: MemoryKeyring) -> None:
    store = KeyStore()  # the process-wide keyring
    assert store.persistent() and store.store_name() == MemoryKeyring.name
    assert store.get("openai") is None and store.source("openai") is None
    assert store.set("openai", f"  {SECRET}\n") == "keyring"
    assert isolated.items == {(SERVICE, "openai"): SECRET}
    assert store.get("openai") == SECRET and store.source("openai") == "keyring"
    assert KeyStore(isolated).get("openai") == SECRET  # survives a new session
    store.delete("openai")
    assert store.get("openai") is None
    store.delete("openai")  # deleting twice is fine


@pytest.mark.parametrize("bad", ["", "   \n", "sk-abc def", "sk-abc\ndef"])
def test_empty_or_broken_keys_are_rejected(bad: str) -> None:
    with pytest.raises(KeyMissingError):
        KeyStore(MemoryKeyring()).set("openai", bad)


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("keyring.backends.macOS", "macOS Keychain"),
        ("keyring.backends.Windows", "Windows Credential Manager"),
        ("keyring.backends.SecretService", "Secret Service (GNOME Keyring/KWallet)"),
    ],
)
def test_system_keyrings_have_plain_names(module: str, name: str) -> None:
    lookalike = type("Keyring", (MemoryKeyring,), {"__module__": module})()
    assert KeyStore(lookalike).store_name() == name


def test_no_keyring_falls_back_to_this_session() -> None:
    store = KeyStore(fail.Keyring())
    assert not store.persistent()
    assert store.store_name() == NO_KEYRING
    assert "session only" in store.store_name() and "forgotten when BatchLab closes" in store.store_name()
    assert store.set("anthropic", SECRET) == "this session only"
    assert store.get("anthropic") == SECRET and store.source("anthropic") == "this session only"
    assert KeyStore(fail.Keyring()).get("anthropic") is None  # nothing was written anywhere
    store.delete("anthropic")
    assert store.get("anthropic") is None


def test_an_empty_chainer_counts_as_no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [])
    assert KeyStore(chainer.ChainerBackend()).store_name() == NO_KEYRING


def test_a_keyring_that_fails_at_runtime_switches_to_the_session() -> None:
    store = KeyStore(LockedKeyring())
    assert store.persistent()  # nothing known to be wrong yet
    assert store.set("openai", SECRET) == "this session only"
    assert not store.persistent() and store.store_name() == KEYRING_FAILED
    assert store.get("openai") == SECRET


def test_lookup_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", " sk-from-environment-0000 ")
    store = KeyStore(MemoryKeyring())
    assert store.get("openai") == "sk-from-environment-0000"
    assert store.source("openai") == "environment variable OPENAI_API_KEY"
    store.set("openai", SECRET)
    assert (store.get("openai"), store.source("openai")) == (SECRET, "keyring")  # the key saved in BatchLab wins
    store.delete("openai")
    assert store.source("openai") == "environment variable OPENAI_API_KEY"

    session = KeyStore(fail.Keyring())
    assert session.source("openai") == "environment variable OPENAI_API_KEY"
    session.set("openai", SECRET)
    assert (session.get("openai"), session.source("openai")) == (SECRET, "this session only")

    monkeypatch.setenv("ANTHROPIC_API_KEY", "")
    assert store.get("anthropic") is None  # an empty variable is no key
    assert store.get("compatible:Local vLLM") is None  # never the OpenAI key for a third-party server


def test_require_says_where_to_set_the_key() -> None:
    store = KeyStore(MemoryKeyring())
    with pytest.raises(KeyMissingError) as raised:
        store.require("openai")
    assert raised.value.message == "No API key is set for OpenAI."
    assert "Settings → API keys" in raised.value.hint and "OPENAI_API_KEY" in raised.value.hint
    with pytest.raises(KeyMissingError) as raised:
        store.require("compatible:Local vLLM")
    assert '"Local vLLM"' in raised.value.message and "environment variable" not in raised.value.hint
    store.set("anthropic", SECRET)
    assert store.require("anthropic") == SECRET


def test_keys_never_show_in_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for backend in (MemoryKeyring(), fail.Keyring()):
        store = KeyStore(backend)
        store.set("openai", SECRET)
        store.get("openai")
        assert SECRET not in repr(store) and SECRET not in str(store)
    assert SECRET not in caplog.text


def test_mask() -> None:
    assert mask("sk-abcdefghijklmnopqrstuvwx1234") == "sk-…1234"
    assert mask(SECRET) == "sk-proj-…7421"
    assert mask("sk-ant-api03-abcdefghijklmnopqrstuvwxyz9876") == "sk-ant-…9876"
    assert mask("sk-short12") == "sk-…"  # too short to show any of it
    assert mask("demo") == "…"
