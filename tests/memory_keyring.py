"""An in-memory keyring backend so tests never reach the real OS keychain."""

from __future__ import annotations

import keyring.backend
import keyring.errors
from keyring.compat import properties


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring in a dict; never chosen by keyring itself."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test-only keyring: never chosen by keyring itself")

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")
