"""Streaming writer for batch input files, split at each provider's count and size limits.

Lines are written as they come, so memory stays flat however many rows a job has. A new file is
started before a line would push the current one past a limit (one model per file is guaranteed
because a job has one model).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

MB = 1_000_000

#: Buffer for reading job files line by line (results, the request index). With Python's 8 KB
#: default every few lines is a read that lets go of the GIL and takes it straight back; CPython
#: then keeps handing the GIL back to the reading thread, and the window (waiting for it to run
#: any Python) freezes for hundreds of milliseconds. 1 MB reads make that a rare event.
READ_BUFFER = 1 << 20
#: Buffer for writing request files: lines are a few kB each, and Python's 8 KB default made a
#: system call of nearly every one.
WRITE_BUFFER = 1 << 20


@dataclass(frozen=True)
class BatchLimits:
    """How much one provider batch may hold; ``overhead`` is the bytes around the lines (Anthropic's JSON body)."""

    max_requests: int
    max_bytes: int
    overhead: int = 0
    separator_bytes: int = 0


#: OpenAI: 50,000 requests and 200 MB per input file. Anthropic: 100,000 requests and 256 MB per
#: request body (the requests joined by commas inside {"requests": [...]}).
LIMITS = {
    "openai": BatchLimits(max_requests=50_000, max_bytes=200 * MB),
    "anthropic": BatchLimits(max_requests=100_000, max_bytes=256 * MB, overhead=16, separator_bytes=1),
}


def limits_for(provider: str) -> BatchLimits:
    """Anthropic's limits for Anthropic; OpenAI's for every OpenAI-style provider (demo, compatible)."""
    return LIMITS["anthropic" if provider == "anthropic" else "openai"]


def dumps_line(obj: Any) -> bytes:
    """One compact JSON line, UTF-8, as it is stored and sent. orjson writes the same bytes as the
    standard library's compact form without ASCII escapes, several times faster."""
    return orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE)


@dataclass
class WrittenFile:
    """One finished batch input file."""

    path: Path
    requests: int = 0
    rows: int = 0
    bytes: int = 0
    first_custom_id: str = ""
    last_custom_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path.name,
            "requests": self.requests,
            "rows": self.rows,
            "bytes": self.bytes,
            "first_custom_id": self.first_custom_id,
            "last_custom_id": self.last_custom_id,
        }


class SplitWriter:
    """Writes ``batch-001.jsonl``, ``batch-002.jsonl``, … in ``folder`` within ``limits``."""

    def __init__(self, folder: Path, limits: BatchLimits) -> None:
        self.folder, self.limits = folder, limits
        self.files: list[WrittenFile] = []
        self._handle: IO[bytes] | None = None
        self._wire = 0  # bytes the current batch takes on the wire so far (lines, separators, wrapper)

    def write(self, custom_id: str, line: bytes, rows: int) -> int:
        """Add one request line and say which file (1, 2, …) took it; raises ValueError if a single
        request alone exceeds the size limit. (Called once per request: kept to a few operations.)"""
        limits = self.limits
        size = len(line) - 1 + limits.separator_bytes  # the newline stands in for a separator
        current = self.files[-1] if self._handle else None
        if current is None or current.requests >= limits.max_requests or self._wire + size > limits.max_bytes:
            if size + limits.overhead > limits.max_bytes:
                raise ValueError(
                    f"Request {custom_id} alone is {size / MB:.1f} MB, over the provider's "
                    f"{limits.max_bytes / MB:.0f} MB limit for a whole batch."
                )
            current = self._next_file()
        self._handle.write(line)  # type: ignore[union-attr]
        self._wire += size
        current.requests += 1
        current.rows += rows
        current.bytes += len(line)
        current.last_custom_id = custom_id
        if not current.first_custom_id:
            current.first_custom_id = custom_id
        return len(self.files)

    def write_block(self, custom_ids: Sequence[str], block: Sequence[bytes | memoryview], rows: Sequence[int]) -> list[int]:
        """:meth:`write` for consecutive requests, their lines given one after another in parts
        (``LineMaker.block``): the file each went to. When the current file takes them all (the
        usual case), they are written and counted at once; else line by line (each line ends with
        its only newline: a JSON line holds none inside)."""
        limits, current, count = self.limits, self.files[-1] if self._handle else None, len(custom_ids)
        size = sum(map(len, block))
        wire = size + count * (limits.separator_bytes - 1)
        if current is None and count and count <= limits.max_requests and limits.overhead + wire <= limits.max_bytes:
            current = self._next_file()  # the first file, which takes them all
        if current is None or current.requests + count > limits.max_requests or self._wire + wire > limits.max_bytes:
            lines = [line + b"\n" for line in b"".join(block).split(b"\n")[:-1]]
            return list(map(self.write, custom_ids, lines, rows))
        if count:
            self._handle.writelines(block)  # type: ignore[union-attr]
            self._wire += wire
            current.requests += count
            current.rows += sum(rows)
            current.bytes += size
            current.first_custom_id = current.first_custom_id or custom_ids[0]
            current.last_custom_id = custom_ids[-1]
        return [len(self.files)] * count

    def _next_file(self) -> WrittenFile:
        self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"batch-{len(self.files) + 1:03d}.jsonl"
        self._handle = path.open("wb", buffering=WRITE_BUFFER)
        self._wire = self.limits.overhead
        written = WrittenFile(path)
        self.files.append(written)
        return written

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> SplitWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
