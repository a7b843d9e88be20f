"""Benchmark: `python -m app validate` on a 100,000-row job with 2,000 hand-coded rows, against 5 s.

    python benchmarks/validate.py [--rows 100000] [--gold 2000] [--resamples 1000]

It builds a job from a generated survey file (prepare only; nothing is sent), writes scripted model
answers for every row (category, number, yes/no, list and a verbatim-quote text field; a few rows
refused or failed) and a gold file of hand-coded rows written the way people type. Then it times, in
a fresh process, the whole command a person runs: read the gold file, check it against the job's
rows, store it, compute every figure with 1,000 bootstrap resamples and print the JSON. It runs the
command ``--repeat`` times and reports the fastest wall time and that run's CPU time (the machine
may be shared; CPU time shows the work itself).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.prepare import make_csv  # noqa: E402

TARGET_SECONDS = 5.0
TONES = ["positive", "neutral", "negative"]
TOPICS = ["price", "delivery", "quality", "service"]


def spec_dict(data: Path) -> dict:
    return {
        "name": "validate benchmark",
        "data": str(data),
        "id_column": "respondent",
        "instructions": "You code open survey answers about a delivery service.",
        "input_template": "Age: {age}\nAnswer: {answer}",
        "fields": [
            {"name": "tone", "type": "category", "choices": TONES},
            {"name": "satisfaction", "type": "number", "minimum": 0, "maximum": 10},
            {"name": "mentions_price", "type": "boolean"},
            {"name": "topics", "type": "list", "choices": TOPICS},
            {"name": "quote", "type": "text", "verbatim_quote": True},
        ],
        "provider": "openai",
        "model": "gpt-5.4-mini",
        "rows_per_request": 5,
    }


def answers(rng: random.Random, text: str) -> tuple[str, dict]:
    """A plausible answer for one row (the 'truth' plus noise is added by the gold writer)."""
    roll = rng.random()
    if roll < 0.01:
        return "refused", {}
    if roll < 0.015:
        return "failed", {}
    words = text.split()
    start = rng.randrange(max(1, len(words) - 3))
    return "coded", {
        "tone": rng.choice(TONES),
        "satisfaction": rng.randint(0, 10),
        "mentions_price": "price" in text,
        "topics": sorted(rng.sample(TOPICS, rng.randint(0, 2))),
        "quote": " ".join(words[start : start + 3]) if rng.random() < 0.9 else "invented words",
    }


def build_job(home: Path, rows: int, gold_rows: int, folder: Path) -> tuple[str, Path]:
    from app.core.data import load_table
    from app.core.keys import KeyStore
    from app.core.run.engine import Engine
    from app.core.spec import parse_spec

    data = folder / "survey.csv"
    make_csv(data, rows)
    engine = Engine(home, KeyStore())
    job_id = engine.create_job(parse_spec(spec_dict(data), folder))
    frame = load_table(data).frame
    rng = random.Random(2)
    coded = [(row_id, *answers(rng, text)) for row_id, text in zip(frame["respondent"], frame["answer"])]
    with engine.store.transaction() as db:
        db.executemany(
            "UPDATE rows SET status = ?, values_json = ? WHERE job_id = ? AND row_id = ?",
            [(status, json.dumps(values) if values else None, job_id, row_id) for row_id, status, values in coded],
        )
    gold = folder / "gold.csv"
    with gold.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["respondent", "Tone", "satisfaction", "mentions_price", "topics"])
        for row_id, status, values in rng.sample(coded, gold_rows):
            agree = status == "coded" and rng.random() < 0.8
            writer.writerow([
                row_id,
                (values["tone"] if agree else rng.choice(TONES)).title(),
                str(values["satisfaction"] if agree else rng.randint(0, 10)).replace(".", ","),
                "yes" if (values.get("mentions_price") if agree else rng.random() < 0.3) else "no",
                "; ".join(values["topics"] if agree else rng.sample(TOPICS, rng.randint(0, 2))),
            ])
    return job_id, gold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--gold", type=int, default=2_000)
    parser.add_argument("--resamples", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        home = folder / "home"
        print(f"Building a {args.rows:,}-row job with {args.gold:,} hand-coded rows (not timed)…", flush=True)
        job_id, gold = build_job(home, args.rows, args.gold, folder)
        env = {**os.environ, "BATCHLAB_HOME": str(home)}
        command = [sys.executable, "-m", "app", "validate", job_id, "--gold", str(gold), "--json", "--resamples", str(args.resamples)]
        timings = []
        for _ in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if run.returncode != 0:
                sys.exit(f"validate failed: {run.stderr}")
            timings.append((wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))
        seconds, cpu = min(timings)
        result = json.loads(run.stdout)
        tone = result["fields"]["tone"]
        print(f"validate ({result['rows_with_gold']:,} gold rows, {result['rows_compared']:,} compared, "
              f"{len(result['fields'])} fields, {args.resamples:,} resamples): {seconds:.2f} s wall, {cpu:.2f} s CPU "
              f"(target {TARGET_SECONDS:.0f} s: {'met' if seconds <= TARGET_SECONDS else 'NOT met'})")
        print(f"  tone: accuracy {tone['accuracy']:.3f}, κ {tone['cohen_kappa']:.3f}, α {tone['krippendorff_alpha']:.3f}; "
              f"quotes not in the text: {result['fields']['quote']['quotes_not_in_text']:,}")


if __name__ == "__main__":
    main()
