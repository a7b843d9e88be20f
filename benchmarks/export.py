"""Benchmark: exporting a coded job to CSV and to Excel, against the targets.

    python benchmarks/export.py [--csv-rows 1000000] [--xlsx-rows 200000]

For each size it generates survey-like data (benchmarks/prepare.py's generator), loads it, and
stores a coded answer for every row in a job history (SQLite, as a finished job has it); none of
that is timed. Then it times the export alone, as the Export dialog runs it: rows read from the
job history a page at a time in bulk (the next page while the current one is written), joined to
the input by ID, cells made safe, the file written whole.
Targets (issue 11): 1M rows to CSV in at most 5 s; 200k rows to .xlsx in at most 15 s. The CPU
time is printed too: on a machine shared with other work it says more than the wall time.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {"csv": 5.0, "xlsx": 15.0}
TARGET_ROWS = {"csv": 1_000_000, "xlsx": 200_000}


def coded_job(folder: Path, rows: int) -> tuple[Any, str, Any, Any]:
    """(store, job id, spec, table) of a finished job whose every row is coded."""
    from app.core.data import load_table
    from app.core.run.store import Store, row_record
    from app.core.spec import parse_spec
    from benchmarks.prepare import make_csv, spec_dict

    data = folder / "data.csv"
    make_csv(data, rows)
    spec = parse_spec(spec_dict(data), folder)
    table = load_table(data)
    store = Store(folder / "history.sqlite3")
    store.add_job({
        "id": "bench", "name": "bench", "provider": "openai", "model": spec.model, "endpoint": "chat",
        "state": "done", "folder": str(folder), "rows_total": rows,
    })  # fmt: skip
    ids = table.row_ids(spec.id_column).tolist()
    store.add_rows("bench", ((rid, pos) for pos, rid in enumerate(ids)))
    rng = random.Random(2)
    tones = ("positive", "neutral", "negative")
    store.set_rows(
        "bench",
        (
            row_record(
                rid, "coded",
                values_json=json.dumps({"tone": rng.choice(tones), "satisfaction": rng.randint(0, 10), "quote": "took longer"}),
            )  # fmt: skip
            for rid in ids
        ),
    )
    return store, "bench", spec, table


class History:
    """The job history's row reads: the engine's own ``row_page`` over this store (an Engine
    itself would also open key storage and provider connections the benchmark does not need)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def row_page(self, job_id: str, offset: int, limit: int) -> Any:
        from app.core.run.engine import Engine

        return Engine.row_page(self, job_id, offset, limit)  # type: ignore[arg-type]


def measure(kind: str, rows: int) -> None:
    from app.core.results.export import export_rows

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        store, job_id, spec, table = coded_job(folder, rows)
        setup = time.perf_counter() - start
        target = folder / f"export.{kind}"
        start, cpu = time.perf_counter(), time.process_time()
        summary = export_rows(History(store), job_id, spec, table, target)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = target.stat().st_size / 1e6
        goal = TARGETS[kind] * rows / TARGET_ROWS[kind]
        verdict = "meets" if seconds <= goal else "MISSES"
        print(
            f"{kind}: {rows:,} rows -> {size:,.1f} MB in {seconds:.2f} s = {rows / seconds:,.0f} rows/s "
            f"(target for this size {goal:.1f} s: {verdict}); CPU {cpu:.2f} s; "
            f"{summary.cells_neutralised:,} cells neutralised; setup, not timed: {setup:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-rows", type=int, default=TARGET_ROWS["csv"])
    parser.add_argument("--xlsx-rows", type=int, default=TARGET_ROWS["xlsx"])
    args = parser.parse_args()
    measure("csv", args.csv_rows)
    measure("xlsx", args.xlsx_rows)


if __name__ == "__main__":
    main()
