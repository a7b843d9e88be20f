"""Benchmark: how long BatchLab takes to start, against the targets of issue 11.

    python benchmarks/startup.py [--repeat 5]

Each figure is the median of fresh processes:
- ``--help``: the whole process, start to exit (target ≤ 0.15 s);
- ``prepare``: the time spent importing modules, from ``python -X importtime`` (target ≤ 0.4 s),
  and the whole process on the sample spec for reference; the heaviest imports are listed;
- the window: from launching ``python -m app`` (offscreen) until its event loop runs with the
  main window shown (target ≤ 1.5 s).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "reviews-openai.json"
#: Runs the app as ``python -m app`` does, and reports once the event loop turns with the window shown.
WINDOW_DRIVER = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

def shown():
    print("window-shown", flush=True)
    QApplication.quit()

_exec = QApplication.exec
QApplication.exec = lambda *a: (QTimer.singleShot(0, shown), _exec())[1]
from app.cli import main
sys.exit(main([]))
"""
_INTERPRETER_START = {"site", "encodings", "_frozen_importlib_external", "zipimport", "codecs", "io", "abc"}


def _env(home: str) -> dict[str, str]:
    return {**os.environ, "BATCHLAB_HOME": home, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1"}


def whole_process(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def import_seconds(args: list[str], env: dict[str, str]) -> tuple[float, list[tuple[float, str]]]:
    """Seconds spent in imports beyond the interpreter's own start, and the heaviest top-level ones."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    top: list[tuple[float, str]] = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(2)) == 1 and match.group(3) not in _INTERPRETER_START:
            top.append((int(match.group(1)) / 1e6, match.group(3)))
    return sum(s for s, _ in top), sorted(top, reverse=True)[:6]


def window_seconds(env: dict[str, str]) -> float:
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", WINDOW_DRIVER], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == "window-shown":
            elapsed = time.perf_counter() - start
            process.wait(timeout=30)
            return elapsed
    raise SystemExit(f"the window never appeared:\n{process.stderr.read() if process.stderr else ''}")


def report(label: str, seconds: float, target: float) -> None:
    verdict = "ok" if seconds <= target else "OVER"
    print(f"{label:<34} {seconds:6.3f} s   target ≤ {target:.2f} s   {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = _env(home)
        out = str(Path(home) / "requests")
        prepare = ["-m", "app", "prepare", str(SPEC), "--out", out]
        whole_process(["-m", "app", "--help"], env)  # warm the disk cache
        runs = max(1, args.repeat)
        report("python -m app --help (process)", statistics.median(whole_process(["-m", "app", "--help"], env) for _ in range(runs)), 0.15)
        imports = [import_seconds(prepare, env) for _ in range(runs)]
        report("prepare: imports", statistics.median(s for s, _ in imports), 0.40)
        print("   heaviest: " + ", ".join(f"{name} {s:.3f}" for s, name in imports[-1][1]))
        print(f"{'prepare: whole process (sample)':<34} {statistics.median(whole_process(prepare, env) for _ in range(runs)):6.3f} s")
        report("window shown (offscreen)", statistics.median(window_seconds(env) for _ in range(runs)), 1.50)


if __name__ == "__main__":
    main()
