"""A provider's results file imported into a job gives exactly the rows the engine's own parse gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.core.errors import ImportFileError
from app.core.research.provider_import import import_results_file
from app.core.run.engine import Engine
from app.core.simulator import SimulatedService
from app.core.simulator.scenario import TextRule
from tests.test_lifecycle import engine, make_spec, sim  # noqa: F401 - pytest fixtures

FIELDS = ("row_id", "status", "reason", "values", "input_tokens", "output_tokens", "cost")


def _rows(engine: Engine, job_id: str) -> list[tuple[object, ...]]:
    return [tuple(getattr(r, k) for k in FIELDS) for r in engine.rows(job_id, limit=10_000)]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_imported_results_equal_the_engines_parse(
    sim: SimulatedService, engine: Engine, tmp_path: Path, provider: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    sim.scenario.text_rules = [TextRule("number 3:", "refusal"), TextRule("number 5:", "error_400"), TextRule("number 6:", "truncated")]
    spec = make_spec(tmp_path, provider, rows=9)
    ran = engine.create_job(spec)
    assert engine.run(ran).state == "done"
    fresh = engine.create_job(spec)  # the same requests, never sent: as if it had been submitted by hand
    downloads = sorted(engine.job(ran).folder.glob("attempt-1/batch-*/*.jsonl"))
    assert downloads
    total = 0
    for i, download in enumerate(downloads):
        console_copy = tmp_path / f"console-{i}.jsonl"  # the file as the provider's console gives it for that job
        console_copy.write_text(download.read_text(encoding="utf-8").replace(f"{ran}-a1-", f"{fresh}-a1-"), encoding="utf-8")
        if i == 0:  # the first file through the command line, as a person would
            monkeypatch.setenv("BATCHLAB_HOME", str(engine.store.path.parent))
            assert main(["import", str(console_copy), "--job", fresh]) == 0
            total += int(capsys.readouterr().out.split("Read ")[1].split(" rows")[0])
        else:
            total += import_results_file(engine, fresh, console_copy)
    assert total == 9
    assert _rows(engine, fresh) == _rows(engine, ran)
    assert {r[1] for r in _rows(engine, fresh)} >= {"coded", "refused", "failed", "truncated"}
    assert engine.job(fresh).state == "done"
    assert f"{fresh}-a1-" in (engine.raw_response(fresh, "d3") or "")
    for mine, theirs in zip(engine.store.batches(fresh), engine.store.batches(ran)):  # billed usage and models as recorded
        assert json.loads(mine["usage"]) == {k: v for k, v in json.loads(theirs["usage"]).items() if v}
        assert json.loads(mine["models"]) == json.loads(theirs["models"])


def test_a_file_of_another_job_or_not_results_is_refused(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:  # noqa: F811
    job_id = engine.create_job(make_spec(tmp_path, rows=2))
    other = tmp_path / "other.jsonl"
    other.write_text('{"custom_id": "ffffffff-a1-000001", "response": {"status_code": 200, "body": {}}}\n', encoding="utf-8")
    with pytest.raises(ImportFileError, match="belong to job"):
        import_results_file(engine, job_id, other)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("not json\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="Line 1"):
        import_results_file(engine, job_id, broken)
    anthropic = tmp_path / "anthropic.jsonl"
    anthropic.write_text(f'{{"custom_id": "{job_id}-a1-000001", "result": {{"type": "succeeded"}}}}\n', encoding="utf-8")
    with pytest.raises(ImportFileError, match="another provider"):
        import_results_file(engine, job_id, anthropic)
    assert engine.job(job_id).state == "ready" and engine.row_count(job_id, "pending") == 2


def test_answers_for_rows_never_sent_are_kept_as_anomalies(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:  # noqa: F811
    sim.scenario.text_rules = [TextRule("number 2:", "invented_id")]
    spec = make_spec(tmp_path, rows=6, rows_per_request=3)
    ran = engine.create_job(spec)
    assert engine.run(ran).state == "done"
    fresh = engine.create_job(spec)
    [download] = engine.job(ran).folder.glob("attempt-1/batch-001/output.jsonl")
    console_copy = tmp_path / "console.jsonl"
    console_copy.write_text(download.read_text(encoding="utf-8").replace(f"{ran}-a1-", f"{fresh}-a1-"), encoding="utf-8")
    import_results_file(engine, fresh, console_copy)
    kinds = [(a["kind"], a["detail"]) for a in engine.anomalies(ran)]
    assert kinds and [(a["kind"], a["detail"]) for a in engine.anomalies(fresh)] == kinds
    assert _rows(engine, fresh) == _rows(engine, ran)
