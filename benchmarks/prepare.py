"""Benchmark: how fast `prepare` turns a spreadsheet into batch files, against the floor.

    python benchmarks/prepare.py [--rows 100000] [--rows 1000000] [--rows 10000000] [--repeat 5]

For each size it generates a CSV with realistic text lengths, then measures, each in a fresh process:
- the whole command, ``python -m app prepare SPEC --out DIR``: start to exit, wall and CPU time
  (its token-counting helper process's included), and its peak memory (issue 11: at most 4x the
  floor at 100k rows; at most 1.5x the CSV's size at 1M rows; 10M rows under 6 GB);
- prepare in-process, without the imports: load the CSV, render, build and write every request
  (5 rows per request; a category, a number and a text field), count tokens and price the job;
- the floor: serialising the same final request dicts with orjson to the same disk (the dicts
  are loaded first and not timed). Skipped above 1M rows (it holds every request in memory).
The whole command and the floor are measured in turn ``--repeat`` times (5 up to 100k rows, else
once): on a shared machine one run of either may be a third off, so the median and the range are
printed. Ratios are printed against the floor; the generated files are deleted afterwards. BatchLab's
bytecode is compiled first, as installing it does (pip compiles it): a checkout run with
PYTHONDONTWRITEBYTECODE=1 (this sandbox) would otherwise compile the changed modules on every run.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Issue 11: prepare of 1M rows peaks at no more than 1.5 times the size of the CSV …
MEMORY_TARGET = 1.5
#: … 10M rows (a 3.9 GB CSV) complete under 6 GB …
MEMORY_LIMIT_10M_MB = 6_000
#: … and the whole command takes at most 4 times the orjson floor at 100k rows.
FLOOR_TARGET = 4.0

WORDS = (
    "the service was slow but friendly and the price seemed fair for what we got although delivery took "
    "longer than promised and the packaging was damaged quality feels solid overall would recommend to friends"
).split()


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    """Survey-like answers: lengths log-normal around ~60 words, a few very long ones."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["respondent", "age", "answer"])
        for i in range(rows):
            words = max(3, int(rng.lognormvariate(3.9, 0.7)))
            writer.writerow([f"r{i:07d}", rng.randint(18, 90), " ".join(rng.choices(WORDS, k=words))])


def spec_dict(data: Path) -> dict:
    return {
        "name": "benchmark",
        "data": str(data),
        "id_column": "respondent",
        "instructions": "You code open survey answers about a delivery service. " * 5,
        "input_template": "Age: {age}\nAnswer: {answer}",
        "fields": [
            {"name": "tone", "type": "category", "choices": ["positive", "neutral", "negative"]},
            {"name": "satisfaction", "type": "number", "minimum": 0, "maximum": 10},
            {"name": "quote", "type": "text", "description": "shortest supporting quote"},
        ],
        "provider": "openai",
        "model": "gpt-5.4-mini",
        "rows_per_request": 5,
    }


def child_prepare(data: Path, out: Path) -> dict:
    from app.core.build.prepare import prepare
    from app.core.spec import parse_spec

    start = time.perf_counter()
    prepared = prepare(parse_spec(spec_dict(data), data.parent), out)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "requests": prepared.manifest["requests"], "bytes": prepared.manifest["bytes"]}


def child_whole(data: Path, out: Path) -> dict:
    """The whole ``python -m app prepare`` command in a process of its own: wall, CPU and peak memory."""
    import resource

    spec = data.parent / "spec.json"
    spec.write_text(json.dumps(spec_dict(data)))
    adopting = _adopt_orphans()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "app", "prepare", str(spec), "--out", str(out)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    while adopting:  # the command's token helper ends once the command has ended: its CPU time counts too
        try:
            os.wait()
        except ChildProcessError:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "child_peak_mb": usage.ru_maxrss / 1024}


def _adopt_orphans() -> bool:
    """Make this process the parent of the command's orphaned helper processes (Linux), so that
    their CPU time is counted with the command's; False where that cannot be done."""
    import ctypes

    try:
        return ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def child_floor(out: Path, target: Path) -> dict:
    """Load the written request dicts (untimed), then time dumping them again to disk with orjson."""
    import orjson

    requests = [orjson.loads(line) for f in sorted(out.glob("batch-*.jsonl")) for line in f.open("rb")]
    start = time.perf_counter()
    with target.open("wb") as handle:
        for obj in requests:
            handle.write(orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE))
    return {"seconds": time.perf_counter() - start}


