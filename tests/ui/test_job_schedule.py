"""The jobs controller's parts on their own: when a job is advanced (JobSchedule) and how its summary
is read again (JobSummaries), against a stand-in engine whose calls wait until the test lets them go."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from app.core.errors import KeyRejectedError
from app.ui.job_schedule import JobSchedule
from app.ui.job_summaries import JobSummaries
from app.ui.task_group import TaskGroup

WAIT = 5_000


class HeldEngine:
    """Counts ``advance`` and ``job`` calls; each waits until ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.advances = 0
        self.reads = 0
        self._lock = threading.Lock()

    def advance(self, job_id: str) -> None:
        with self._lock:
            self.advances += 1
        self.release.wait(WAIT / 1000)
        return None  # nothing more to do for now

    def job(self, job_id: str) -> SimpleNamespace:
        with self._lock:
            self.reads += 1
        self.release.wait(WAIT / 1000)
        return SimpleNamespace(id=job_id, finished=False, created_at=0)


@pytest.fixture
def parts(qtbot) -> Iterator[tuple[HeldEngine, TaskGroup, JobSummaries, JobSchedule]]:  # noqa: ANN001
    engine = HeldEngine()
    tasks = TaskGroup()
    summaries = JobSummaries(lambda: engine, tasks)  # type: ignore[arg-type, return-value]
    schedule = JobSchedule(lambda: engine, tasks, summaries)  # type: ignore[arg-type, return-value]
    yield engine, tasks, summaries, schedule
    engine.release.set()
    qtbot.waitUntil(lambda: not tasks.busy(), timeout=WAIT)


def test_advances_asked_for_during_one_become_one_more(qtbot, parts) -> None:  # noqa: ANN001
    engine, tasks, _summaries, schedule = parts
    schedule.schedule("job-1", 0)
    qtbot.waitUntil(lambda: engine.advances == 1, timeout=WAIT)
    schedule.schedule("job-1", 0)
    schedule.schedule("job-1", 0)
    engine.release.set()
    qtbot.waitUntil(lambda: engine.advances == 2 and not tasks.busy(), timeout=WAIT)
    qtbot.wait(100)
    assert engine.advances == 2  # not three, and no more once the engine asked for no further step


def test_reads_asked_for_during_one_become_one_more(qtbot, parts) -> None:  # noqa: ANN001
    engine, tasks, summaries, _schedule = parts
    with qtbot.waitSignal(summaries.jobs_changed, timeout=WAIT):
        summaries.refresh("job-1")
        qtbot.waitUntil(lambda: engine.reads == 1, timeout=WAIT)
        for _ in range(3):
            summaries.refresh("job-1")
        engine.release.set()
    qtbot.waitUntil(lambda: not tasks.busy(), timeout=WAIT)
    assert engine.reads == 2
    assert [job.id for job in summaries.jobs()] == ["job-1"]


def test_a_job_stopped_on_a_problem_waits_until_released(qtbot, parts) -> None:  # noqa: ANN001
    engine, tasks, summaries, schedule = parts
    engine.release.set()
    summaries.store(SimpleNamespace(id="job-1", finished=False, created_at=0))  # type: ignore[arg-type]
    assert summaries.hold("job-1", KeyRejectedError("The key was rejected."))
    qtbot.waitUntil(lambda: not tasks.busy(), timeout=WAIT)
    schedule.schedule("job-1", 0)
    qtbot.wait(100)
    assert engine.advances == 0 and summaries.stalled() == ["job-1"]
    summaries.release("job-1")
    schedule.schedule("job-1", 0)
    qtbot.waitUntil(lambda: engine.advances == 1 and not tasks.busy(), timeout=WAIT)
    assert summaries.problem("job-1") is None
