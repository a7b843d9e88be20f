"""Crash tests: kill a real BatchLab process (SIGKILL) at each lifecycle step, then start it again.

The simulated service runs in this test process, the BatchLab command in a child process that
kills itself at the named checkpoint (``BATCHLAB_CRASH_AT``). Whatever the step, the restarted
command must finish the job with exactly one provider batch and every row coded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.run.engine import Engine
from app.core.simulator import Scenario, SimulatedService
from tests.test_lifecycle import make_spec

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-test-crash-key-00000000000000"
STEPS = {
    "openai": ["prepared", "upload_started", "uploaded_unsaved", "create_started", "created_unsaved", "submitted", "ended", "downloaded", "parsed"],
    "anthropic": ["prepared", "create_started", "created_unsaved", "submitted", "ended", "downloaded", "parsed"],
}
CASES = [(provider, step) for provider, steps in STEPS.items() for step in steps]


@pytest.fixture
def sim() -> Iterator[SimulatedService]:
    service = SimulatedService(scenario=Scenario(progress="polls"), api_key=KEY)
    service.start()
    yield service
    service.stop()


def cli_env(sim: SimulatedService, home: Path) -> dict[str, str]:
    """The environment a real ``python -m app`` process needs to reach the simulated service."""
    return {
        **os.environ,
        "BATCHLAB_HOME": str(home),
        "OPENAI_BASE_URL": sim.openai_base_url,
        "ANTHROPIC_BASE_URL": sim.anthropic_base_url,
        "OPENAI_API_KEY": KEY,
        "ANTHROPIC_API_KEY": KEY,
        "BATCHLAB_POLL_SECONDS": "0.05",
    }


def batchlab(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
@pytest.mark.parametrize(("provider", "step"), CASES)
def test_crash_at_each_step_then_resume(sim: SimulatedService, tmp_path: Path, provider: str, step: str) -> None:
    spec = make_spec(tmp_path, provider, rows=6, rows_per_request=2)
    spec_path = tmp_path / "job.json"
    spec.save(spec_path)
    env = cli_env(sim, tmp_path / "home")
    crashed = batchlab(["run", str(spec_path), "--wait"], {**env, "BATCHLAB_CRASH_AT": step})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr

    resumed = batchlab(["resume", "--wait"], env)
    assert resumed.returncode == 0, resumed.stderr
    [job] = Engine(tmp_path / "home").jobs()
    assert job.state == "done", job.message
    assert job.status_counts["coded"] == 6 and job.rows_total == 6
    stats = sim.stats()
    assert stats["openai_batches" if provider == "openai" else "anthropic_batches"] == 1
    if provider == "openai":
        assert stats["openai_files"] == 2  # one input file (never uploaded twice) and one output file
