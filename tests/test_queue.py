"""OpenAI jobs as a queue within the enqueued-token limit; honest progress; no long blocking waits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.core.build import batchfiles
from app.core.run.engine import Engine
from app.core.simulator import SimulatedService
from app.core.simulator.scenario import Fault
from tests.test_lifecycle import engine, make_spec, sim  # noqa: F401 - fixtures


@pytest.fixture
def three_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batch files of 4 requests, so a 12-row job has three batches."""
    monkeypatch.setitem(batchfiles.LIMITS, "openai", batchfiles.BatchLimits(max_requests=4, max_bytes=200 * batchfiles.MB))


def completed_batches(sim: SimulatedService) -> list[str]:
    import openai

    client = openai.OpenAI(api_key=sim.scenario.api_key, base_url=sim.openai_base_url)
    return [b.id for b in client.batches.list(limit=100) if b.status == "completed"]


def test_batches_refused_for_the_queue_limit_are_sent_again(sim: SimulatedService, engine: Engine, tmp_path: Path, three_batches: None) -> None:
    job_id = engine.create_job(make_spec(tmp_path, rows=12))
    one_batch = max((engine.home / "jobs" / job_id / "attempt-1" / "requests" / f"batch-00{i}.jsonl").stat().st_size for i in (1, 2, 3))
    sim.scenario.enqueued_token_limit = one_batch // 4 + 10  # room for one batch's tokens at a time
    job = engine.run(job_id)
    assert job.state == "done" and job.status_counts["coded"] == 12
    records = engine.batch_records(job_id)
    assert len(records) == 3 and len({r["provider_batch_id"] for r in records}) == 3
    assert sorted(completed_batches(sim)) == sorted(r["provider_batch_id"] for r in records)  # no duplicate ran
    assert sim.stats()["openai_batches"] > 3  # some were refused by the queue limit first
    assert any("queue for this model was full" in message for _, message in engine.events(job_id))


def test_the_job_waits_for_the_queue_within_its_budget(sim: SimulatedService, tmp_path: Path, three_batches: None) -> None:
    engine = Engine(tmp_path / "home", poll_interval=0.01, queue_tokens=1)
    job_id = engine.create_job(make_spec(tmp_path, rows=12))
    engine.advance(job_id)
    assert engine.job(job_id).message == "Waiting for the provider's queue (1 of 3 batches submitted)"
    assert sim.stats()["openai_batches"] == 1
    job = engine.run(job_id)
    assert job.status_counts["coded"] == 12 and sim.stats()["openai_batches"] == 3


def test_batch_records_carry_models_and_usage(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    job_id = engine.create_job(make_spec(tmp_path, rows=3))
    engine.run(job_id)
    [record] = engine.batch_records(job_id)
    assert record["provider_batch_id"].startswith("batch_") and record["status"] == "completed"
    assert record["reported_models"] == {"gpt-5.4-mini": 3}
    assert record["usage"]["input_tokens"] > 0 and record["usage"]["output_tokens"] > 0
    assert record["created_at"] and record["ended_at"] and record["counts"]["done"] == 3


def test_anthropic_progress_says_processing_while_counts_stay_zero(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    sim.scenario.polls_per_step = 3
    job_id = engine.create_job(make_spec(tmp_path, "anthropic", rows=5))
    engine.advance(job_id)
    assert engine.job(job_id).message == "Waiting for Anthropic: processing 5 requests"


def test_a_long_retry_after_is_not_waited_out_in_a_blocking_call(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    job_id = engine.create_job(make_spec(tmp_path, rows=2))
    sim.scenario.faults = [Fault(status=429, path_prefix="/v1/files", times=1, retry_after=600)]
    start = time.monotonic()
    delay = engine.advance(job_id)
    assert time.monotonic() - start < 10 and delay == 600
    assert "asked to wait 600 seconds" in engine.job(job_id).message
    assert engine.run(job_id).status_counts["coded"] == 2
