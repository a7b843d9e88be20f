"""The methods report states the job's real figures, from its history and folder, and never a key."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from app.core.keys import KeyStore
from app.core.research.package import write_package
from app.core.research.report import build_report, write_report
from app.core.research.runs import ComparisonPlan, start_comparison
from app.core.run.engine import Engine
from app.core.simulator import SimulatedService
from tests.research.test_runs import engine, hand_code, run_sample  # noqa: F401 - pytest fixture
from tests.test_lifecycle import make_spec, sim  # noqa: F401 - pytest fixture


def test_report_of_a_demo_job_states_the_real_figures(engine: Engine, tmp_path: Path) -> None:  # noqa: F811
    job_id = run_sample(engine)
    [run] = start_comparison(engine, job_id, ComparisonPlan("repeat", runs=1, rows=8, seed=2))
    engine.run(run)
    hand_code(engine, job_id)
    md = write_report(build_report(engine, job_id), tmp_path / "report.md").read_text(encoding="utf-8")
    folder = engine.job(job_id).folder
    answers = [json.loads(line) for line in (folder / "attempt-1/batch-001/output.jsonl").read_text().splitlines()]
    assert f"model version reported in the provider's responses: {answers[0]['response']['body']['model']}" in md
    for batch in engine.store.batches(job_id):
        assert batch["provider_batch_id"] in md
        created = json.loads((folder / "attempt-1/batch-001/provider-batch.json").read_text())["created_at"]
        assert dt.datetime.fromtimestamp(created, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") in md
    manifest = json.loads((folder / "attempt-1/requests/manifest.json").read_text())
    assert f"| estimate, attempt 1 | {manifest['tokens']['input_total']:,} |" in md
    assert f"${engine.job(job_id).actual_cost or 0:,.2f}" in md
    assert "| coded | 40 (100.0%) |" in md
    assert hashlib.sha256((folder / "input" / "reviews.csv").read_bytes()).hexdigest() in md
    assert "You code customer reviews of a kitchen blender" in md  # the codebook, verbatim
    assert "Across 2 runs on the same 8 texts" in md and "Against 16 hand-coded rows" in md
    assert "| Validation against human coding | reported |" in md
    runs_table = md.split("Each run against the hand-coded rows")[1]  # each run's validation beside the others
    assert f"| {job_id} | 16 |" in runs_table and f"| {run} | " in runs_table
    assert "Motor burnt out on day eight" not in md  # no text of the data unless asked for
    html = write_report(build_report(engine, job_id, example_rows=3), tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Motor burnt out on day eight" in html and "Example rows (3)" in html
    assert 'src="data:image/png;base64,' in html and 'src="http' not in html  # one self-contained file


def test_canary_key_is_in_no_report_or_package(sim: SimulatedService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    canary = "sk-canary-report-5c1e9d0b7a3f2e48"
    sim.scenario.api_key = canary
    keys = KeyStore()
    keys.set("openai", canary)
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    engine = Engine(tmp_path / "home", keys, poll_interval=0.01)
    job_id = engine.create_job(make_spec(tmp_path, rows=4))
    assert engine.run(job_id).state == "done"
    written = [
        write_report(build_report(engine, job_id, example_rows=4), tmp_path / "r.html"),
        write_report(build_report(engine, job_id, example_rows=4), tmp_path / "r.md"),
        write_package(engine, job_id, tmp_path / "p.zip", with_data=True),
    ]
    contents = [p.read_bytes() for p in written]
    with zipfile.ZipFile(written[2]) as archive:
        contents += [archive.read(n) for n in archive.namelist()]
    assert len(contents) > 10
    for data in contents:
        assert canary.encode() not in data and canary[-10:].encode() not in data


def test_report_of_an_anthropic_job_reads_its_results_file(sim: SimulatedService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    engine = Engine(tmp_path / "home", KeyStore(), poll_interval=0.01)
    monkeypatch.setenv("ANTHROPIC_API_KEY", sim.scenario.api_key or "")
    job_id = engine.create_job(make_spec(tmp_path, "anthropic", rows=3))
    assert engine.run(job_id).state == "done"
    folder = engine.job(job_id).folder
    line = json.loads((folder / "attempt-1/batch-001/results.jsonl").read_text().splitlines()[0])
    batch = json.loads((folder / "attempt-1/batch-001/provider-batch.json").read_text())
    md = write_report(build_report(engine, job_id), tmp_path / "r.md").read_text(encoding="utf-8")
    assert f"responses: {line['result']['message']['model']})" in md and "Anthropic Message Batches API" in md
    created = dt.datetime.fromisoformat(batch["created_at"].replace("Z", "+00:00"))
    assert created.strftime("%Y-%m-%d %H:%M:%S UTC") in md and batch["id"] in md
