"""Benchmark: a whole demo job end to end — wall time per lifecycle step and peak memory.

    python benchmarks/lifecycle.py [--rows 100000] [--rows-per-request 5]

Runs offline against the Demo provider (BatchLab's simulated batch service in a child process, the
official openai SDK over loopback HTTP). Steps are timed by wrapping the engine's own step
methods; the simulated provider's waiting time is reported separately since it is the fake's.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(totals: dict[str, float], name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - start

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rows-per-request", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["BATCHLAB_HOME"] = str(folder / "home")
        os.environ["BATCHLAB_DEMO_STEP_SECONDS"] = "0.5"
        from app.core.run.engine import Engine
        from app.core.run.providers.openai_batches import OpenAIBatches
        from app.core.spec import parse_spec
        from benchmarks.prepare import make_csv, spec_dict

        data = folder / "data.csv"
        make_csv(data, args.rows)
        raw = spec_dict(data) | {"provider": "demo", "model": "demo-model", "rows_per_request": args.rows_per_request}
        spec = parse_spec(raw, folder)
        totals: dict[str, float] = defaultdict(float)
        OpenAIBatches.upload = timed(totals, "upload", OpenAIBatches.upload)  # type: ignore[method-assign]
        OpenAIBatches.create = timed(totals, "submit (create batch)", OpenAIBatches.create)  # type: ignore[method-assign]
        OpenAIBatches.retrieve = timed(totals, "poll (retrieve)", OpenAIBatches.retrieve)  # type: ignore[method-assign]
        OpenAIBatches.download = timed(totals, "download", OpenAIBatches.download)  # type: ignore[method-assign]
        Engine._parse = timed(totals, "parse", Engine._parse)  # type: ignore[method-assign]
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
        print(f"{args.rows:,} rows, {args.rows_per_request} per request, demo provider: {job.state}, {job.status_counts['coded']:,} coded")
        for name, seconds in totals.items():
            print(f"  {name:<30} {seconds:8.2f} s")
        print(f"  {'waiting on the provider':<30} {waited:8.2f} s (simulated)")
        print(f"  {'wall time':<30} {wall:8.2f} s")
        print(f"  peak memory of BatchLab's process (the simulated service runs in its own): {peak:,.0f} MB")
        from app.core.run.providers.demo import stop_demo_services

        stop_demo_services()


if __name__ == "__main__":
    main()
