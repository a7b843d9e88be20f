"""Results are never stranded, and recovery never takes the wrong batch (in-process, real SDKs).

Covers a cancel the provider refuses because the batch had just ended, result files the provider
will not give (404), a create call whose answer is lost after the provider accepted it, another
job's Anthropic batch of the same size, re-reading a batch after a crash, and the job history
under another process's write lock.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path

import pytest

from app.core.errors import AdoptionError, JobBusyError, JobHistoryError
from app.core.run import store as store_module
from app.core.run.engine import Engine
from app.core.run.locks import JobLocks
from app.core.simulator import SimulatedService
from app.core.simulator.scenario import Fault, TextRule
from tests.test_lifecycle import engine, make_spec, sim, statuses  # noqa: F401 - fixtures

BATCHES = {"openai": "openai_batches", "anthropic": "anthropic_batches"}


def provider_batch(engine: Engine, job_id: str, index: int = 0) -> str:
    return engine.store.batches(job_id)[index]["provider_batch_id"]


def finish_at_provider(engine: Engine, job_id: str, batch_id: str) -> None:
    """Let the batch end at the provider without the engine seeing it (each retrieve is one poll)."""
    provider = engine._provider(engine.spec(job_id))
    for _ in range(6):
        if provider.retrieve(batch_id).ended:
            return
    raise AssertionError("the simulated batch did not end")


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_cancel_after_the_provider_ended_codes_every_row(sim: SimulatedService, engine: Engine, tmp_path: Path, provider: str) -> None:
    job_id = engine.create_job(make_spec(tmp_path, provider, rows=6))
    assert engine.advance(job_id) is not None  # submitted
    finish_at_provider(engine, job_id, provider_batch(engine, job_id))
    engine.cancel(job_id)
    job = engine.run(job_id)
    assert job.status_counts["coded"] == 6 and job.status_counts["pending"] == 0
    assert job.state == "cancelled"
    assert any("refused the cancel" in message for _, message in engine.events(job_id))


def test_a_lost_output_file_still_reads_the_error_file(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    sim.scenario.text_rules = [TextRule(contains="number 2:", outcome="error_400")]
    job_id = engine.create_job(make_spec(tmp_path, rows=5))
    sim.scenario.faults = [Fault(status=404, method="GET", path_prefix="/v1/files/", times=1, retry_after=None)]
    job = engine.run(job_id)
    got = statuses(engine, job_id)
    assert got["d2"] == "failed"  # from the error file, which was still downloaded
    assert {got[f"d{i}"] for i in (1, 3, 4, 5)} == {"missing"}
    reasons = {r.row_id: r.reason for r in engine.rows(job_id)}
    assert "did not give the output file" in reasons["d1"]
    assert job.state == "done" and job.status_counts["pending"] == 0
    sim.scenario.text_rules = []
    engine.retry(job_id)  # every row without a usable result goes again
    assert engine.run(job_id).status_counts["coded"] == 5


def test_lost_anthropic_results_leave_rows_missing_with_the_reason(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    job_id = engine.create_job(make_spec(tmp_path, "anthropic", rows=3))
    engine.advance(job_id)
    batch_id = provider_batch(engine, job_id)
    sim.scenario.faults = [Fault(status=404, path_prefix=f"/v1/messages/batches/{batch_id}/results", times=9, retry_after=None)]
    job = engine.run(job_id)
    assert job.status_counts["missing"] == 3
    assert all("did not give the results" in r.reason for r in engine.rows(job_id))


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_create_whose_answer_is_lost_leaves_one_batch(sim: SimulatedService, engine: Engine, tmp_path: Path, provider: str) -> None:
    path = "/v1/batches" if provider == "openai" else "/v1/messages/batches"
    sim.scenario.faults = [Fault(status="lost_response", method="POST", path_prefix=path, times=1)]
    job_id = engine.create_job(make_spec(tmp_path, provider, rows=4))
    job = engine.run(job_id)
    assert job.state == "done" and job.status_counts["coded"] == 4
    assert sim.stats()[BATCHES[provider]] == 1
    assert sim.stats()["faults_fired"] == 1  # the create call was not retried by the SDK
    assert any("created before the restart" in message for _, message in engine.events(job_id))


def _interrupt_before_create(engine: Engine, job_id: str) -> None:
    """As if the process died right after recording its create intent (nothing was sent)."""
    batch = engine.store.batches(job_id)[0]
    engine.store.update_batch(batch["id"], state="creating", create_started_at=store_module.now())


def test_anthropic_recovery_never_adopts_another_jobs_batch(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    job_a = engine.create_job(make_spec(tmp_path, "anthropic", rows=4))
    engine.advance(job_a)  # A's batch exists and is recorded
    job_b = engine.create_job(make_spec(tmp_path, "anthropic", rows=4))
    _interrupt_before_create(engine, job_b)
    b = engine.run(job_b)
    a = engine.run(job_a)
    assert a.status_counts["coded"] == 4 and b.status_counts["coded"] == 4
    assert provider_batch(engine, job_a) != provider_batch(engine, job_b)
    assert sim.stats()["anthropic_batches"] == 2


def test_anthropic_recovery_stops_when_it_cannot_tell_whose_batch_it_is(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    job_a = engine.create_job(make_spec(tmp_path, "anthropic", rows=4))
    engine.advance(job_a)
    lost_id = provider_batch(engine, job_a)
    a_batch = engine.store.batches(job_a)[0]
    engine.store.update_batch(a_batch["id"], state="creating", provider_batch_id=None)  # A died before saving the id
    job_b = engine.create_job(make_spec(tmp_path, "anthropic", rows=4))
    _interrupt_before_create(engine, job_b)
    with pytest.raises(AdoptionError) as info:
        engine.advance(job_b)
    assert lost_id in info.value.message and job_a in info.value.message and job_b in info.value.message
    assert sim.stats()["anthropic_batches"] == 1  # nothing created while it was unclear
    finish_at_provider(engine, job_b, lost_id)  # once ended, its results tell whose it is
    assert engine.run(job_b).status_counts["coded"] == 4
    assert engine.run(job_a).status_counts["coded"] == 4
    assert provider_batch(engine, job_a) == lost_id != provider_batch(engine, job_b)
    assert sim.stats()["anthropic_batches"] == 2


def test_reading_a_batch_again_records_anomalies_once(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    job_id = engine.create_job(make_spec(tmp_path, rows=6, rows_per_request=3))
    sim.scenario.outcomes = {f"{job_id}-a1-000001": "invented_id"}
    engine.run(job_id)
    before = engine.anomalies(job_id)
    assert len(before) == 1
    batch = engine.store.batches(job_id)[0]
    engine.store.update_batch(batch["id"], state="downloaded")  # a crash after the rows, before "parsed"
    engine.store.update_job(job_id, state="running")
    engine.run(job_id)
    assert len(engine.anomalies(job_id)) == 1


def test_a_second_writer_waits_and_readers_go_on(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    job_id = engine.create_job(make_spec(tmp_path, rows=3))
    locks = JobLocks(engine.store)
    token = locks.acquire(job_id)
    assert token is not None
    other = Engine(engine.home, engine.keys, poll_interval=0.01)
    assert other.advance(job_id) is not None  # busy: it only waits
    assert other.job(job_id).state == "ready" and sim.stats()["openai_files"] == 0
    with pytest.raises(JobBusyError):
        other.delete(job_id)
    locks.release(job_id, token)
    assert other.run(job_id).status_counts["coded"] == 3


def test_a_lock_left_by_a_dead_process_is_taken_over(engine: Engine, sim: SimulatedService, tmp_path: Path) -> None:
    job_id = engine.create_job(make_spec(tmp_path, rows=2))
    with engine.store.transaction() as db:
        db.execute("INSERT OR REPLACE INTO locks VALUES (?, 'dead', 999999999, ?, ?)", (job_id, socket.gethostname(), time.time()))
    assert JobLocks(engine.store).holder(job_id) is None
    assert engine.run(job_id).state == "done"


def test_the_history_reads_while_another_process_writes(engine: Engine, sim: SimulatedService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job_id = engine.create_job(make_spec(tmp_path, rows=2))
    writer = sqlite3.connect(engine.store.path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.2)
    reader = Engine(engine.home, engine.keys)
    assert [j.id for j in reader.jobs()] == [job_id]  # opening and reading write nothing
    with pytest.raises(JobHistoryError, match="locked by another BatchLab process"):
        reader.cancel(job_id)
    writer.execute("ROLLBACK")
    writer.close()


def test_a_damaged_history_is_a_plain_error(tmp_path: Path) -> None:
    home = tmp_path / "damaged"
    home.mkdir()
    (home / "batchlab.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(JobHistoryError, match="damaged"):
        Engine(home)
