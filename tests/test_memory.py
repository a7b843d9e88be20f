"""Building a job keeps memory flat in the number of rows: 300,000 rows peak no higher than 100,000."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: A fixed bound on the whole process (Python, pandas, Arrow and the tokenizer take ~150 MB of it).
PEAK_BOUND_MB = 400
#: How much more 300k rows may take than 100k: the 200k rows more (~90 MB of text) must not be held.
GROWTH_BOUND_MB = 25

CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from app.core.build.prepare import prepare
from app.core.spec import parse_spec
spec = parse_spec(json.loads(sys.argv[2]), Path(sys.argv[3]))
manifest = prepare(spec, Path(sys.argv[4])).manifest
# VmHWM is this process's own peak: ru_maxrss would include the parent's memory at fork
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"peak_mb": peak_kb / 1024, "rows": manifest["rows_sent"]}))
"""


def survey(path: Path, rows: int) -> None:
    """Answers of ~450 characters: 100k rows make a file larger than the CSV reader's read-ahead."""
    rng = random.Random(rows)
    words = "the delivery was late but the staff were friendly and the price was fair overall".split()
    answers = [" ".join(rng.choices(words, k=80)) for _ in range(1_000)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["respondent", "answer"])
        writer.writerows([f"r{i:07d}", answers[i % 1_000]] for i in range(rows))


def peak_of_prepare(tmp_path: Path, rows: int) -> float:
    data = tmp_path / f"survey-{rows}.csv"
    survey(data, rows)
    spec = {
        "name": "memory", "data": data.name, "id_column": "respondent", "instructions": "Code the answer.",
        "input_template": "{answer}", "fields": [{"name": "tone", "type": "category", "choices": ["good", "bad"]}],
        "provider": "openai", "model": "gpt-5.4-mini", "rows_per_request": 5,
    }  # fmt: skip
    command = [sys.executable, "-c", CHILD, str(ROOT), json.dumps(spec), str(tmp_path), str(tmp_path / f"out-{rows}")]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["rows"] == rows
    return float(report["peak_mb"])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from Linux's /proc")
def test_prepare_memory_does_not_grow_with_rows(tmp_path: Path) -> None:
    small = peak_of_prepare(tmp_path, 100_000)
    large = peak_of_prepare(tmp_path, 300_000)  # ~140 MB of CSV
    assert small < PEAK_BOUND_MB and large < PEAK_BOUND_MB, (small, large)
    assert large - small < GROWTH_BOUND_MB, (small, large)
