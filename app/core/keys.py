"""API keys: kept in the operating system's keyring, never in BatchLab's own files or logs.

Where no usable keyring exists (no backend, keyring's fail/null backend, a headless Linux session
whose Secret Service cannot be reached) nothing is written to disk instead: a key typed into
BatchLab is kept in memory for this session only, and the providers' usual environment variables
are read as well. ``store_name()`` tells the person which of these is in use.

Lookup order for ``get``: the keyring, then a key typed in this session, then the environment
variable. A key set in BatchLab therefore beats one inherited from the environment.
"""

from __future__ import annotations

import os

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null
from keyring.compat import properties

from app.core.errors import KeyMissingError

SERVICE = "BatchLab"
#: Environment variables read for each account; OpenAI-compatible servers get none, so an OpenAI
#: key is never sent to a third-party server by accident.
ENV_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
NO_KEYRING = "session only (no system keyring found — the key is forgotten when BatchLab closes)"
KEYRING_FAILED = (
    "session only (the system keyring is locked or not responding — the key is forgotten when BatchLab closes)"
)
_STORE_NAMES = {
    "keyring.backends.macOS": "macOS Keychain",
    "keyring.backends.Windows": "Windows Credential Manager",
    "keyring.backends.SecretService": "Secret Service (GNOME Keyring/KWallet)",
    "keyring.backends.libsecret": "Secret Service (GNOME Keyring/KWallet)",
    "keyring.backends.kwallet": "KWallet",
}
_LABELS = {"openai": "OpenAI", "anthropic": "Anthropic"}


def _usable(backend: keyring.backend.KeyringBackend) -> bool:
    """False for keyring's stand-ins that store nothing (an empty chainer silently drops keys)."""
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return False
    return not isinstance(backend, chainer.ChainerBackend) or bool(backend.backends)


class KeyStore:
    """Reads and saves API keys per account ("openai", "anthropic", "compatible:<name>")."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend if backend is not None else keyring.get_keyring()
        self._keyring_ok = _usable(self._backend)
        self._fallback = NO_KEYRING
        self._session: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<KeyStore: {self.store_name()}>"

    # ---- where keys live -------------------------------------------------------------------
    def persistent(self) -> bool:
        """True when saved keys survive a restart (a working system keyring)."""
        return self._keyring_ok

    def store_name(self) -> str:
        """The key store in plain words, for Settings → API keys."""
        if not self._keyring_ok:
            return self._fallback
        backend = self._backend
        if isinstance(backend, chainer.ChainerBackend):
            backend = backend.backends[0]
        return _STORE_NAMES.get(type(backend).__module__, backend.name)

    def _keyring_failed(self) -> None:
        """The keyring refused to work (locked, no D-Bus, …): use the session store from now on."""
        self._keyring_ok = False
        self._fallback = KEYRING_FAILED

    # ---- reading -----------------------------------------------------------------------------
    def _from_keyring(self, account: str) -> str | None:
        if not self._keyring_ok:
            return None
        try:
            return self._backend.get_password(SERVICE, account) or None
        except keyring.errors.KeyringError:
            self._keyring_failed()
            return None

    def _lookup(self, account: str) -> tuple[str, str] | None:
        """The key and where it came from, in the order documented above."""
        if key := self._from_keyring(account):
            return key, "keyring"
        if key := self._session.get(account):
            return key, "this session only"
        env = ENV_VARS.get(account)
        if env and (key := os.environ.get(env, "").strip()):
            return key, f"environment variable {env}"
        return None

    def get(self, account: str) -> str | None:
        """The key for ``account``, or None when none is set anywhere."""
        found = self._lookup(account)
        return found[0] if found else None

    def source(self, account: str) -> str | None:
        """Where ``get`` finds the key: "keyring", "environment variable …", "this session only" or None."""
        found = self._lookup(account)
        return found[1] if found else None

    def require(self, account: str) -> str:
        """The key for ``account``; raises KeyMissingError saying where to set it."""
        key = self.get(account)
        if key is not None:
            return key
        label = _LABELS.get(account) or f"the server profile \"{account.removeprefix('compatible:')}\""
        env = ENV_VARS.get(account)
        hint = "Add it in Settings → API keys"
        hint += f", or set the environment variable {env} before starting BatchLab." if env else "."
        raise KeyMissingError(f"No API key is set for {label}.", hint)

    # ---- changing ----------------------------------------------------------------------------
    def set(self, account: str, key: str) -> str:
        """Save the key; returns where it went: "keyring", or "this session only" when there is no keyring."""
        key = key.strip()
        if not key:
            raise KeyMissingError("The API key is empty.", "Paste the whole key from the provider's website.")
        if any(ch.isspace() for ch in key):
            raise KeyMissingError(
                "The API key contains spaces or line breaks.", "Copy the key again and paste only the key itself."
            )
        if self._keyring_ok:
            try:
                self._backend.set_password(SERVICE, account, key)
            except keyring.errors.KeyringError:
                self._keyring_failed()
            else:
                self._session.pop(account, None)
                return "keyring"
        self._session[account] = key
        return "this session only"

    def delete(self, account: str) -> None:
        """Forget the key in the keyring and this session (an environment variable stays as it is)."""
        self._session.pop(account, None)
        if not self._keyring_ok:
            return
        try:
            self._backend.delete_password(SERVICE, account)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing was saved
        except keyring.errors.KeyringError:
            self._keyring_failed()


def mask(key: str) -> str:
    """The key for display: its well-known prefix and last four characters at most ("sk-…1234")."""
    key = key.strip()
    prefix = next((p for p in ("sk-ant-", "sk-proj-", "sk-") if key.startswith(p)), "")
    tail = key[-4:] if len(key) - len(prefix) >= 16 else ""
    return f"{prefix}…{tail}"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring in a dict, for tests and screenshots: it never touches the real keychain and is
    never picked by keyring itself."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("in-memory keyring: only used when passed explicitly")

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such key")
