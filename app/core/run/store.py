"""The job history: one SQLite database under the data folder that survives crashes.

WAL journaling with full sync means a committed intent is on disk before the next provider call;
the lifecycle engine records each intent here *before* calling the provider, which is what makes
resuming after a crash safe. Row results are merged in bulk with a cheaper sync: they can always
be read again from the downloaded files. Opening the history writes nothing unless its schema
is out of date, so reading it works while another process holds it or on a read-only disk.
SQLite problems surface as :class:`~app.core.errors.JobHistoryError`, never as
``sqlite3`` exceptions. Each thread gets its own connection.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from itertools import chain, groupby, islice
from pathlib import Path
from typing import Any

from app.core.errors import JobHistoryError

SCHEMA_VERSION = 3
#: The statuses almost every row is in: waiting for its batch, then coded. Only the other statuses
#: (the rows that need attention, which people filter for) have an index: one over every status
#: moved an entry for each row a batch's results coded, a quarter of the SQLite time of reading
#: them back (0.2 s per 100k rows). Schema 3 replaced that index; counts take one pass over a job's
#: rows, as its total cost always did.
COMMON_STATUSES = ("pending", "coded")
#: The condition of that index; a query uses the index only if its WHERE repeats it
#: (https://sqlite.org/partialindex.html, "Queries Using Partial Indexes"): see :func:`status_is`.
RARE_STATUS = "status NOT IN ('pending', 'coded')"
#: The first schema with today's tables and columns (schema 3 changed only an index).
_SAME_TABLES_SINCE = 2
#: Seconds a call waits for another process's write to finish before giving up with JobHistoryError.
BUSY_TIMEOUT = 30.0
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
CREATE INDEX IF NOT EXISTS rows_by_rare_status ON rows (job_id, status, position) WHERE """ + RARE_STATUS + """;
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
CREATE TABLE IF NOT EXISTS locks (
    job_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    acquired_at REAL NOT NULL
);
"""
#: Columns added to ``batches`` in schema 2: provider times, what the provider reported, queueing.
_BATCH_COLUMNS_V2 = {
    "created_at": "TEXT",
    "ended_at": "TEXT",
    "usage": "TEXT",
    "models": "TEXT",
    "input_tokens": "INTEGER",
    "resubmits": "INTEGER NOT NULL DEFAULT 0",
    "lost": "TEXT",
}
#: The order of a row record's values (see :func:`row_record`).
ROW_COLUMNS = (
    "row_id", "status", "reason", "custom_id", "attempt", "batch_id",
    "values_json", "raw_ref", "input_tokens", "output_tokens", "cost",
)
RowRecord = tuple[Any, ...]
#: What the rows of a request share when every one was coded (the usual answer). Such a request is
#: one record: these values, then each row's ID and values (``row_id, values_json, row_id, …``).
#: Its record binds a third of the parameters of its rows' own records, and binding parameters is
#: the part of a merge that holds Python's lock, which the parsing thread waits for.
CODED_SHARED = ("custom_id", "attempt", "batch_id", "raw_ref", "input_tokens", "output_tokens", "cost")
CodedRequest = tuple[Any, ...]
#: Rows handed to a merge at once: row records, and coded requests.
RowChunk = tuple[Sequence[RowRecord], Sequence[CodedRequest]]
#: Rows merged by one statement: a multi-row VALUES list of a few thousand rows, within SQLite's
#: default bound-parameter limit since 3.32 (32,766); fewer where the library allows fewer (999
#: before 3.32, or a build's own limit).
MERGE_ROWS_PER_STATEMENT = 2_000
#: Rows of coded requests merged by one statement. Fewer than above: their parameters are numbered
#: (a request's shared values are used by each of its rows), and SQLite compiles each reuse of a
#: number by searching the numbers before it, so a long statement compiles in quadratic time. A
#: request has at most 100 rows (the spec's limit): 207 values, within the 999 of an old library.
MERGE_CODED_ROWS_PER_STATEMENT = 500
#: Rows a merge commits at a time (about a tenth less SQLite time than a commit per 10,000 rows),
#: holding the history's write lock for well under a second.
MERGE_ROWS_PER_TRANSACTION = 50_000
#: Page cache of a merging connection, in KiB (SQLite's default is 2 MB): a million rows whose IDs
#: do not sort in row order merged 10% faster with it.
MERGE_CACHE_KIB = 65_536


