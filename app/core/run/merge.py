"""Reading a downloaded batch into the job history, and the per-batch record of what was billed.

Parsing streams the result files and merges rows in bulk chunks (see ``Store.merge_rows``) on a
writer thread: SQLite works without Python's lock, so writing one chunk overlaps parsing the next,
and threads take turns at Python's lock every millisecond while a merge runs, so none waits long.
Re-reading a batch after a crash is harmless: rows and anomalies are replaced, not added.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from app.core.build.prepare import read_index
from app.core.results.parse import parse_batch
from app.core.run.checkpoints import checkpoint
from app.core.run.store import RowChunk, Store, row_record
from app.core.spec import JobSpec

RESULT_FILES = ("output.jsonl", "errors.jsonl", "results.jsonl")
NO_ANSWER = "no answer came back for this row"


def batch_folder(job_folder: Path, batch: Any) -> Path:
    return job_folder / f"attempt-{batch['attempt']}" / f"batch-{batch['seq']:03d}"


def batch_requests(job_folder: Path, batch: Any) -> dict[str, tuple[str, ...]]:
    """custom_id → row IDs of the requests one batch carried (from the index written at prepare time).

    Tuples of texts, unlike lists, drop out of the garbage collector's passes, which otherwise walk
    every request of a large batch again and again while its results are parsed.
    """
    folder = job_folder / f"attempt-{batch['attempt']}" / "requests"
    return {cid: tuple(rows) for cid, _, rows in read_index(folder, batch["seq"])}


def first_custom_id(folder: Path) -> str | None:
    """The custom_id on the first line of a downloaded result file, if any."""
    for name in RESULT_FILES:
        path = folder / name
        if path.exists():
            with path.open("rb") as handle:
                line = handle.readline()
            try:
                return str(orjson.loads(line).get("custom_id"))
            except (orjson.JSONDecodeError, AttributeError):
                return None
    return None


#: How long Python lets one thread run before another that waits takes its turn, while a merge runs
#: (the default is 5 ms). The writer thread wants Python's lock back after every statement SQLite
#: ran without it; waiting up to 5 ms each time while the parser held the lock made a 100k-row
#: merge take a fifth to a third longer. A window's thread waits less too.
MERGE_SWITCH_INTERVAL = 0.001


class _SwitchInterval:
    """Python's thread switch interval, lowered while any merge runs and restored after the last."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._merges = 0
        self._found = 0.0

    @contextmanager
    def lowered(self) -> Iterator[None]:
        with self._lock:
            if not self._merges:
                self._found = sys.getswitchinterval()
                sys.setswitchinterval(min(MERGE_SWITCH_INTERVAL, self._found))
            self._merges += 1
        try:
            yield
        finally:
            with self._lock:
                self._merges -= 1
                if not self._merges:
                    sys.setswitchinterval(self._found)


quick_switching = _SwitchInterval().lowered


@contextmanager
def background_writes(store: Store, job_id: str) -> Iterator[queue.Queue[RowChunk | None]]:
    """A queue whose chunks of row records a writer thread merges into the store, in order.

    At most two chunks wait, so memory stays bounded; a write error is raised here at the end.
    """
    chunks: queue.Queue[RowChunk | None] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def write() -> None:
        try:
            store.merge_rows(job_id, iter(chunks.get, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the parsing thread below
            failure.append(exc)
            while chunks.get() is not None:  # the parser must never wait on a full queue
                pass
        finally:
            store.close()

    writer = threading.Thread(target=write, name=f"batchlab-merge-{job_id}", daemon=True)
    with quick_switching():
        writer.start()
        try:
            yield chunks
        finally:
            chunks.put(None)
            writer.join()
    if failure:
        raise failure[0]


class ResultMerger:
    """Parses batches into a store and reports on them."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def merge(
        self, job_id: str, spec: JobSpec, job_folder: Path, batch: Any, requests: dict[str, tuple[str, ...]] | None = None
    ) -> int:
        """Read one downloaded batch's files into its rows; how many rows were read back.
        ``requests`` is the batch's :func:`batch_requests` where the caller has read it already."""
        requests = batch_requests(job_folder, batch) if requests is None else requests
        folder = batch_folder(job_folder, batch)
        relative = folder.relative_to(job_folder).as_posix()
        files = [(folder / name, f"{relative}/{name}") for name in RESULT_FILES if (folder / name).exists()]
        lost = json.loads(batch["lost"]) if batch["lost"] else []
        with background_writes(self.store, job_id) as chunks:
            parsed = parse_batch(
                spec,
                requests,
                files,
                attempt=batch["attempt"],
                batch_id=batch["id"],
                sink=chunks.put,
                batch_error=batch["error"],
                missing_reason="; ".join(lost) or None,
            )
        self.store.set_anomalies(job_id, batch["id"], parsed.anomalies)
        if parsed.anomalies:
            self.store.log(job_id, f"Batch {batch['seq']}: {len(parsed.anomalies)} answer(s) matched no row; recorded.")
        self.store.update_batch(batch["id"], state="parsed", usage=parsed.usage, models=dict(parsed.models))
        self.store.log(job_id, f"Batch {batch['seq']}: {parsed.rows:,} rows read back.")
        checkpoint("parsed")
        return parsed.rows

    def fail_rows(self, job_id: str, job_folder: Path, batch: Any, reason: str) -> None:
        """Give every row of a batch that never ran the status ``failed`` and the reason."""
        records = [
            row_record(rid, "failed", reason, custom_id=cid, attempt=batch["attempt"], batch_id=batch["id"])
            for cid, rows in batch_requests(job_folder, batch).items()
            for rid in rows
        ]
        self.store.set_rows(job_id, records)

    def settle_leftovers(self, job_id: str) -> None:
        """Rows of a finished job that no batch answered are ``missing`` with the reason, never ``pending``."""
        pending = self.store.query("SELECT row_id FROM rows WHERE job_id = ? AND status = 'pending'", (job_id,))
        self.store.set_rows(job_id, [row_record(r[0], "missing", NO_ANSWER) for r in pending])

    def records(self, job_id: str) -> list[dict[str, Any]]:
        """Per provider batch: its id, times, status, counts, the models it reported and its usage totals."""
        return [
            {
                "provider_batch_id": b["provider_batch_id"],
                "attempt": b["attempt"],
                "seq": b["seq"],
                "created_at": b["created_at"],
                "ended_at": b["ended_at"],
                "status": b["provider_status"] or b["state"],
                "requests": b["requests"],
                "counts": json.loads(b["counts"]),
                "reported_models": json.loads(b["models"]) if b["models"] else {},
                "usage": json.loads(b["usage"]) if b["usage"] else {},
            }
            for b in self.store.batches(job_id)
            if b["provider_batch_id"]
        ]
