"""Benchmark: reading a job's results into the job history, and a whole demo job end to end.

    python benchmarks/lifecycle.py [--rows 100000] [--rows 1000000] [--whole-job]

Parse + merge (default): a job of N rows (5 per request) is prepared, a provider output file
with a valid answer for every row is written next to it, and the engine reads it into the job
history, timed (wall and CPU), while another thread ticks every 5 ms — its longest wait is how
long a UI thread would have stalled. Targets (issue 11): 100k rows ≤ 1 s, 1M rows ≤ 10 s, no
stall over 50 ms. On a shared machine compare the CPU figure: wall time follows the load.

``--whole-job`` runs a demo job through every step (the simulated service in a child process,
the official openai SDK over loopback HTTP) and prints the wall time per step and peak memory.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (every thread: parsing and the writer)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(totals: dict[str, float], name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - start

    return wrapper


class StallMeter:
    """A thread that wants to run every 5 ms; records the longest it had to wait (GIL, I/O)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, daemon=True)

    def _tick(self) -> None:
        last = time.perf_counter()
        while not self._stop.wait(0.005):
            now = time.perf_counter()
            self.longest = max(self.longest, now - last - 0.005)
            last = now

    def __enter__(self) -> StallMeter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def thread_cpu(totals: dict[str, float], name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` adding the CPU time of the thread that runs it to ``totals[name]``."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return func(*args, **kwargs)
        finally:
            totals[name] += time.thread_time() - start

    return wrapper


def write_output(job_folder: Path, batch: Any) -> None:
    """An OpenAI output file answering every request of a batch, every row coded."""
    from app.core.run.merge import batch_folder, batch_requests

    folder = batch_folder(job_folder, batch)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "output.jsonl").open("w", encoding="utf-8") as out:
        for n, (custom_id, rows) in enumerate(batch_requests(job_folder, batch).items()):
            answer = {"results": [{"id": r, "tone": "positive", "satisfaction": 7, "quote": "fair price"} for r in rows]}
            body = {
                "id": f"chatcmpl-{n}", "object": "chat.completion", "model": "gpt-5.4-mini",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": json.dumps(answer)}}],
                "usage": {"prompt_tokens": 700, "completion_tokens": 90, "total_tokens": 790,
                          "prompt_tokens_details": {"cached_tokens": 512}, "completion_tokens_details": {"reasoning_tokens": 0}},
            }
            line = {"id": f"batch_req_{n}", "custom_id": custom_id, "response": {"status_code": 200, "body": body}, "error": None}
            out.write(json.dumps(line) + "\n")


def parse_and_merge(rows: int, folder: Path) -> None:
    from app.core.run import merge
    from app.core.run.engine import Engine
    from app.core.run.store import Store
    from app.core.spec import parse_spec
    from benchmarks.prepare import make_csv, spec_dict

    data = folder / f"data-{rows}.csv"
    make_csv(data, rows)
    engine = Engine(folder / f"home-{rows}")
    job_id = engine.create_job(parse_spec(spec_dict(data), folder))
    job = engine.store.job(job_id)
    job_folder = Path(job["folder"])
    spec = engine.spec(job_id)
    batches = engine.store.batches(job_id)
    for batch in batches:
        write_output(job_folder, batch)
        engine.store.update_batch(batch["id"], state="downloaded")
    # Which of the two threads (parsing, and writing to SQLite) costs what; the one that takes
    # longer sets the wall time when both have a core.
    threads: dict[str, float] = defaultdict(float)
    parse_batch, merge_rows = merge.parse_batch, Store.merge_rows
    merge.parse_batch = thread_cpu(threads, "parse", parse_batch)  # type: ignore[assignment]
    Store.merge_rows = thread_cpu(threads, "write", merge_rows)  # type: ignore[method-assign]
    gc.collect()  # what setting up left behind is not the parse's to collect
    start, cpu_start = time.perf_counter(), cpu_seconds()
    try:
        with StallMeter() as meter:
            for batch in engine.store.batches(job_id):
                engine.merger.merge(job_id, spec, job_folder, batch)
    finally:
        merge.parse_batch, Store.merge_rows = parse_batch, merge_rows  # type: ignore[method-assign]
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    coded = engine.store.status_counts(job_id).get("coded", 0)
    target = 1.0 * rows / 100_000
    per_100k = 100_000 / rows
    print(f"parse + merge {rows:,} rows ({len(batches)} batch file(s)): {seconds:.2f} s "
          f"= {seconds * per_100k:.2f} s per 100k rows (target ≤ 1 s per 100k; {target:.0f} s here) "
          f"{'OK' if seconds <= target else 'OVER'}; {coded:,} rows coded")
    print(f"  CPU (user + sys, every thread): {cpu:.2f} s = {cpu * per_100k:.2f} s per 100k rows; "
          f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  of which the parsing thread {threads['parse'] * per_100k:.2f} s and the writing thread (SQLite) "
          f"{threads['write'] * per_100k:.2f} s per 100k rows")
    print(f"  longest stall of another thread meanwhile: {meter.longest * 1000:.0f} ms (target ≤ 50 ms)")


def whole_job(rows: int, rows_per_request: int, folder: Path) -> None:
    os.environ["BATCHLAB_HOME"] = str(folder / "home")
    os.environ["BATCHLAB_DEMO_STEP_SECONDS"] = "0.5"
    from app.core.run.engine import Engine
    from app.core.run.merge import ResultMerger
    from app.core.run.providers.demo import stop_demo_services
    from app.core.run.providers.openai_batches import OpenAIBatches
    from app.core.spec import parse_spec
    from benchmarks.prepare import make_csv, spec_dict

    data = folder / "data.csv"
    make_csv(data, rows)
    raw = spec_dict(data) | {"provider": "demo", "model": "demo-model", "rows_per_request": rows_per_request}
    spec = parse_spec(raw, folder)
    totals: dict[str, float] = defaultdict(float)
    OpenAIBatches.upload = timed(totals, "upload", OpenAIBatches.upload)  # type: ignore[method-assign]
    OpenAIBatches.create = timed(totals, "submit (create batch)", OpenAIBatches.create)  # type: ignore[method-assign]
    OpenAIBatches.retrieve = timed(totals, "poll (retrieve)", OpenAIBatches.retrieve)  # type: ignore[method-assign]
    OpenAIBatches.download = timed(totals, "download", OpenAIBatches.download)  # type: ignore[method-assign]
    ResultMerger.merge = timed(totals, "parse + merge", ResultMerger.merge)  # type: ignore[method-assign]
    engine = Engine(poll_interval=1.0)
    start = time.perf_counter()
    job_id = engine.create_job(spec)
    totals["prepare (load, build, write)"] = time.perf_counter() - start
    waited = 0.0
    while (delay := engine.advance(job_id)) is not None:
        time.sleep(delay)
        waited += delay
    wall = time.perf_counter() - start
    job = engine.job(job_id)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{rows:,} rows, {rows_per_request} per request, demo provider: {job.state}, {job.status_counts['coded']:,} coded")
    for name, seconds in totals.items():
        print(f"  {name:<30} {seconds:8.2f} s")
    print(f"  {'waiting on the provider':<30} {waited:8.2f} s (simulated)")
    print(f"  {'wall time':<30} {wall:8.2f} s")
    print(f"  peak memory of BatchLab's process (the simulated service runs in its own): {peak:,.0f} MB")
    stop_demo_services()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows (repeatable); default 100000")
    parser.add_argument("--rows-per-request", type=int, default=5)
    parser.add_argument("--whole-job", action="store_true", help="run a whole demo job instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows or [100_000]:
            if args.whole_job:
                whole_job(rows, args.rows_per_request, Path(tmp))
            else:
                parse_and_merge(rows, Path(tmp))


if __name__ == "__main__":
    main()
