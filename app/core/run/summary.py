"""What the engine hands to views and exports: jobs and rows as plain, read-only records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlite3

FINAL_STATES = ("done", "failed", "cancelled")
#: Batch states in the order a batch goes through them.
BATCH_FLOW = ("prepared", "uploading", "uploaded", "creating", "submitted", "ended", "downloaded", "parsed")


@dataclass
class JobSummary:
    """A job as lists and views show it."""

    id: str
    name: str
    provider: str
    model: str
    state: str
    rows_total: int
    status_counts: dict[str, int]
    provider_done: int
    provider_failed: int
    provider_total: int
    created_at: dt.datetime
    finished_at: dt.datetime | None
    estimated_cost: float | None
    actual_cost: float | None
    folder: Path
    message: str
    error: str | None

    @property
    def finished(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def progress(self) -> float:
        """Share of rows with a final status (0..1)."""
        if not self.rows_total:
            return 1.0 if self.finished else 0.0
        return 1 - self.status_counts.get("pending", 0) / self.rows_total


@dataclass
class RowResult:
    """One row's outcome as views and exports show it."""

    row_id: str
    status: str
    reason: str
    values: dict[str, Any]
    input_tokens: int | None
    output_tokens: int | None
    cost: float | None
    attempt: int


class StoredRows(Protocol):
    """The one read an export needs: a job's stored row records, in input order, a page at a time.

    :class:`~app.core.run.engine.Engine` provides it, so the export module depends on this small
    interface rather than on the engine.
    """

    def stored_rows(self, job_id: str, offset: int, limit: int) -> list[sqlite3.Row]: ...