def run_child(kind: str, *paths: Path) -> dict:
    """Run one measurement in a fresh process so its peak memory is its own."""
    code = (
        "import json, resource, sys; sys.path.insert(0, %r); import benchmarks.prepare as b; "
        "from pathlib import Path; r = b.child_%s(*map(Path, sys.argv[1:])); "
        "r['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print(json.dumps(r))"
    ) % (str(ROOT), kind)
    out = subprocess.run([sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows to generate (repeatable; default 100000)")
    parser.add_argument("--repeat", type=int, help="runs of the whole command and the floor (default 5 up to 100k rows, else 1)")
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "app", quiet=1)
    for rows in args.rows or [100_000]:
        with tempfile.TemporaryDirectory(dir=ROOT.parent if rows > 1_000_000 else None) as tmp:
            folder = Path(tmp)
            data = folder / "data.csv"
            make_csv(data, rows)
            size_mb = data.stat().st_size / 1e6
            repeat = args.repeat or (5 if rows <= 100_000 else 1)
            prepared = run_child("prepare", data, folder / "out")
            runs, floors = [], []
            for _ in range(repeat):
                runs.append(run_child("whole", data, folder / "whole"))
                shutil.rmtree(folder / "whole")
                if rows <= 1_000_000:
                    floors.append(run_child("floor", folder / "out", folder / "floor.jsonl")["seconds"])
            walls = [r["seconds"] for r in runs]
            whole = {"seconds": statistics.median(walls), "cpu": statistics.median(r["cpu"] for r in runs),
                     "child_peak_mb": max(r["child_peak_mb"] for r in runs)}
            print(f"rows: {rows:,} (CSV {size_mb:,.1f} MB) -> {prepared['requests']:,} requests, {prepared['bytes'] / 1e6:,.1f} MB of batch files")
            print(f"  whole command (python -m app prepare): {whole['seconds']:.2f} s wall{spread(walls)}, "
                  f"{whole['cpu']:.2f} s CPU, peak memory {whole['child_peak_mb']:,.0f} MB")
            print(f"  prepare in-process (no imports): {prepared['seconds']:.2f} s = {rows / prepared['seconds']:,.0f} rows/s, "
                  f"peak memory {prepared['peak_mb']:,.0f} MB")
            ratio = whole["child_peak_mb"] / size_mb
            if rows >= 10_000_000:
                verdict = "meets" if whole["child_peak_mb"] <= MEMORY_LIMIT_10M_MB else "MISSES"
                print(f"  peak memory: {whole['child_peak_mb']:,.0f} MB (target under {MEMORY_LIMIT_10M_MB:,} MB: {verdict})")
            elif rows >= 1_000_000:
                verdict = "meets" if ratio <= MEMORY_TARGET else "MISSES"
                print(f"  peak memory / CSV size: {ratio:.2f}x (target at most {MEMORY_TARGET}x: {verdict})")
            if floors:
                floor = statistics.median(floors)
                verdict = "meets" if whole["seconds"] <= FLOOR_TARGET * floor else "MISSES"
                print(f"  floor (orjson.dumps + write of the same requests): {floor:.2f} s{spread(floors)}")
                print(f"  ratio whole command / floor (medians): {whole['seconds'] / floor:.1f}x wall"
                      f"{spread([w / f for w, f in zip(walls, floors)], 'x', 1)}, {whole['cpu'] / floor:.1f}x CPU "
                      f"(target at most {FLOOR_TARGET:g}x: {verdict}); in-process / floor: {prepared['seconds'] / floor:.1f}x")


def spread(values: list[float], unit: str = " s", digits: int = 2) -> str:
    """`` (a–b s over n runs)`` for several measurements; nothing for one."""
    if len(values) < 2:
        return ""
    return f" (median; {min(values):.{digits}f}–{max(values):.{digits}f}{unit} over {len(values)} runs)"

if __name__ == "__main__":
    main()
