"""Where a job's rows came from: the data file's size and checksum, what was read and left out.

Written into the job's manifest.json when requests are built, and checked again at export: a
changed copy of the data would put new texts next to codes made from the old ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from app.core.data.background import meanwhile
from app.core.data.files import open_binary
from app.core.data.table import Layout

_BLOCK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open_binary(path) as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def sha256_meanwhile(path: Path) -> Callable[[], str | None]:
    """Start checksumming ``path`` on another thread (hashlib lets go of the GIL, so it runs beside
    the reading of the rows); the returned function waits for the digest (None for no such file)."""
    if not path.is_file():
        return lambda: None
    return meanwhile(file_sha256, path)


def data_record(
    path: Path,
    layout: Layout,
    rows_read: int,
    rows_excluded: Mapping[str, int],
    unreadable_ids: Sequence[str] = (),
    findings: Sequence[str] = (),
    sha256: str | None = None,
) -> dict[str, Any]:
    """The manifest's ``data`` section: file, bytes, sha256 (computed unless given), rows read and
    left out, how it was read."""
    present = path.is_file()
    return {
        "file": path.name,
        "bytes": path.stat().st_size if present else None,
        "sha256": (sha256 or file_sha256(path)) if present else None,
        "rows_read": rows_read,
        "rows_excluded": {reason: n for reason, n in rows_excluded.items() if n},
        "rows_sent_with_unreadable_letters": list(unreadable_ids),
        "layout": {
            "sheet": layout.sheet,
            "header_row": layout.header_row,
            "encoding": layout.encoding,
            "delimiter": layout.delimiter,
        },
        "findings": list(findings),
    }


def changed_since(record: Mapping[str, Any] | None, path: Path) -> str | None:
    """A warning when the data file no longer matches the manifest's record of it (None when it does)."""
    if not record or not record.get("sha256"):
        return None
    if not path.is_file():
        return f'The job\'s copy of the data ("{path.name}") is missing.'
    if path.stat().st_size == record.get("bytes") and file_sha256(path) == record["sha256"]:
        return None
    return (
        f'The job\'s copy of the data ("{path.name}") was changed after the requests were built: the input '
        "columns show its current texts, which may not be the texts that were coded."
    )