#: The position an upsert gives a row ID the job does not have, removed again before the commit.
_STRAY = -1


def _upsert(records: Sequence[str]) -> str:
    """One upsert of rows given inline (``records``, each the row's values in :data:`ROW_COLUMNS`
    order after the job id, ``?1``): an existing row takes the record's values, an unknown row ID is
    inserted at position :data:`_STRAY`."""
    return (
        f"INSERT INTO rows (job_id, {', '.join(ROW_COLUMNS)}, position) VALUES "
        + ", ".join(f"(?1, {record}, {_STRAY})" for record in records)
        + " ON CONFLICT (job_id, row_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in ROW_COLUMNS[1:])
    )


@functools.lru_cache(maxsize=4)
def _merge_sql(rows: int) -> str:
    """The upsert of ``rows`` row records."""
    return _upsert([", ".join("?" * len(ROW_COLUMNS))] * rows)


@functools.lru_cache(maxsize=8)
def _coded_sql(rows: int, requests: int) -> str:
    """The upsert of ``requests`` coded requests of ``rows`` rows each (see :data:`CODED_SHARED`)."""
    width, records = len(CODED_SHARED) + 2 * rows, []
    for first in range(2, 2 + width * requests, width):
        values = {column: f"?{first + i}" for i, column in enumerate(CODED_SHARED)} | {"status": "'coded'", "reason": "''"}
        for row in range(first + len(CODED_SHARED), first + width, 2):
            values |= {"row_id": f"?{row}", "values_json": f"?{row + 1}"}
            records.append(", ".join(values[column] for column in ROW_COLUMNS))
    return _upsert(records)


