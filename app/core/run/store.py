"""The job history: one SQLite database under the data folder that survives crashes.

WAL journaling with full sync means a committed write is on disk before the next provider call;
the lifecycle engine records each intent here *before* calling the provider, which is what makes
resuming after a crash safe. Each thread gets its own connection.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    state TEXT NOT NULL,
    folder TEXT NOT NULL,
    rows_total INTEGER NOT NULL DEFAULT 0,
    attempt INTEGER NOT NULL DEFAULT 1,
    estimated_cost REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    tag TEXT NOT NULL UNIQUE,
    input_path TEXT NOT NULL,
    requests INTEGER NOT NULL,
    state TEXT NOT NULL,
    file_id TEXT,
    upload_started_at TEXT,
    provider_batch_id TEXT,
    create_started_at TEXT,
    provider_status TEXT,
    counts TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rows (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    row_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    reason TEXT NOT NULL DEFAULT '',
    custom_id TEXT,
    attempt INTEGER NOT NULL DEFAULT 0,
    batch_id INTEGER,
    values_json TEXT,
    raw_ref TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost REAL,
    PRIMARY KEY (job_id, row_id)
);
CREATE INDEX IF NOT EXISTS rows_by_status ON rows (job_id, status, position);
CREATE INDEX IF NOT EXISTS rows_by_position ON rows (job_id, position);
CREATE TABLE IF NOT EXISTS anomalies (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    batch_id INTEGER,
    custom_id TEXT,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    message TEXT NOT NULL
);
"""


def now() -> str:
    """UTC timestamp as stored."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


class Store:
    """Thin, typed access to the job history; every method commits before it returns."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self.db.executescript(_SCHEMA)  # idempotent; executescript commits on its own
        self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic, durable unit of change."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # ---- jobs ---------------------------------------------------------------------------------
    def add_job(self, job: dict[str, Any]) -> None:
        stamp = now()
        record = {"created_at": stamp, "updated_at": stamp, **job}
        keys = ", ".join(record)
        marks = ", ".join(f":{k}" for k in record)
        with self.transaction() as db:
            db.execute(f"INSERT INTO jobs ({keys}) VALUES ({marks})", record)

    def update_job(self, job_id: str, **changes: Any) -> None:
        changes["updated_at"] = now()
        sets = ", ".join(f"{k} = :{k}" for k in changes)
        with self.transaction() as db:
            db.execute(f"UPDATE jobs SET {sets} WHERE id = :id", {**changes, "id": job_id})

    def job(self, job_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()

    def jobs(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC").fetchall()

    def delete_job(self, job_id: str) -> None:
        with self.transaction() as db:
            for table in ("rows", "anomalies", "events", "batches"):
                db.execute(f"DELETE FROM {table} WHERE job_id = ?", (job_id,))
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def log(self, job_id: str, message: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO events (job_id, at, message) VALUES (?, ?, ?)", (job_id, now(), message))

    def events(self, job_id: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT at, message FROM events WHERE job_id = ? ORDER BY rowid", (job_id,)).fetchall()

    # ---- batches ------------------------------------------------------------------------------
    def add_batch(self, batch: dict[str, Any]) -> None:
        record = {"updated_at": now(), **batch}
        keys = ", ".join(record)
        marks = ", ".join(f":{k}" for k in record)
        with self.transaction() as db:
            db.execute(f"INSERT INTO batches ({keys}) VALUES ({marks})", record)

    def update_batch(self, batch_id: int, **changes: Any) -> None:
        if "counts" in changes and not isinstance(changes["counts"], str):
            changes["counts"] = json.dumps(changes["counts"])
        changes["updated_at"] = now()
        sets = ", ".join(f"{k} = :{k}" for k in changes)
        with self.transaction() as db:
            db.execute(f"UPDATE batches SET {sets} WHERE id = :id", {**changes, "id": batch_id})

    def batches(self, job_id: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM batches WHERE job_id = ? ORDER BY id", (job_id,)).fetchall()

    # ---- rows ---------------------------------------------------------------------------------
    def add_rows(self, job_id: str, rows: Iterable[tuple[str, int]]) -> None:
        """Register every input row as pending (``(row_id, position)`` pairs)."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO rows (job_id, row_id, position) VALUES (?, ?, ?)",
                ((job_id, rid, pos) for rid, pos in rows),
            )

    def set_rows(self, job_id: str, results: Iterable[dict[str, Any]]) -> None:
        """Record row outcomes (dicts with row_id, status, reason, … keys) in one transaction."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE rows SET status = :status, reason = :reason, custom_id = :custom_id, attempt = :attempt, "
                "batch_id = :batch_id, values_json = :values_json, raw_ref = :raw_ref, "
                "input_tokens = :input_tokens, output_tokens = :output_tokens, cost = :cost "
                "WHERE job_id = :job_id AND row_id = :row_id",
                ({"job_id": job_id, **r} for r in results),
            )

    def status_counts(self, job_id: str) -> dict[str, int]:
        cursor = self.db.execute("SELECT status, COUNT(*) FROM rows WHERE job_id = ? GROUP BY status", (job_id,))
        return {status: count for status, count in cursor}

    def total_cost(self, job_id: str) -> float | None:
        value = self.db.execute("SELECT SUM(cost) FROM rows WHERE job_id = ?", (job_id,)).fetchone()[0]
        return float(value) if value is not None else None

    def rows(self, job_id: str, status: str | None, offset: int, limit: int) -> list[sqlite3.Row]:
        if status:
            query = "SELECT * FROM rows WHERE job_id = ? AND status = ? ORDER BY position LIMIT ? OFFSET ?"
            return self.db.execute(query, (job_id, status, limit, offset)).fetchall()
        query = "SELECT * FROM rows WHERE job_id = ? ORDER BY position LIMIT ? OFFSET ?"
        return self.db.execute(query, (job_id, limit, offset)).fetchall()

    def row_count(self, job_id: str, status: str | None = None) -> int:
        if status:
            query, args = "SELECT COUNT(*) FROM rows WHERE job_id = ? AND status = ?", (job_id, status)
        else:
            query, args = "SELECT COUNT(*) FROM rows WHERE job_id = ?", (job_id,)
        return int(self.db.execute(query, args).fetchone()[0])

    def row(self, job_id: str, row_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM rows WHERE job_id = ? AND row_id = ?", (job_id, row_id)).fetchone()

    def row_ids_not_coded(self, job_id: str) -> list[str]:
        query = "SELECT row_id FROM rows WHERE job_id = ? AND status NOT IN ('coded', 'pending') ORDER BY position"
        return [r[0] for r in self.db.execute(query, (job_id,))]

    def add_anomalies(self, job_id: str, batch_id: int, items: Iterable[tuple[str, str, str]]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO anomalies (job_id, batch_id, custom_id, kind, detail) VALUES (?, ?, ?, ?, ?)",
                ((job_id, batch_id, cid, kind, detail) for cid, kind, detail in items),
            )

    def anomalies(self, job_id: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM anomalies WHERE job_id = ?", (job_id,)).fetchall()
