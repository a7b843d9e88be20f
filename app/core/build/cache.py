"""Small files of derived data (a tokenizer's parsed vocabulary, prices) in BatchLab's data folder.

Deriving them costs more than the rest of a short command, so they are kept in ``cache/`` under
the data folder (:func:`app.core.paths.data_home`) and written nowhere else. Their names carry
everything they were derived from (a source's hash, a library's version), so a changed source
simply misses. A cache is only ever a shortcut: a missing, unreadable or damaged file makes the
caller derive the data again, and a folder that cannot be written means nothing is kept.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from app.core.errors import StorageError
from app.core.paths import data_home

FOLDER = "cache"
_DIGEST = hashlib.sha256().digest_size


def cache_file(name: str) -> Path | None:
    """Where the cached file ``name`` lives; None when the data folder cannot be used."""
    try:
        return data_home() / FOLDER / name
    except StorageError:
        return None


def read(name: str) -> bytes | None:
    """The bytes stored under ``name``, or None when missing or damaged (checked against their digest)."""
    path = cache_file(name)
    try:
        stored = path.read_bytes() if path else b""
    except OSError:
        return None
    digest, payload = stored[:_DIGEST], stored[_DIGEST:]
    if len(stored) < _DIGEST or hashlib.sha256(payload).digest() != digest:
        return None
    return payload


def write(name: str, payload: bytes, replaces: str = "") -> None:
    """Store ``payload`` under ``name`` with its digest, atomically (readers see the old file or the new).

    Other files whose names start with ``replaces`` are deleted: they were derived from an older
    source (another library version), and would otherwise pile up with every upgrade.
    """
    path = cache_file(name)
    if path is None:
        return
    try:
        path.parent.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(hashlib.sha256(payload).digest() + payload)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        for older in path.parent.glob(f"{replaces}*") if replaces else ():
            if older.name != name:
                older.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only or full disk only costs the next command the time to derive it again