def _update_coded(db: sqlite3.Connection, job_id: str, requests: Iterable[CodedRequest]) -> None:
    """Coded requests into a job's rows, those of a size (rows per request) together; row IDs the
    job does not have are left out when :func:`_update_rows` ends the merge."""
    for width, same in groupby(requests, len):
        rows = (width - len(CODED_SHARED)) // 2
        if rows < 1 or width != len(CODED_SHARED) + 2 * rows:
            raise ValueError("a coded request has its shared values, then a row ID and values per row")
        allowed = (db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1) // width
        per_statement = max(1, min(MERGE_CODED_ROWS_PER_STATEMENT // rows, allowed))
        while part := list(islice(same, per_statement)):
            db.execute(_coded_sql(rows, len(part)), (job_id, *chain.from_iterable(part)))


def coded_row_count(requests: Sequence[CodedRequest]) -> int:
    """How many rows these coded requests hold together."""
    return (sum(map(len, requests)) - len(CODED_SHARED) * len(requests)) // 2


def coded_rows(request: CodedRequest) -> list[RowRecord]:
    """The row records of a coded request (see :data:`CODED_SHARED`)."""
    shared = dict(zip(CODED_SHARED, request))
    pairs = request[len(CODED_SHARED):]
    return [
        row_record(row_id, "coded", values_json=values, **shared) for row_id, values in zip(pairs[::2], pairs[1::2])
    ]


def _update_rows(
    db: sqlite3.Connection, job_id: str, records: Iterable[RowRecord], coded: Iterable[CodedRequest] = ()
) -> None:
    """Row outcomes (and coded requests) into a job's rows, a few thousand per statement; row IDs
    the job does not have are left out.

    A statement per row (and its index upkeep) made a 100k-row merge take seconds, and each
    statement costs the merging thread a wait for Python's lock when it comes back from SQLite
    while another thread parses; much larger lists are slower again (SQLite compiles them slowly).
    The statement is an upsert rather than ``UPDATE … FROM`` the list: its conflict path updates
    each row as it finds it, where ``UPDATE … FROM`` first copies the list and joins it, about a
    fifth more of SQLite's time. The rows it inserts for unknown IDs go before the commit.
    """
    width = len(ROW_COLUMNS)
    per_statement = min(MERGE_ROWS_PER_STATEMENT, (db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1) // width)
    pending = iter(records)
    while part := list(islice(pending, per_statement)):
        values = (job_id, *chain.from_iterable(part))
        if len(values) != len(part) * width + 1:
            raise ValueError(f"every row record has {width} values (see row_record)")
        db.execute(_merge_sql(len(part)), values)
    _update_coded(db, job_id, coded)
    db.execute("DELETE FROM rows WHERE job_id = ? AND position = ?", (job_id, _STRAY))


def status_is(status: str, table: str = "") -> str:
    """SQL for "the row's status is the ``?`` bound to it", using the index for statuses it holds."""
    condition = f"{table}status = ?"
    return condition if status in COMMON_STATUSES else f"{condition} AND {table}{RARE_STATUS}"


def _job_rows(job_id: str, status: str | None) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause and arguments for a job's rows, of one status or (None) all."""
    return (f"job_id = ? AND {status_is(status)}", (job_id, status)) if status else ("job_id = ?", (job_id,))


def row_record(row_id: str, status: str, reason: str = "", **values: Any) -> RowRecord:
    """One row's outcome as :meth:`Store.set_rows` takes it; unnamed columns are empty (attempt 0)."""
    given = {"row_id": row_id, "status": status, "reason": reason, "attempt": 0} | values
    return tuple(given.get(column) for column in ROW_COLUMNS)


def now() -> str:
    """UTC timestamp as stored."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


@contextmanager
def plain_sqlite_errors(path: Path) -> Iterator[None]:
    """SQLite failures as errors a person can act on (the CLI and the GUI print their message)."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise JobHistoryError(
                f"The job history ({path.name}) has been locked by another BatchLab process for over "
                f"{BUSY_TIMEOUT:.0f} seconds.",
                "Wait until the other BatchLab window or command has finished, then try again.",
            ) from exc
        raise _unreadable(path, exc) from exc
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path, exc) from exc


def _unreadable(path: Path, exc: sqlite3.Error) -> JobHistoryError:
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        reason, hint = "is read-only", "Give your user write permission on the data folder, or choose another one."
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        reason, hint = "is damaged", "Move the file away (BatchLab starts a new, empty history) or restore a backup."
    else:
        reason, hint = f"cannot be opened ({exc})", "Check that the data folder is on a disk you can write to."
    return JobHistoryError(f"The job history at {path} {reason}.", hint)


class Store:
    """Thin, typed access to the job history; every write commits before it returns."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        with plain_sqlite_errors(self.path):
            found = self.db.execute("PRAGMA user_version").fetchone()[0] if self.path.exists() else 0
            if found >= SCHEMA_VERSION:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._upgrade()
            except sqlite3.OperationalError as exc:
                if found < _SAME_TABLES_SINCE or "readonly" not in str(exc).lower():
                    raise
                # A schema-2 history on a disk BatchLab may not write: its tables are today's and
                # its index over every status serves reading as well, so it is read as it is.

    def _upgrade(self) -> None:
        """Create or bring the schema up to date (the only write opening the history may do)."""
        self.db.executescript(_SCHEMA)  # idempotent; executescript commits on its own
        with self._atomic() as db:
            db.execute("DROP INDEX IF EXISTS rows_by_status")  # schema 2's index over every status
            present = {r[1] for r in db.execute("PRAGMA table_info(batches)")}
            for column, kind in _BATCH_COLUMNS_V2.items():
                if column not in present:
                    db.execute(f"ALTER TABLE batches ADD COLUMN {column} {kind}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with plain_sqlite_errors(self.path):
                conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
                conn.row_factory = sqlite3.Row
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One atomic unit of change; ``durable=False`` skips the fsync for data that can be rebuilt.

        Without the fsync (``synchronous = NORMAL`` in WAL mode) a commit may be lost to a power
        cut, but the database stays consistent, and the next durable commit (the batch marked
        parsed, say) puts every commit before it on disk, in order.
        """
        with plain_sqlite_errors(self.path), (nullcontext() if durable else self._pragma("synchronous", "NORMAL")):
            with self._atomic() as db:
                yield db

    @contextmanager
    def _atomic(self) -> Iterator[sqlite3.Connection]:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def _pragma(self, name: str, value: str | int) -> Iterator[None]:
        """``PRAGMA name = value`` on this thread's connection for the block, then as it was."""
        db = self.db
        before = db.execute(f"PRAGMA {name}").fetchone()[0]
        db.execute(f"PRAGMA {name} = {value}")
        try:
            yield
        finally:
            db.execute(f"PRAGMA {name} = {before}")

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with plain_sqlite_errors(self.path):
            return self.db.execute(sql, args).fetchall()

    def query_one(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Row | None:
        with plain_sqlite_errors(self.path):
            return self.db.execute(sql, args).fetchone()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # ---- jobs ---------------------------------------------------------------------------------
    def add_job(self, job: dict[str, Any], lock: tuple[str, int, str, float] | None = None) -> None:
        """Insert a job; with ``lock`` (owner, pid, host, time) the new job is born held by its creator."""
        stamp = now()
        record = {"created_at": stamp, "updated_at": stamp, **job}
        keys = ", ".join(record)
        marks = ", ".join(f":{k}" for k in record)
        with self.transaction() as db:
            db.execute(f"INSERT INTO jobs ({keys}) VALUES ({marks})", record)
            if lock:
                db.execute("INSERT INTO locks VALUES (?, ?, ?, ?, ?)", (job["id"], *lock))

    def update_job(self, job_id: str, **changes: Any) -> None:
        changes["updated_at"] = now()
        sets = ", ".join(f"{k} = :{k}" for k in changes)
        with self.transaction() as db:
            db.execute(f"UPDATE jobs SET {sets} WHERE id = :id", {**changes, "id": job_id})

    def job(self, job_id: str) -> sqlite3.Row | None:
        return self.query_one("SELECT * FROM jobs WHERE id = ?", (job_id,))

    def jobs(self) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC")

    def delete_job(self, job_id: str) -> None:
        with self.transaction() as db:
            for table in ("rows", "anomalies", "events", "batches", "locks"):
                db.execute(f"DELETE FROM {table} WHERE job_id = ?", (job_id,))
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def log(self, job_id: str, message: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO events (job_id, at, message) VALUES (?, ?, ?)", (job_id, now(), message))

    def events(self, job_id: str) -> list[sqlite3.Row]:
        return self.query("SELECT at, message FROM events WHERE job_id = ? ORDER BY rowid", (job_id,))

    # ---- batches ------------------------------------------------------------------------------
    def add_batches(self, batches: list[dict[str, Any]]) -> None:
        """Register an attempt's batches in one transaction (all or none)."""
        with self.transaction() as db:
            for batch in batches:
                record = {"updated_at": now(), **batch}
                keys = ", ".join(record)
                marks = ", ".join(f":{k}" for k in record)
                db.execute(f"INSERT INTO batches ({keys}) VALUES ({marks})", record)

    def update_batch(self, batch_id: int, **changes: Any) -> None:
        for key in ("counts", "usage", "models"):
            if key in changes and changes[key] is not None and not isinstance(changes[key], str):
                changes[key] = json.dumps(changes[key])
        changes["updated_at"] = now()
        sets = ", ".join(f"{k} = :{k}" for k in changes)
        with self.transaction() as db:
            db.execute(f"UPDATE batches SET {sets} WHERE id = :id", {**changes, "id": batch_id})

    def batch(self, batch_id: int) -> sqlite3.Row | None:
        return self.query_one("SELECT * FROM batches WHERE id = ?", (batch_id,))

    def batches(self, job_id: str) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM batches WHERE job_id = ? ORDER BY id", (job_id,))

    def batches_in_flight(self, provider: str, model: str) -> list[sqlite3.Row]:
        """Batches of every job on this provider and model that sit in the provider's queue."""
        return self.query(
            "SELECT b.* FROM batches b JOIN jobs j ON j.id = b.job_id WHERE j.provider = ? AND j.model = ? "
            "AND b.state IN ('creating', 'submitted', 'cancelling')",
            (provider, model),
        )

    def known_provider_batches(self) -> set[str]:
        """Every provider batch id some job of this history already owns."""
        rows = self.query("SELECT provider_batch_id FROM batches WHERE provider_batch_id IS NOT NULL")
        return {r[0] for r in rows}

    # ---- rows ---------------------------------------------------------------------------------
    def add_rows(self, job_id: str, rows: Iterable[tuple[str, int]]) -> None:
        """Register every input row as pending (``(row_id, position)`` pairs)."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO rows (job_id, row_id, position) VALUES (?, ?, ?)",
                ((job_id, rid, pos) for rid, pos in rows),
            )

    def set_rows(self, job_id: str, records: Iterable[RowRecord], coded: Iterable[CodedRequest] = ()) -> None:
        """Record row outcomes (see :func:`row_record`) and coded requests (:data:`CODED_SHARED`)
        in one transaction."""
        with self.transaction(durable=False) as db:
            _update_rows(db, job_id, records, coded)

    def merge_rows(self, job_id: str, chunks: Iterable[RowChunk]) -> None:
        """Record chunks of row outcomes as they come (see :mod:`app.core.run.merge`).

        The cheaper sync is set once for all of them rather than around each, a transaction spans
        chunks up to :data:`MERGE_ROWS_PER_TRANSACTION` rows (each commit writes its pages out
        again), and the page cache holds the indexes a million-row job's merge walks.
        """
        with (
            plain_sqlite_errors(self.path),
            self._pragma("synchronous", "NORMAL"),
            self._pragma("cache_size", -MERGE_CACHE_KIB),
        ):
            db = self.db
            written = 0
            try:
                for records, coded in chunks:
                    if not db.in_transaction:
                        db.execute("BEGIN IMMEDIATE")
                    _update_rows(db, job_id, records, coded)
                    written += len(records) + coded_row_count(coded)
                    if written >= MERGE_ROWS_PER_TRANSACTION:
                        db.execute("COMMIT")
                        written = 0
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            if db.in_transaction:
                db.execute("COMMIT")

    def row_totals(self, job_id: str) -> tuple[dict[str, int], float | None]:
        """How many of a job's rows are in each status, and what they cost together (None before
        any row was billed). The pass over the job's rows that adds the cost also counts those
        waiting; the indexes count all rows and those needing attention, and the rest are coded
        (counting every status in that pass took half as long again; grouping by it, twice)."""
        waiting = "SELECT SUM(status = 'pending'), SUM(cost) FROM rows WHERE job_id = ?"
        pending, cost = self.query_one(waiting, (job_id,))  # type: ignore[misc]
        rare = f"SELECT status, COUNT(*) FROM rows WHERE job_id = ? AND {RARE_STATUS} GROUP BY status"
        found = {status: count for status, count in self.query(rare, (job_id,))}
        found |= {"coded": self.row_count(job_id) - (pending or 0) - sum(found.values()), "pending": pending or 0}
        return {status: count for status, count in found.items() if count}, cost

    def status_counts(self, job_id: str) -> dict[str, int]:
        return self.row_totals(job_id)[0]

    def rows(self, job_id: str, status: str | None, offset: int, limit: int, after: int = -1) -> list[sqlite3.Row]:
        """A page of a job's rows (of one status) in input order; ``after`` skips rows up to that position."""
        where, args = _job_rows(job_id, status)
        query = f"SELECT * FROM rows WHERE {where} AND position > ? ORDER BY position LIMIT ? OFFSET ?"
        return self.query(query, (*args, after, limit, offset))

    def row_count(self, job_id: str, status: str | None = None) -> int:
        where, args = _job_rows(job_id, status)
        return int(self.query_one(f"SELECT COUNT(*) FROM rows WHERE {where}", args)[0])  # type: ignore[index]

    def row(self, job_id: str, row_id: str) -> sqlite3.Row | None:
        return self.query_one("SELECT * FROM rows WHERE job_id = ? AND row_id = ?", (job_id, row_id))

    def row_ids_to_retry(self, job_id: str) -> list[str]:
        """Rows without a usable result: every status but coded, except texts that were blank."""
        query = (
            "SELECT row_id FROM rows WHERE job_id = ? AND status != 'coded' "
            "AND NOT (status = 'invalid' AND reason LIKE 'the text is blank%') ORDER BY position"
        )
        return [r[0] for r in self.query(query, (job_id,))]

    def set_anomalies(self, job_id: str, batch_id: int, items: Iterable[tuple[str, str, str]]) -> None:
        """A batch's anomalies, replacing any recorded by an earlier (interrupted) read of it."""
        with self.transaction() as db:
            db.execute("DELETE FROM anomalies WHERE job_id = ? AND batch_id = ?", (job_id, batch_id))
            db.executemany(
                "INSERT INTO anomalies (job_id, batch_id, custom_id, kind, detail) VALUES (?, ?, ?, ?, ?)",
                ((job_id, batch_id, cid, kind, detail) for cid, kind, detail in items),
            )

    def anomalies(self, job_id: str) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM anomalies WHERE job_id = ?", (job_id,))
