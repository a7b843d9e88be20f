"""End to end: the real SDKs against the simulated batch service, through the lifecycle engine."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.run.engine import Engine
from app.core.errors import JobError, KeyRejectedError
from app.core.keys import KeyStore
from app.core.simulator import Scenario, SimulatedService
from app.core.simulator.scenario import Fault, TextRule
from app.core.spec import JobSpec, parse_spec

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-test-lifecycle-key-000000000000"


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatedService]:
    service = SimulatedService(scenario=Scenario(progress="polls"), api_key=KEY)
    service.start()
    monkeypatch.setenv("OPENAI_BASE_URL", service.openai_base_url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", service.anthropic_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    yield service
    service.stop()


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return Engine(tmp_path / "home", KeyStore(), poll_interval=0.01)


def write_data(folder: Path, rows: int) -> Path:
    path = folder / "texts.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["doc", "text"])
        for i in range(1, rows + 1):
            writer.writerow([f"d{i}", f"Text number {i}: the service was slow but the price was fair."])
    return path


def make_spec(tmp_path: Path, provider: str = "openai", rows: int = 12, **changes: object) -> JobSpec:
    raw = {
        "name": f"{provider} job",
        "data": str(write_data(tmp_path, rows)),
        "id_column": "doc",
        "instructions": "Code the text.",
        "input_template": "{text}",
        "fields": [
            {"name": "tone", "type": "category", "choices": ["positive", "neutral", "negative"]},
            {"name": "score", "type": "number", "minimum": 0, "maximum": 1},
            {"name": "quote", "type": "text"},
        ],
        "provider": provider,
        "model": "gpt-5.4-mini" if provider == "openai" else "claude-haiku-4-5",
        "rows_per_request": 1,
        **changes,
    }
    return parse_spec(raw, tmp_path)


def statuses(engine: Engine, job_id: str) -> dict[str, str]:
    return {r.row_id: r.status for r in engine.rows(job_id, limit=10_000)}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_happy_path(sim: SimulatedService, engine: Engine, tmp_path: Path, provider: str) -> None:
    job_id = engine.create_job(make_spec(tmp_path, provider, rows_per_request=3))
    job = engine.run(job_id)
    assert job.state == "done" and job.status_counts["coded"] == 12
    rows = engine.rows(job_id)
    assert [r.row_id for r in rows] == [f"d{i}" for i in range(1, 13)]
    assert all(r.values["tone"] in ("positive", "neutral", "negative") for r in rows)
    assert all(r.input_tokens and r.cost is not None for r in rows)
    assert job.actual_cost and job.actual_cost > 0
    key = "openai_batches" if provider == "openai" else "anthropic_batches"
    assert sim.stats()[key] == 1
    raw = engine.raw_response(job_id, "d5")
    assert raw and json.loads(raw)["custom_id"].startswith(job_id)
    folder = job.folder / "attempt-1"
    assert (folder / "requests" / "batch-001.jsonl").exists()
    assert any((folder / "batch-001").glob("*.jsonl"))


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_every_row_status(sim: SimulatedService, engine: Engine, tmp_path: Path, provider: str) -> None:
    spec = make_spec(tmp_path, provider, rows=7)
    job_id = engine.create_job(spec)
    prefix = f"{job_id}-a1-"
    sim.scenario.outcomes = {
        prefix + "000001": "refusal",
        prefix + "000002": "truncated",
        prefix + "000003": "malformed",
        prefix + "000004": "error_400",
        prefix + "000005": "server_error",
    }
    job = engine.run(job_id)
    got = statuses(engine, job_id)
    assert got == {"d1": "refused", "d2": "truncated", "d3": "invalid", "d4": "failed", "d5": "failed", "d6": "coded", "d7": "coded"}
    reasons = {r.row_id: r.reason for r in engine.rows(job_id)}
    assert "refused" in reasons["d1"] and "cut off" in reasons["d2"] and reasons["d4"].startswith("the provider could not answer")
    assert job.state == "done" and "need attention" in job.message


def test_blank_texts_are_not_counted_as_needing_attention(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    spec = make_spec(tmp_path, rows=4)
    lines = spec.data.read_text("utf-8").splitlines()
    spec.data.write_text("\n".join(lines[:2] + ["d2,   "] + lines[3:]) + "\n", encoding="utf-8")
    job = engine.run(engine.create_job(spec))
    assert statuses(engine, job.id) == {"d1": "coded", "d2": "invalid", "d3": "coded", "d4": "coded"}
    assert job.message == "Finished: 3 rows coded, 1 blank text not sent."


def test_multi_row_answers_map_by_id(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    job_id = engine.create_job(make_spec(tmp_path, rows=9, rows_per_request=3))
    prefix = f"{job_id}-a1-"
    sim.scenario.outcomes = {prefix + "000001": "missing_id", prefix + "000002": "invented_id", prefix + "000003": "duplicate_id"}
    engine.run(job_id)
    counts = engine.job(job_id).status_counts
    assert counts["missing"] == 1 and counts["coded"] == 8
    kinds = sorted(a["kind"] for a in engine.anomalies(job_id))
    assert kinds == ["duplicate_id", "invented_id"]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_compact_rows_are_coded_and_checked_by_id(sim: SimulatedService, engine: Engine, tmp_path: Path, provider: str) -> None:
    texts = {f"d{i}": f"Text number {i}: fine." for i in range(1, 10)}
    texts["d2"] = 'Opening words\n[d3]\nsays "hi"'  # a line that reads like the next row's marker
    texts["d4"] = "[d4]"
    data = tmp_path / "tricky.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["doc", "text"], *texts.items()])
    job_id = engine.create_job(make_spec(tmp_path, provider, rows_per_request=3, row_format="compact", data=str(data)))
    prefix = f"{job_id}-a1-"
    sim.scenario.outcomes = {prefix + "000003": "invented_id"}
    job = engine.run(job_id)
    assert job.status_counts["coded"] == 9 and statuses(engine, job_id) == dict.fromkeys(texts, "coded")
    assert [a["kind"] for a in engine.anomalies(job_id)] == ["invented_id"]
    quotes = {r.row_id: r.values["quote"] for r in engine.rows(job_id)}
    assert quotes["d2"].endswith("Opening words [d3] says \"hi\"") and quotes["d4"].endswith("[d4]")
    line = json.loads((job.folder / "attempt-1" / "requests" / "batch-001.jsonl").read_text().splitlines()[0])
    body = line.get("body") or line["params"]
    user = body["messages"][-1]["content"]
    assert user.startswith("[d1]\n") and "\n\n[d2]\n" in user and "\n [d3]\n" in user


def test_expired_batch_keeps_finished_rows(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    sim.scenario.batch_outcome = "expire"
    job_id = engine.create_job(make_spec(tmp_path, rows=10))
    job = engine.run(job_id)
    counts = job.status_counts
    assert counts["coded"] >= 1 and counts["failed"] >= 1 and counts["coded"] + counts["failed"] == 10
    assert any("expired" in r.reason for r in engine.rows(job_id, "failed"))


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_cancel_keeps_finished_rows(sim: SimulatedService, engine: Engine, tmp_path: Path, provider: str) -> None:
    sim.scenario.polls_per_step = 3
    job_id = engine.create_job(make_spec(tmp_path, provider, rows=6))
    assert engine.advance(job_id) is not None  # submitted, now waiting
    engine.cancel(job_id)
    job = engine.run(job_id)
    assert job.state == "cancelled"
    assert job.status_counts["pending"] == 0
    assert sum(job.status_counts.values()) == 6
    with pytest.raises(JobError):
        engine.cancel(job_id)


def test_cancel_before_submission_sends_nothing(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    job_id = engine.create_job(make_spec(tmp_path, rows=3))
    engine.cancel(job_id)
    job = engine.run(job_id)
    assert job.state == "cancelled" and job.status_counts["failed"] == 3
    assert sim.stats()["openai_batches"] == 0 and sim.stats()["openai_files"] == 0


@pytest.mark.parametrize("outcome", ["validation_failed", "token_limit"])
def test_failed_batch_fails_its_rows_with_the_reason(sim: SimulatedService, engine: Engine, tmp_path: Path, outcome: str) -> None:
    sim.scenario.batch_outcome = outcome
    job_id = engine.create_job(make_spec(tmp_path, rows=4))
    job = engine.run(job_id)
    assert job.state == "failed"
    assert job.status_counts["failed"] == 4
    assert all(r.reason.startswith("the batch failed") for r in engine.rows(job_id))


def test_all_requests_failed_and_only_an_error_file(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    sim.scenario.batch_outcome = "only_error_file"
    job_id = engine.create_job(make_spec(tmp_path, rows=5))
    job = engine.run(job_id)
    assert job.status_counts["failed"] == 5
    assert (job.folder / "attempt-1" / "batch-001" / "errors.jsonl").exists()


def test_rate_limit_and_server_error_storms_are_ridden_out(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    sim.scenario.faults = [
        Fault(status=429, path_prefix="/v1/files", times=3, retry_after=0.01),
        Fault(status=500, path_prefix="/v1/batches", times=6, retry_after=0.01),
        Fault(status=503, path_prefix="/v1/files", method="GET", times=4, retry_after=0.01),
    ]
    job_id = engine.create_job(make_spec(tmp_path, rows=5))
    job = engine.run(job_id)
    assert job.state == "done" and job.status_counts["coded"] == 5
    assert sim.stats()["openai_batches"] == 1
    assert sim.stats()["faults_fired"] == 13


def test_connection_dropped_mid_download_is_retried(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    job_id = engine.create_job(make_spec(tmp_path, rows=5))
    sim.scenario.faults = [Fault(status="drop", method="GET", path_prefix="/v1/files/", times=5)]
    job = engine.run(job_id)
    assert job.state == "done" and job.status_counts["coded"] == 5
    assert not list(job.folder.rglob("*.part"))
    assert any("Temporary problem" in message for _, message in engine.events(job_id))


def test_retry_of_the_failed_rows_merges_into_the_job(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    sim.scenario.text_rules = [TextRule(contains="number 2:", outcome="error_400")]
    job_id = engine.create_job(make_spec(tmp_path, rows=4))
    engine.run(job_id)
    assert statuses(engine, job_id)["d2"] == "failed"
    sim.scenario.text_rules = []
    engine.retry(job_id)
    job = engine.run(job_id)
    assert job.state == "done" and job.status_counts["coded"] == 4
    d2 = [r for r in engine.rows(job_id) if r.row_id == "d2"][0]
    assert d2.attempt == 2
    assert (job.folder / "attempt-2" / "requests" / "batch-001.jsonl").read_text().count("\n") == 1
    with pytest.raises(JobError, match="nothing to retry"):
        engine.retry(job_id)


def test_wrong_key_is_a_plain_message(sim: SimulatedService, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-1234567890")
    job_id = engine.create_job(make_spec(tmp_path, rows=2))
    with pytest.raises(KeyRejectedError) as info:
        engine.run(job_id)
    assert "did not accept the API key" in info.value.message
    assert "sk-wrong" not in str(info.value)
    assert engine.job(job_id).state in ("ready", "submitting")  # nothing lost: fix the key and resume
    assert engine.job(job_id).message.startswith("Waiting for a working API key")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    assert engine.run(job_id).state == "done"


def test_canary_key_is_nowhere_in_the_data_folder(sim: SimulatedService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "sk-canary-7f3a9b2c4d5e6f708192a3b4"
    sim.scenario.api_key = canary
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    home = tmp_path / "home"
    engine = Engine(home, KeyStore(), poll_interval=0.01)
    job_id = engine.create_job(make_spec(tmp_path, rows=3))
    engine.run(job_id)
    engine.export(job_id, tmp_path / "home" / "export.csv")
    assert engine.job(job_id).state == "done"
    for path in home.rglob("*"):
        if path.is_file():
            assert canary.encode() not in path.read_bytes(), path
            assert canary[-8:].encode() not in path.read_bytes(), path


def test_export_csv_and_xlsx(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    import pandas as pd

    raw_data = tmp_path / "weird.csv"
    raw_data.write_text("doc,text,status\nx1,=SUM(A1),a\nx2,-3.5,b\n", encoding="utf-8")
    spec = make_spec(tmp_path, rows=2)
    spec.data = raw_data
    job_id = engine.create_job(spec)
    engine.run(job_id)
    out = engine.export(job_id, tmp_path / "out.csv", excel_bom=True).path
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(frame.columns) == ["doc", "text", "status", "tone", "score", "quote", "batchlab_status", "batchlab_reason"]
    assert frame["text"].tolist() == ["'=SUM(A1)", "-3.5"]
    assert frame["batchlab_status"].tolist() == ["coded", "coded"]
    xlsx = engine.export(job_id, tmp_path / "out.xlsx")
    assert pd.read_excel(xlsx, engine="openpyxl")["tone"].notna().all()


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_automatic_rows_per_request_code_every_row(sim: SimulatedService, engine: Engine, tmp_path: Path, provider: str) -> None:
    job_id = engine.create_job(make_spec(tmp_path, provider, rows=40, rows_per_request="auto"))
    job = engine.run(job_id)
    assert job.state == "done" and job.status_counts["coded"] == 40
    manifest = json.loads((job.folder / "attempt-1" / "requests" / "manifest.json").read_text())
    assert 2 <= manifest["rows_per_request"] <= 20
    assert manifest["requests"] == -(-40 // manifest["rows_per_request"]) and not engine.anomalies(job_id)


def test_each_batch_reads_its_request_index_once_to_parse(
    sim: SimulatedService, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check that the results are this batch's and the parse share one read of its index (a
    million-row batch's index takes a noticeable time to read)."""
    from app.core.run import merge

    reads: list[int] = []
    read_index = merge.read_index
    monkeypatch.setattr(merge, "read_index", lambda folder, file=None: reads.append(file) or read_index(folder, file))
    job_id = engine.create_job(make_spec(tmp_path, rows=12, rows_per_request=3))
    reads.clear()
    assert engine.run(job_id).status_counts["coded"] == 12
    assert reads == [1]
