"""Installing as the README says, into a fresh virtual environment, gives an app that starts.

One venv, two installs: ``pip install .`` first (a wheel: the icon and sample project must be in
it), then the README's ``pip install -e .``. After each, ``python -m app --version`` answers and the
window comes up offscreen. Slow (about a minute and a half: every dependency is installed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.startup import WINDOW_DRIVER

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(args: list[str | Path], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _starts(python: Path, cwd: Path) -> None:
    assert _run([python, "-m", "app", "--version"], cwd).stdout.strip().startswith("BatchLab ")
    assert "window-shown" in _run([python, "-c", WINDOW_DRIVER], cwd, timeout=120).stdout


def test_fresh_venv_install_starts(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], tmp_path)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # --no-compile: byte-compiling every dependency would double the time and tests nothing of ours
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]

    _run([*pip, ROOT], tmp_path)
    where = _run([python, "-c", "import app, app.core.paths as p; print(app.__file__); print(p.resources_dir())"], tmp_path)
    package_file, resources = where.stdout.split("\n")[:2]
    assert Path(package_file).is_relative_to(venv), "the wheel install was not the one imported"
    assert (Path(resources) / "sample" / "reviews-demo.json").is_file()
    assert (Path(resources) / "icon.svg").is_file()
    _starts(python, tmp_path)

    _run([*pip, "-e", ROOT], tmp_path)  # the README's command
    assert (venv / "bin" / "batchlab").exists() or os.name == "nt"
    _starts(python, tmp_path)
