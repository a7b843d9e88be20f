"""A few corpus cases as real ``python -m app`` processes: whatever escapes ``main`` would show here
as a traceback on stderr, which the in-process runs cannot see."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.badinput.conftest import ROOT, Outcome, assert_plain_failure, base_spec, write_spec


def _app(*argv: str | Path, home: Path) -> Outcome:
    env = {**os.environ, "BATCHLAB_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("BATCHLAB_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-m", "app", *map(str, argv)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    return Outcome(result.returncode, result.stdout, result.stderr)


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("pilot-rows-negative", ("--rows",)),
        ("spec-is-folder", ("is a folder",)),
        ("out-is-file", ("is a file",)),
        ("home-is-file", ("BATCHLAB_HOME",)),
        ("damaged-history", ("damaged",)),
    ],
)
def test_real_process_prints_a_plain_message(tmp_path: Path, workdir: Path, case: str, words: tuple[str, ...]) -> None:
    home = tmp_path / "batchlab-home"
    spec = write_spec(workdir, base_spec())
    argv: tuple[str | Path, ...] = ("prepare", spec, "--out", tmp_path / "out")
    if case == "pilot-rows-negative":
        argv = ("pilot", spec, "--rows", "-3")
    elif case == "spec-is-folder":
        argv = ("prepare", workdir, "--out", tmp_path / "out")
    elif case == "out-is-file":
        argv = ("prepare", spec, "--out", workdir / "reviews.csv")
    elif case == "home-is-file":
        home = workdir / "reviews.csv"
        argv = ("status",)
    elif case == "damaged-history":
        (home / "batchlab.sqlite3").write_bytes(b"not a database\n" * 100)
        argv = ("status", "--no-refresh")
    assert_plain_failure(_app(*argv, home=home), *words)
