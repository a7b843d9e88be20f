"""Quick pilots through the direct endpoints, and the offline demo job from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from app.core.data import load_table
from app.core.errors import KeyRejectedError
from app.core.keys import KeyStore
from app.core.run.pilot import run_pilot
from app.core.simulator import Scenario, SimulatedService
from app.core.simulator.scenario import TextRule
from tests.test_lifecycle import make_spec

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-test-pilot-key-000000000000000"


@pytest.mark.parametrize(("provider", "endpoint"), [("openai", "chat"), ("openai", "responses"), ("anthropic", "chat")])
def test_pilot_codes_sampled_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider: str, endpoint: str) -> None:
    sim = SimulatedService(scenario=Scenario(text_rules=[TextRule("number 3:", "refusal")]), api_key=KEY)
    sim.start()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", sim.openai_base_url)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", sim.anthropic_base_url)
        keys = KeyStore()
        keys.set(provider, KEY)
        changes = {"endpoint": endpoint} if provider == "openai" else {}
        spec = make_spec(tmp_path, provider, rows=8, **changes)
        results = run_pilot(spec, load_table(spec.data), rows=8, keys=keys)
        assert sorted(r.row_id for r in results) == sorted(f"d{i}" for i in range(1, 9))
        by_id = {r.row_id: r for r in results}
        assert by_id["d3"].status == "refused"
        assert all(r.status == "coded" and r.values["tone"] for k, r in by_id.items() if k != "d3")
        assert sim.stats()["direct_calls"] == 8
        five = run_pilot(spec, load_table(spec.data), rows=5, keys=keys)
        assert len(five) == 5
    finally:
        sim.stop()


def test_pilot_with_a_wrong_key_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = SimulatedService(api_key=KEY)
    sim.start()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", sim.openai_base_url)
        keys = KeyStore()
        keys.set("openai", "sk-wrong-000000000000")
        spec = make_spec(tmp_path, rows=3)
        with pytest.raises(KeyRejectedError, match="did not accept the API key"):
            run_pilot(spec, load_table(spec.data), rows=2, keys=keys)
    finally:
        sim.stop()


def test_demo_job_runs_and_exports_offline_from_the_command_line(tmp_path: Path) -> None:
    env = {**os.environ, "BATCHLAB_HOME": str(tmp_path / "home"), "BATCHLAB_DEMO_STEP_SECONDS": "0.2", "BATCHLAB_POLL_SECONDS": "0.2"}
    run = subprocess.run(
        [sys.executable, "-m", "app", "run", "examples/demo-reviews.json", "--wait"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 0, run.stderr
    assert "40 coded" in run.stdout
    status = subprocess.run([sys.executable, "-m", "app", "status", "--json"], cwd=ROOT, env=env, capture_output=True, text=True)
    [job] = json.loads(status.stdout)
    assert {"id", "name", "provider", "state", "counts"} <= set(job)
    out = tmp_path / "coded.csv"
    export = subprocess.run(
        [sys.executable, "-m", "app", "export", job["id"], "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert export.returncode == 0, export.stderr
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(frame) == 40 and set(frame["batchlab_status"]) == {"coded"}
    assert set(frame["sentiment"]) <= {"positive", "neutral", "negative"}
    assert frame["quote"].str.startswith("[simulated]").all()
