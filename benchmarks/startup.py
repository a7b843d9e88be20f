"""Benchmark: how long BatchLab takes to start, against the targets of issue 11.

    python benchmarks/startup.py [--repeat 5]

Each figure is the median of fresh processes:
- ``--help``: the whole process, start to exit (target ≤ 0.15 s);
- ``prepare``: the time spent importing modules, from ``python -X importtime`` (target ≤ 0.4 s),
  and the whole process on the sample spec for reference; the heaviest imports are listed; then
  loading the tokenizer (target ≤ 0.1 s once BatchLab's cache folder holds its vocabulary) and
  looking up the model's price, with that cache empty and filled;
- the window: from launching ``python -m app`` (offscreen) until its event loop runs with the
  main window shown (target ≤ 1.5 s), with the process's CPU time by then; then, from one
  profiled run, the heaviest imports and widget constructions on the UI thread before the window
  was shown (the engine's imports, made by a worker meanwhile, are not on that path).
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "reviews-openai.json"
#: Runs the app as ``python -m app`` does, and reports once the event loop turns with the window shown
#: (with the CPU time so far); with STARTUP_PROFILE set, the UI thread is profiled until then.
WINDOW_DRIVER = """
import os, sys, time
profile = None
if os.environ.get("STARTUP_PROFILE"):
    import cProfile
    profile = cProfile.Profile()
    profile.enable()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

def shown():
    if profile is not None:
        profile.disable()
        profile.dump_stats(os.environ["STARTUP_PROFILE"])
    print(f"window-shown {time.process_time():.3f}", flush=True)
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


def window_seconds(env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds from launch until the window is shown, and the process's CPU seconds by then."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", WINDOW_DRIVER], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("window-shown"):
            elapsed = time.perf_counter() - start
            process.wait(timeout=60)
            return elapsed, float(line.split()[1])
    raise SystemExit(f"the window never appeared:\n{process.stderr.read() if process.stderr else ''}")


def _module_name(filename: str) -> str | None:
    """BatchLab's modules by their dotted name, other packages by their top-level name (None: neither)."""
    path = Path(filename).with_suffix("")
    if path.is_relative_to(ROOT):
        parts = path.relative_to(ROOT).parts
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    for base in (p for p in path.parents if p.name == "site-packages"):
        return path.relative_to(base).parts[0]
    return None


def _class_of(filename: str, line: int) -> str:
    """The class whose method starts at ``line`` (the profile names only the function)."""
    source = Path(filename).read_text(encoding="utf-8").splitlines()[:line]
    found = [m.group(1) for text in source if (m := re.match(r"class (\w+)", text))]
    return found[-1] if found else Path(filename).stem


def window_costs(env: dict[str, str], top: int = 6) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
    """From one profiled run: the heaviest imports (each with what it imports) and the heaviest
    constructors of app.ui widgets on the UI thread before the window was shown."""
    with tempfile.TemporaryDirectory() as folder:
        profile = str(Path(folder) / "window.prof")
        window_seconds({**env, "STARTUP_PROFILE": profile})
        stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    imports: list[tuple[float, str]] = []
    builds: list[tuple[float, str]] = []
    for (filename, line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.items():
        if name == "<module>" and (module := _module_name(filename)):
            imports.append((cumulative, module))
        elif name == "__init__" and f"{os.sep}app{os.sep}ui{os.sep}" in filename:
            builds.append((cumulative, _class_of(filename, line)))
    heaviest: list[tuple[float, str]] = []
    for seconds, module in sorted(imports, reverse=True):
        if module in ("app.cli", "app.ui.main") or any(m == module or module.startswith(f"{m}.") for _, m in heaviest):
            continue  # the entry points hold everything; a package's own modules are in its figure
        heaviest.append((seconds, module))
    return heaviest[:top], sorted(builds, reverse=True)[:top]


def report_window(env: dict[str, str], runs: int) -> None:
    """The window's line: wall time to the shown window against 1.5 s, and what it spent on."""
    measured = [window_seconds(env) for _ in range(runs)]
    seconds = statistics.median(wall for wall, _ in measured)
    report("window shown (offscreen)", seconds, 1.50)
    print(f"   CPU by then (all threads): {statistics.median(cpu for _, cpu in measured):.3f} s")
    imports, builds = window_costs(env)
    print("   UI thread before it was shown (one profiled run, so slower):")
    print("     imports: " + ", ".join(f"{name} {s:.3f}" for s, name in imports))
    print("     building: " + ", ".join(f"{name} {s:.3f}" for s, name in builds))


#: Loads the tokenizer and prices a model as ``prepare`` does, timing each step.
PARTS_DRIVER = """
import json, sys, time
start = time.perf_counter()
from app.core.build import pricing, tokens
imported = time.perf_counter()
tokens.token_counter("openai", sys.argv[1]).count("warm")
loaded = time.perf_counter()
pricing.batch_price("openai", sys.argv[1]), pricing.model_limits("openai", sys.argv[1])
print(json.dumps({"imports": imported - start, "tokenizer": loaded - imported,
                  "prices": time.perf_counter() - loaded, "genai_prices": "genai_prices" in sys.modules}))
"""


def token_and_price_seconds(env: dict[str, str], model: str) -> dict[str, float | bool]:
    """In a fresh process: importing the token and price modules, loading the tokenizer, pricing the model."""
    result = subprocess.run(
        [sys.executable, "-c", PARTS_DRIVER, model], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout)


def report_prepare(prepare: list[str], env: dict[str, str], runs: int) -> None:
    """The prepare lines: its imports against 0.4 s, the whole process, and its tokenizer and price
    look-up with BatchLab's cache folder empty (a first run) and filled (every later one)."""
    whole_process(prepare, env)  # fills the cache folder, as any earlier run would have
    imports = [import_seconds(prepare, env) for _ in range(runs)]
    report("prepare: imports", statistics.median(s for s, _ in imports), 0.40)
    print("   heaviest: " + ", ".join(f"{name} {s:.3f}" for s, name in imports[-1][1]))
    print(f"{'prepare: whole process (sample)':<34} {statistics.median(whole_process(prepare, env) for _ in range(runs)):6.3f} s")
    model = json.loads(SPEC.read_text(encoding="utf-8"))["model"]
    with tempfile.TemporaryDirectory() as empty:
        cold = token_and_price_seconds({**env, "BATCHLAB_HOME": empty}, model)
    warm = [token_and_price_seconds(env, model) for _ in range(runs)]
    report("prepare: tokenizer (cache filled)", statistics.median(w["tokenizer"] for w in warm), 0.10)
    for part in ("imports", "tokenizer", "prices"):
        print(f"   {part}: {cold[part]:.3f} s with the cache empty, {statistics.median(w[part] for w in warm):.3f} s filled")
    print(f"   genai-prices imported with the cache filled: {'yes' if warm[-1]['genai_prices'] else 'no'}")


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
        report_prepare(prepare, env, runs)
        report_window(env, runs)


if __name__ == "__main__":
    main()
