"""The simulator's state: a JSON index of files and batches plus one blob per stored body.

With a state directory everything is written atomically to disk (index last, after its blobs),
so a simulator restarted with the app, or killed mid-write, still knows every batch it accepted.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

_KINDS = ("files", "openai_batches", "anthropic_batches")


def _write_atomic(path: Path, data: bytes) -> None:
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Store:
    """Records (``files``, ``openai_batches``, ``anthropic_batches``) by id, and named blobs.

    Callers hold the service lock; after changing records they call :meth:`save`.
    """

    def __init__(self, state_dir: Path | None = None) -> None:
        self.state_dir = state_dir
        self._blobs: dict[str, bytes] = {}
        self._parsed: dict[str, Any] = {}
        #: Live counters for ``stats()`` and the system prompts seen by direct calls (cache reads); not persisted.
        self.counters: Counter[str] = Counter()
        self.warm_prompts: set[str] = set()
        self.index: dict[str, Any] = self._empty()
        if state_dir is not None:
            (state_dir / "blobs").mkdir(parents=True, exist_ok=True)
            index_path = state_dir / "index.json"
            if index_path.exists():
                self.index = self._empty() | json.loads(index_path.read_text(encoding="utf-8"))

    @staticmethod
    def _empty() -> dict[str, Any]:
        return {"seq": 0} | {kind: {} for kind in _KINDS}

    def records(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.index[kind]

    def next_seq(self) -> int:
        """A counter that orders records by creation, newest last (ids are random)."""
        self.index["seq"] += 1
        return self.index["seq"]

    def newest_first(self, kind: str) -> list[dict[str, Any]]:
        return sorted(self.index[kind].values(), key=lambda r: r["seq"], reverse=True)

    def save(self) -> None:
        if self.state_dir is not None:
            _write_atomic(self.state_dir / "index.json", json.dumps(self.index).encode())

    # ---- blobs ---------------------------------------------------------------------------------
    def _blob_path(self, name: str) -> Path:
        assert self.state_dir is not None and "/" not in name and not name.startswith(".")
        return self.state_dir / "blobs" / name

    def put_blob(self, name: str, data: bytes) -> None:
        self._parsed.pop(name, None)
        if self.state_dir is None:
            self._blobs[name] = data
        else:
            _write_atomic(self._blob_path(name), data)

    def get_blob(self, name: str) -> bytes:
        if self.state_dir is None:
            return self._blobs[name]
        return self._blob_path(name).read_bytes()

    def delete_blob(self, name: str) -> None:
        self._parsed.pop(name, None)
        if self.state_dir is None:
            self._blobs.pop(name, None)
        else:
            self._blob_path(name).unlink(missing_ok=True)

    def put_json(self, name: str, data: Any) -> None:
        self.put_blob(name, json.dumps(data).encode())
        self._parsed[name] = data

    def get_json(self, name: str) -> Any:
        """A JSON blob, parsed once and then served from memory (batches poll it often)."""
        if name not in self._parsed:
            self._parsed[name] = json.loads(self.get_blob(name))
        return self._parsed[name]

    def reset(self) -> None:
        """Forget everything, on disk too."""
        for name in list(self._blobs):
            self.delete_blob(name)
        if self.state_dir is not None:
            for path in (self.state_dir / "blobs").iterdir():
                path.unlink()
        self._parsed.clear()
        self.counters.clear()
        self.warm_prompts.clear()
        self.index = self._empty()
        self.save()
