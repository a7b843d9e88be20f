"""Benchmark: the rows view over a large job. Each query (all rows, sorted by a field, filtered by a
value, a search in the texts) resolves to its rows' positions in the background (no target: the
window stays responsive; the figure is how long "Searching…" shows); then any page of it, the
last one included (Ctrl+End), is a lookup that must be at once (≤ 0.05 s, on the UI thread).

    python benchmarks/rows_view.py [--rows 1000000]

A finished job is written straight into a job history (not timed), with a data file of the same
size. Rendering the texts once (the background step when a job is first opened) is timed too;
its target is that it runs in the background, so the figure is printed without a target.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET = 0.05
TONES = ("positive", "neutral", "negative")


def fill(folder: Path, rows: int) -> tuple[Path, str, object]:
    from app.core.run.store import Store
    from app.core.spec import FieldSpec, JobSpec

    data = folder / "data.csv"
    with data.open("w", encoding="utf-8") as handle:
        handle.write("rid,body\n")
        handle.writelines(f"R{i:07d},Review number {i}: {TONES[i % 3]} words about item {i % 977}\n" for i in range(rows))
    spec = JobSpec("bench", data, "Code it.", "Review: {body}",
                   [FieldSpec("tone", "category", choices=list(TONES)), FieldSpec("score", "integer")], id_column="rid")
    history = folder / "batchlab.sqlite3"
    store = Store(history)
    store.add_job({"id": "job1", "name": "bench", "provider": "demo", "model": "m", "endpoint": "chat",
                   "state": "done", "folder": str(folder / "job1"), "rows_total": rows})
    store.add_rows("job1", ((f"R{i:07d}", i) for i in range(rows)))
    with store.transaction() as db:
        db.executemany("UPDATE rows SET status = ?, values_json = ? WHERE job_id = 'job1' AND position = ?",
                       (("invalid" if i % 50 == 7 else "coded", json.dumps({"tone": TONES[i % 3], "score": i % 101}), i)
                        for i in range(rows)))  # one row in 50 needs attention
    store.close()
    return history, "job1", spec


def timed(label: str, work, target: float | None = TARGET) -> None:  # noqa: ANN001
    start = time.perf_counter()
    work()
    took = time.perf_counter() - start
    verdict = "" if target is None else (" ok" if took <= target else f" OVER the {target:.1f} s target")
    print(f"{label:<60} {took:7.3f} s{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    from app.core.results.row_query import JobRows, RowQuery

    with tempfile.TemporaryDirectory() as tmp:
        history, job_id, spec = fill(Path(tmp), rows)
        print(f"rows view over {rows:,} rows")
        job = JobRows(history, job_id, spec)
        timed("render the texts once (background)", job.render_texts, None)
        queries = {
            "all rows": RowQuery(),
            "sorted by a field": RowQuery(sort="score", descending=True),
            "filtered by a value": RowQuery(values={"tone": "neutral"}),
            "search in the texts": RowQuery(search="item 976"),
            "coded rows (status filter)": RowQuery(status="coded"),
            "rows needing attention (status filter)": RowQuery(status="invalid"),
        }
        for name, query in queries.items():
            found = []
            timed(f"{name}: the query (background)", lambda q=query: found.append(job.positions(q)), None)
            timed(f"{name}: its last page (Ctrl+End)", lambda: job.rows_at(found[0][-200:]))
        timed("a field's values for the filter list", lambda: job.field_values("tone"), None)
        job.close()


if __name__ == "__main__":
    main()
