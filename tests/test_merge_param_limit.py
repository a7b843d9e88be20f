"""Rows, and coded requests, are merged whatever number of bound parameters the SQLite library
allows per statement."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.core.run.store import MERGE_CODED_ROWS_PER_STATEMENT, MERGE_ROWS_PER_STATEMENT, ROW_COLUMNS, coded_rows, row_record
from tests.test_parse_speed_paths import make_store


def test_a_library_allowing_999_parameters_merges_every_row_in_smaller_statements(tmp_path: Path) -> None:
    count = MERGE_ROWS_PER_STATEMENT + 7
    store = make_store(tmp_path, count)
    store.db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # SQLite's limit before 3.32
    records = [
        (f"r{i}", "coded", "", f"c{i // 5}", 1, 3, json.dumps({"n": i}), f"a/b.jsonl:{i}", 7, 2, i / 10)
        for i in range(count)
    ]
    store.merge_rows("j", [(records[:10], ()), (records[10:], ())])
    stored = {r["row_id"]: tuple(r[c] for c in ROW_COLUMNS) for r in store.rows("j", None, 0, count)}
    assert [stored[r[0]] for r in records] == records
    assert store.status_counts("other") == {"pending": count}


def coded_request(first: int, rows: int) -> tuple:
    """A coded request of ``rows`` rows from row ``first`` on, as the parser hands it over."""
    pairs = [x for i in range(first, first + rows) for x in (f"r{i}", json.dumps({"n": i}))]
    return (f"c{first}", 2, 4, f"a/b.jsonl:{first}", 11, 3, first / 7, *pairs)


@pytest.mark.parametrize("limit", [999, None])  # SQLite's limit before 3.32, and this library's own
def test_coded_requests_merge_as_the_row_records_they_stand_for(tmp_path: Path, limit: int | None) -> None:
    size = 5
    count = size * (MERGE_CODED_ROWS_PER_STATEMENT // size) * 2 + 3 * size + 2  # several statements, a short last one
    store = make_store(tmp_path, count)
    if limit:
        store.db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    requests = [coded_request(first, min(size, count - first)) for first in range(0, count, size)]
    requests.append(coded_request(count, 2))  # rows the job does not have: left out
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    store.merge_rows("j", [((), requests[:7]), ([row_record("r0", "failed", "again")], requests[7:])])
    store.db.set_trace_callback(None)
    expected = {r[0]: r for request in requests for r in coded_rows(request)} | {"r0": row_record("r0", "failed", "again")}
    stored = {r["row_id"]: tuple(r[c] for c in ROW_COLUMNS) for r in store.rows("j", None, 0, count + 10)}
    assert stored == {row_id: record for row_id, record in expected.items() if row_id in stored} and len(stored) == count
    assert stored["r5"][:8] == ("r5", "coded", "", "c5", 2, 4, '{"n": 5}', "a/b.jsonl:5")
    assert len([s for s in statements if s.startswith("INSERT")]) > 2 * count / MERGE_CODED_ROWS_PER_STATEMENT - 1
    assert store.status_counts("other") == {"pending": count}


def test_a_coded_request_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    store = make_store(tmp_path, 3)
    with pytest.raises(ValueError, match="a row ID and values per row"):
        store.set_rows("j", [], [coded_request(0, 2)[:-1]])
    assert store.status_counts("j") == {"pending": 3}
