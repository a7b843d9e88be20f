"""Two BatchLab processes on one data folder: one writer per job, every other process only reads.

A real ``python -m app run --wait`` is paused mid-step (``BATCHLAB_PAUSE_AT``) while it holds the
job; ``status``, ``status --no-refresh`` and ``resume`` run to their end meanwhile and must crash
nothing and send nothing; once the first process goes on, the job ends with exactly one provider
batch, one upload and every row coded.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.run.engine import Engine
from app.core.simulator import SimulatedService
from tests.test_crash import cli_env, sim  # noqa: F401 - fixture
from tests.test_lifecycle import make_spec

ROOT = Path(__file__).resolve().parents[1]
CASES = [
    ("openai", "prepared"),
    ("openai", "upload_started"),
    ("openai", "create_started"),
    ("openai", "download_started"),
    ("anthropic", "create_started"),
    ("anthropic", "download_started"),
]



def command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "app", *args]


def assert_plain(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr, result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("provider", "step"), CASES)
def test_second_process_during_a_step_sends_nothing_twice(sim: SimulatedService, tmp_path: Path, provider: str, step: str) -> None:
    spec_path = tmp_path / "job.json"
    make_spec(tmp_path, provider, rows=4, rows_per_request=2).save(spec_path)
    release = tmp_path / "go-on"
    env = cli_env(sim, tmp_path / "home")
    first = subprocess.Popen(
        command(["run", str(spec_path), "--wait"]), cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**env, "BATCHLAB_PAUSE_AT": step, "BATCHLAB_PAUSE_FILE": str(release)},
    )
    try:
        deadline = time.monotonic() + 60
        while not Path(f"{release}.reached").exists():
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.05)
        others = [  # side by side, each to its end, while the first process holds the job
            subprocess.Popen(command(args), cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for args in (["status"], ["status", "--no-refresh"], ["resume"])
        ]
        for other in others:
            out, err = other.communicate(timeout=60)
            assert_plain(subprocess.CompletedProcess(other.args, other.returncode, out, err))
        assert first.poll() is None  # the first process still holds the job
        release.touch()
        out, err = first.communicate(timeout=90)
        assert_plain(subprocess.CompletedProcess(first.args, first.returncode, out, err))
    finally:
        release.touch()
        if first.poll() is None:
            first.kill()
    [job] = Engine(tmp_path / "home").jobs()
    assert job.state == "done" and job.status_counts["coded"] == 4, job.message
    stats = sim.stats()
    assert stats["openai_batches" if provider == "openai" else "anthropic_batches"] == 1
    if provider == "openai":
        assert stats["openai_files"] == 2  # one upload, one output file
    assert not list((tmp_path / "home").rglob("*.part"))
