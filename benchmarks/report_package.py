"""Benchmark: methods report, replication package and package import for a large Demo job.

    python benchmarks/report_package.py [--rows 100000] [--rows-per-request 5]

Runs a whole Demo job first (offline, the simulated batch service in a child process), then times
what a person waits for after it: agreement across repeat runs, the report (HTML and Markdown), the package (without and with
the data file) and importing the package into a fresh data folder. Targets: each under 30 s for
100,000 rows, so the GUI can run them in a background task with a progress bar and no surprise.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rows-per-request", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2, help="repeat runs for the agreement timing (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["BATCHLAB_HOME"] = str(folder / "home")
        os.environ["BATCHLAB_DEMO_STEP_SECONDS"] = "0.5"
        from app.core.keys import KeyStore
        from app.core.research.agreement import run_agreement
        from app.core.research.package import import_package, write_package
        from app.core.research.runs import ComparisonPlan, linked_runs, start_comparison
        from app.core.research.report import build_report, write_report
        from app.core.run.engine import Engine
        from app.core.run.providers.demo import stop_demo_services
        from app.core.spec import parse_spec
        from benchmarks.prepare import make_csv, spec_dict

        data = folder / "data.csv"
        make_csv(data, args.rows)
        spec = parse_spec(spec_dict(data) | {"provider": "demo", "model": "demo-model", "rows_per_request": args.rows_per_request}, folder)
        engine = Engine(poll_interval=1.0)
        start = time.perf_counter()
        job_id = engine.create_job(spec)
        job = engine.run(job_id)
        for run in start_comparison(engine, job_id, ComparisonPlan("repeat", runs=args.repeats)) if args.repeats else []:
            engine.run(run)
        stop_demo_services()
        print(f"{args.rows:,} rows, {args.rows_per_request} per request, Demo job {job.state} "
              f"({job.status_counts['coded']:,} coded) and {args.repeats} repeat runs in "
              f"{time.perf_counter() - start:.1f} s; now timing:")

        def timed(label: str, work):  # noqa: ANN001, ANN202 - a local helper
            begin = time.perf_counter()
            result = work()
            seconds = time.perf_counter() - begin
            size = f", {Path(result).stat().st_size / 1e6:,.1f} MB" if isinstance(result, Path) else ""
            verdict = "ok" if seconds <= TARGET_SECONDS else "OVER TARGET"
            print(f"  {label:<42} {seconds:7.2f} s{size}   (target ≤ {TARGET_SECONDS:.0f} s: {verdict})")
            return result

        if args.repeats:
            timed(f"agreement of {args.repeats + 1} runs (1,000 resamples)", lambda: run_agreement(engine, linked_runs(engine, job_id)))
        report = timed("build the report (facts, versions, stability)", lambda: build_report(engine, job_id))
        timed("write report.html", lambda: write_report(report, folder / "report.html"))
        timed("write report.md", lambda: write_report(report, folder / "report.md"))
        package = timed("package without the data", lambda: write_package(engine, job_id, folder / "package.zip"))
        timed("package with the data", lambda: write_package(engine, job_id, folder / "full.zip", with_data=True))
        reviewer = Engine(folder / "reviewer", KeyStore())
        imported = timed("import the package (fresh data folder)", lambda: import_package(reviewer, package))
        assert reviewer.row_count(imported, "coded") == job.status_counts["coded"]
        timed("report of the imported job", lambda: write_report(build_report(reviewer, imported), folder / "again.md"))


if __name__ == "__main__":
    main()
