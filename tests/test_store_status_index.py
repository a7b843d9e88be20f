"""The job history indexes only the statuses people filter for (schema 3), and still counts,
filters and pages every status exactly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.core.run.engine import Engine
from app.core.errors import JobHistoryError
from app.core.run.store import SCHEMA_VERSION, Store, row_record

STATUSES = ["coded", "coded", "failed", "coded", "invalid", "pending", "coded", "missing"]


def _history(path: Path) -> Store:
    store = Store(path)
    store.add_job({"id": "j", "name": "n", "provider": "openai", "model": "m", "endpoint": "e", "state": "done",
                   "folder": str(path.parent)})
    store.add_rows("j", [(f"r{i}", i) for i in range(len(STATUSES))])
    store.set_rows("j", [row_record(f"r{i}", s, cost=0.25 if s == "coded" else None)
                         for i, s in enumerate(STATUSES) if s != "pending"])
    return store


def _plan(store: Store, sql: str, args: tuple) -> str:
    return " ".join(str(r[3]) for r in store.db.execute(f"EXPLAIN QUERY PLAN {sql}", args))


def test_counts_filters_and_pages_match_the_rows(tmp_path: Path) -> None:
    store = _history(tmp_path / "history.db")
    counts, cost = store.row_totals("j")
    assert counts == {"coded": 4, "failed": 1, "invalid": 1, "pending": 1, "missing": 1}
    assert cost == pytest.approx(1.0)
    for status in set(STATUSES):
        expected = [f"r{i}" for i, s in enumerate(STATUSES) if s == status]
        assert [r["row_id"] for r in store.rows("j", status, 0, 100)] == expected
        assert store.row_count("j", status) == len(expected)
    assert [r["row_id"] for r in store.rows("j", "coded", 1, 2)] == ["r1", "r3"]
    assert [r["row_id"] for r in store.rows("j", "coded", 0, 2, after=1)] == ["r3", "r6"]


def test_a_filter_on_a_status_that_needs_attention_uses_the_index(tmp_path: Path) -> None:
    store = _history(tmp_path / "history.db")
    rare = _plan(store, "SELECT * FROM rows WHERE job_id = ? AND status = ? AND status NOT IN ('pending', 'coded')",
                 ("j", "failed"))
    assert "rows_by_rare_status" in rare
    from app.core.run.store import status_is

    assert "rows_by_rare_status" in _plan(store, f"SELECT * FROM rows WHERE job_id = ? AND {status_is('failed')}",
                                          ("j", "failed"))
    assert status_is("coded") == "status = ?"


def test_reading_results_moves_no_status_index_entry(tmp_path: Path) -> None:
    """Pending and coded rows, almost every row of a job, are not in the index at all."""
    store = _history(tmp_path / "history.db")
    indexed = store.query("SELECT status FROM rows INDEXED BY rows_by_rare_status "
                          "WHERE job_id = 'j' AND status NOT IN ('pending', 'coded')")
    assert sorted(r[0] for r in indexed) == ["failed", "invalid", "missing"]


def test_a_schema_2_history_loses_its_index_over_every_status(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    _history(path).close()
    with sqlite3.connect(path) as db:  # as BatchLab left it before schema 3
        db.execute("DROP INDEX rows_by_rare_status")
        db.execute("CREATE INDEX rows_by_status ON rows (job_id, status, position)")
        db.execute("PRAGMA user_version = 2")
    store = Store(path)
    names = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "rows_by_status" not in names and "rows_by_rare_status" in names
    assert store.query_one("PRAGMA user_version")[0] == SCHEMA_VERSION
    assert store.status_counts("j")["coded"] == 4


def test_quote_checks_read_every_coded_row_page_by_page(tmp_path: Path) -> None:
    engine = Engine(tmp_path / "home")
    engine.store.add_job({"id": "j", "name": "n", "provider": "openai", "model": "m", "endpoint": "e",
                          "state": "done", "folder": str(tmp_path)})
    engine.store.add_rows("j", [(f"r{i}", i) for i in range(25)])
    engine.store.set_rows("j", [row_record(f"r{i}", "coded" if i % 3 else "failed") for i in range(25)])
    read = [r.row_id for r in engine.each_row("j", "coded", page=4)]
    assert read == [f"r{i}" for i in range(25) if i % 3]


def test_a_schema_2_history_that_cannot_be_written_is_still_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a read-only disk the old index stays and serves every query (tests run as root, where a
    read-only file is still writable: the refusal is SQLite's own error, raised where it would be)."""
    path = tmp_path / "history.db"
    _history(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 2")

    def refused(self: Store) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(Store, "_upgrade", refused)
    store = Store(path)
    assert store.status_counts("j")["coded"] == 4
    assert [r["row_id"] for r in store.rows("j", "failed", 0, 10)] == ["r2"]
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 1")  # older than today's tables: refused plainly
    with pytest.raises(JobHistoryError, match="read-only"):
        Store(path)
