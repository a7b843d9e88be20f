"""Rows are merged whatever number of bound parameters the SQLite library allows per statement."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from app.core.run.store import MERGE_ROWS_PER_STATEMENT, ROW_COLUMNS
from tests.test_parse_speed_paths import make_store


def test_a_library_allowing_999_parameters_merges_every_row_in_smaller_statements(tmp_path: Path) -> None:
    count = MERGE_ROWS_PER_STATEMENT + 7
    store = make_store(tmp_path, count)
    store.db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # SQLite's limit before 3.32
    records = [
        (f"r{i}", "coded", "", f"c{i // 5}", 1, 3, json.dumps({"n": i}), f"a/b.jsonl:{i}", 7, 2, i / 10)
        for i in range(count)
    ]
    store.merge_rows("j", [records[:10], records[10:]])
    stored = {r["row_id"]: tuple(r[c] for c in ROW_COLUMNS) for r in store.rows("j", None, 0, count)}
    assert [stored[r[0]] for r in records] == records
    assert store.status_counts("other") == {"pending": count}
