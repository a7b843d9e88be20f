"""The one place that runs jobs: owns the Engine and schedules its blocking calls off the UI thread.

Every engine call that touches the network or the disk runs as a :class:`~app.ui.tasks.Task`;
when each job is advanced is :class:`~app.ui.job_schedule.JobSchedule`'s part, and the summaries
screens read (kept fresh from the engine's listener) :class:`~app.ui.job_summaries.JobSummaries`'.
Screens read the cached summaries and react to the signals; they never wait on the engine.

Without an engine given, the controller makes one on first use: :meth:`start` does that in a
worker, because importing the engine (pandas, the pricing data, the SDK adapters) takes a second
that the window should not wait for.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.core.errors import BatchLabError
from app.ui.job_schedule import JobSchedule
from app.ui.job_summaries import JobSummaries
from app.ui.task_group import TaskGroup
from app.ui.tasks import HEAVY_IMPORTS, Task, TaskContext, is_cancellation

if TYPE_CHECKING:
    from app.core.data import Table
    from app.core.keys import KeyStore
    from app.core.results.export import ExportSummary
    from app.core.run.engine import Engine, JobSummary
    from app.core.spec import JobSpec


class JobsController(QObject):
    """Creates, advances, cancels, retries, deletes and exports jobs in the background."""

    job_changed = Signal(str)  # a job's summary (or its problem) changed
    jobs_changed = Signal()  # a job was added or removed
    job_finished = Signal(str)  # a job reached done, failed or cancelled while the app watched
    job_created = Signal(str)  # a job submitted through submit() exists and is on its way
    exported = Signal(str, str)  # job id, path written
    error = Signal(str, object)  # job id ("" when none), BatchLabError to show
    providers_loaded = Signal()  # the batch SDK is imported (see preload_providers)

    def __init__(
        self, engine: Engine | None = None, *, poll_interval: float | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._keys: KeyStore | None = None
        self._started = False
        self._poll_interval = poll_interval or 30.0
        self._tasks = TaskGroup(self)
        self._summaries = JobSummaries(lambda: self.engine, self._tasks, self)
        self._schedule = JobSchedule(lambda: self.engine, self._tasks, self._summaries, self)
        self._summaries.job_changed.connect(self.job_changed)
        self._summaries.jobs_changed.connect(self.jobs_changed)
        self._summaries.job_finished.connect(self.job_finished)
        self._schedule.stopped.connect(self.error)
        if engine is not None:
            self._attach(engine, poll_interval)

    def _attach(self, engine: Engine, poll_interval: float | None) -> None:
        if poll_interval is not None:
            engine.poll_interval = poll_interval
        engine.listener = self._summaries.listen
        self._keys = engine.keys
        self._engine = engine

    # ---- reading (cached, never blocks) --------------------------------------------------------
    @property
    def engine(self) -> Engine:
        """For quick local reads (a page of rows, a spec); never call blocking methods on the UI thread.

        Made on first use (by :meth:`start`'s worker, normally); a screen that needs it sooner
        waits for that worker rather than importing the same modules beside it."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    with HEAVY_IMPORTS:
                        from app.core.run.engine import Engine
                    self._attach(Engine(keys=self._keys, poll_interval=self._poll_interval), None)
        assert self._engine is not None
        return self._engine

    def wait_for_engine(self) -> None:
        """Make the engine now, or wait for the worker making it. Screens whose modules the engine
        imports too call this before importing them, so no module is imported by two threads at once."""
        self.engine  # noqa: B018 - the property makes it

    @property
    def keys(self) -> KeyStore:
        """The API keys (the engine's store). Asked for before :meth:`start` — a draft restored as the
        window is built — the store is made on its own and handed to the engine later, so the window
        does not wait for the engine; once started, this waits for the engine like any screen."""
        if self._started:
            return self.engine.keys
        if self._keys is None:
            from app.core.keys import KeyStore

            self._keys = KeyStore()
        return self._keys

    @property
    def home(self) -> Path | None:
        """The data folder the engine was given (None: the default one), known without making the engine."""
        return self._engine.home if self._engine is not None else None

    def loaded(self) -> bool:
        """Whether the job history has been read (until then an empty job list means "not known yet")."""
        return self._summaries.loaded()

    def jobs(self) -> list[JobSummary]:
        """Every known job, newest first."""
        return self._summaries.jobs()

    def job(self, job_id: str) -> JobSummary | None:
        return self._summaries.job(job_id)

    def problem(self, job_id: str) -> BatchLabError | None:
        """Why a job stopped moving (a rejected key, say) until it is resumed; None when it is fine."""
        return self._summaries.problem(job_id)

    def is_busy(self) -> bool:
        """Whether any background work is still running (tests and shutdown wait on this)."""
        return self._tasks.busy()

    # ---- starting and stopping -----------------------------------------------------------------
    def start(self) -> None:
        """Load the job list and resume every unfinished job (making the engine first, in the same worker)."""
        self._started = True

        def loaded(jobs: list[JobSummary]) -> None:
            self._summaries.load(jobs)
            for job in jobs:
                if not job.finished:
                    self._schedule.schedule(job.id, 0)

        self._task(lambda ctx: self.engine.jobs(), loaded)

    def preload_providers(self) -> None:
        """Import the OpenAI SDK (the Demo's too) now, in the background, while the window is idle.

        Otherwise the first job imports it on its way out: a second or more, in stretches that hold
        Python's lock while the window follows the job. Should it fail, the job says why later.
        """

        def work(_ctx: TaskContext) -> None:
            with HEAVY_IMPORTS:
                importlib.import_module("app.core.run.providers.openai_batches")

        self._tasks.run(work, lambda _: self.providers_loaded.emit(), lambda _error: None)

    def shutdown(self) -> None:
        """Stop scheduling; work already running finishes on its own (the engine resumes safely)."""
        self._schedule.stop()
        self._summaries.close()

    def set_poll_interval(self, seconds: float) -> None:
        self._poll_interval = seconds
        if self._engine is not None:
            self._engine.poll_interval = seconds

    # ---- actions -------------------------------------------------------------------------------
    def submit(
        self,
        spec: JobSpec,
        table: Table | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
        finished: Callable[[], None] | None = None,
    ) -> Task:
        """Write the request files and start the job; emits ``job_created``. Cancel with ``task.cancel()``.

        ``progress`` and ``finished`` (called however it ended) are connected before the work starts,
        so a progress window never misses its end.
        """

        def work(ctx: TaskContext) -> JobSummary:
            job_id = self.engine.create_job(spec, table, progress=ctx.progress, should_cancel=ctx.should_cancel)
            return self.engine.job(job_id)

        def created(summary: JobSummary) -> None:
            self._summaries.store(summary)
            self.job_created.emit(summary.id)
            self._schedule.schedule(summary.id, 0)

        return self._task(work, created, progress=progress, finished=finished)

    def cancel(self, job_id: str) -> Task:
        """Ask the provider to stop; rows already coded are kept. Also ends a job stopped on a problem."""
        return self._task(lambda ctx: self.engine.cancel(job_id), lambda _: self.resume(job_id), job_id)

    def retry(self, job_id: str) -> Task:
        """Send the rows that were not coded again, as a new attempt of the same job."""
        return self._task(lambda ctx: self.engine.retry(job_id), lambda _: self._schedule.schedule(job_id, 0), job_id)

    def resume(self, job_id: str) -> None:
        """Try a stopped job again (after fixing its key, say)."""
        self._summaries.release(job_id)
        self._schedule.schedule(job_id, 0)

    def resume_stalled(self) -> None:
        """Try every job that stopped on a problem again."""
        for job_id in self._summaries.stalled():
            self.resume(job_id)

    def delete(self, job_id: str) -> Task:
        """Remove a finished job and its folder."""
        return self._task(lambda ctx: self.engine.delete(job_id), lambda _: self._summaries.forget(job_id), job_id)

    def export(
        self,
        job_id: str,
        path: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        done: Callable[[ExportSummary], None] | None = None,
        failed: Callable[[BatchLabError], None] | None = None,
        finished: Callable[[], None] | None = None,
        **options: Any,
    ) -> Task:
        """Write the coded rows to .csv or .xlsx (``options`` go to the engine's export) and emit
        ``exported``. Without ``failed``, a failure goes out through ``error``; cancel with the Task."""

        def work(ctx: TaskContext) -> ExportSummary:
            from app.core.research.links import require_data_to_export

            require_data_to_export(self.engine.store, job_id, self.engine.spec(job_id).data)
            return self.engine.export(
                job_id, Path(path), progress=ctx.progress, should_cancel=ctx.should_cancel, **options
            )

        def written(summary: ExportSummary) -> None:
            self.exported.emit(job_id, str(summary.path))
            if done is not None:
                done(summary)

        if failed is None:
            return self._task(work, written, job_id, progress, finished)
        return self._tasks.run(work, written, failed, progress, finished)

    # ---- running background work ---------------------------------------------------------------
    def _task(
        self,
        work: Callable[[TaskContext], Any],
        done: Callable[[Any], None],
        job_id: str = "",
        progress: Callable[[int, int], None] | None = None,
        finished: Callable[[], None] | None = None,
    ) -> Task:
        """An action the person asked for: failures go out through ``error`` (a stop request does not)."""

        def failed(error: BatchLabError) -> None:
            if not is_cancellation(error):
                self.error.emit(job_id, error)

        return self._tasks.run(work, done, failed, progress, finished)
