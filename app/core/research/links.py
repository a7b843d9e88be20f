"""Which jobs belong together, and which jobs may only be read: two small tables in the job history.

A comparison run is an ordinary job; what makes it a *comparison* is one row here naming its
parent and how it differs (a repeat, another model, reworded instructions). A job restored from a
replication package is marked read-only here, so nothing sends it to a provider again. Both
tables live in the same SQLite file as the jobs and vanish with them (ON DELETE CASCADE).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.core.errors import JobError
from app.core.run.store import Store, now

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS job_links (
        child_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        parent_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS job_links_by_parent ON job_links (parent_id)",
    """CREATE TABLE IF NOT EXISTS read_only_jobs (
        job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        marked_at TEXT NOT NULL
    )""",
)
_ready: set[str] = set()


def _db(store: Store) -> Any:
    """The store's connection, with this module's tables created the first time a database lacks them
    (only then is anything written, so a read-only history stays readable)."""
    key = str(store.path.resolve())
    if key not in _ready:
        found = store.db.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('job_links', 'read_only_jobs')"
        ).fetchone()[0]
        if found < 2:
            with store.transaction() as db:
                for statement in _SCHEMA:
                    db.execute(statement)
        _ready.add(key)
    return store.db


def add_link(store: Store, parent_id: str, child_id: str, kind: str, detail: dict[str, Any] | None = None) -> None:
    """Record that ``child_id`` is a comparison run of ``parent_id``."""
    _db(store)
    with store.transaction() as db:
        db.execute(
            "INSERT INTO job_links (child_id, parent_id, kind, detail, created_at) VALUES (?, ?, ?, ?, ?)",
            (child_id, parent_id, kind, json.dumps(detail or {}, ensure_ascii=False), now()),
        )


def link_of(store: Store, child_id: str) -> dict[str, Any] | None:
    """``{"parent_id", "kind", "detail", "created_at"}`` for a comparison run, None for any other job."""
    row = _db(store).execute("SELECT * FROM job_links WHERE child_id = ?", (child_id,)).fetchone()
    if row is None:
        return None
    return {"parent_id": row["parent_id"], "kind": row["kind"], "detail": json.loads(row["detail"]), "created_at": row["created_at"]}


def children_of(store: Store, parent_id: str) -> list[str]:
    """The comparison runs started from a job, oldest first."""
    query = "SELECT child_id FROM job_links WHERE parent_id = ? ORDER BY created_at, rowid"
    return [r[0] for r in _db(store).execute(query, (parent_id,))]


def mark_read_only(store: Store, job_id: str, source: str) -> None:
    """Mark a job as read-only (``source`` says where it came from, e.g. the package's file name)."""
    _db(store)
    with store.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO read_only_jobs (job_id, source, marked_at) VALUES (?, ?, ?)", (job_id, source, now())
        )


def read_only_source(store: Store, job_id: str) -> str | None:
    """Where a read-only job came from; None for a job this machine ran."""
    row = _db(store).execute("SELECT source FROM read_only_jobs WHERE job_id = ?", (job_id,)).fetchone()
    return row[0] if row else None


def require_data_here(store: Store, job_id: str, data: Path, *, needed: str, instead: str) -> None:
    """A job restored from a replication package written without its data has no texts or input
    columns: say so and what to do instead, rather than that a file in the job's folder was not found.
    ``needed`` ends "… without its data file, so …"; ``instead`` is what the package offers."""
    source = read_only_source(store, job_id)
    if source is not None and not Path(data).is_file():
        raise JobError(
            f"Job {job_id} came from a replication package ({source}) without its data file, so {needed}.",
            f"{instead} To have the data too, ask for a package written with its data file (--with-data).",
        )


def require_data_to_export(store: Store, job_id: str, data: Path) -> None:
    """:func:`require_data_here` for an export of the coded rows beside the input columns."""
    require_data_here(
        store, job_id, data, needed="its input columns are not here to export beside the coding",
        instead="The package's coded.csv holds every row's ID, coding, status and reason.",
    )
