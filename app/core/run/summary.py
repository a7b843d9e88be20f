"""What the engine hands to views and exports: jobs and rows as plain, read-only records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson

if TYPE_CHECKING:
    from app.core.run.store import Store

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


@dataclass
class RowPage:
    """A page of a job's stored rows in input order, a column at a time.

    Read in bulk, a few texts per page rather than a Python object per cell: returning a million
    row records one by one was half the time of a million-row export.
    """

    row_ids: list[str]
    statuses: list[str]
    reasons: list[str]
    #: Each row's coded values as one line of JSON: the object of a coded row, "{}" for any other.
    values: bytes


class StoredRows(Protocol):
    """The one read an export needs: a job's stored rows, in input order, a page at a time.

    :class:`~app.core.run.engine.Engine` provides it, so the export module depends on this small
    interface rather than on the engine.
    """

    def row_page(self, job_id: str, offset: int, limit: int) -> RowPage: ...


#: SQLite gathers a page into a few texts itself. Rows are picked by position, which is a row's
#: place in the input (0..N-1, set when the job is created): unlike OFFSET, nothing is skipped
#: over, and the rows come off the position index in its order (a sorted subquery would cost a
#: third more). The export checks every row's ID against the input, so rows out of order could
#: never be joined wrongly. Values are stored as compact JSON (orjson, or json.dumps before it),
#: so each is one line.
_PAGE = (
    "SELECT json_group_array(row_id), json_group_array(status), json_group_array(reason), CAST(group_concat("
    "CASE WHEN status = 'coded' AND values_json <> '' THEN values_json ELSE '{}' END, char(10)) AS BLOB) "
    "FROM rows WHERE job_id = ? AND position >= ? AND position < ?"
)


def read_row_page(store: Store, job_id: str, offset: int, limit: int) -> RowPage:
    """Rows ``offset`` to ``offset + limit`` of a job (the :class:`StoredRows` read) from its history."""
    ids, statuses, reasons, values = store.query_one(_PAGE, (job_id, offset, offset + limit))  # type: ignore[misc]
    return RowPage(orjson.loads(ids), orjson.loads(statuses), orjson.loads(reasons), values or b"")
