"""The batch lifecycle as a crash-proof state machine over the job history.

A job moves prepare → upload → submit → poll → download → parse → done; each batch of a job
records its state in SQLite. Before any provider call that creates something (an upload, a
batch), the intent is committed; after a crash or a timeout, resuming looks for what was already
created instead of creating it again (:mod:`~app.core.run.recovery`). A job is advanced by one
process at a time (:mod:`~app.core.run.locks`); every other process only reads it. Nothing here
blocks on a UI; callers run :meth:`Engine.advance` in a worker thread or :meth:`Engine.run` on a
command line. The pieces: :mod:`jobs` (creating, preparing), :mod:`steps` (one batch's steps),
:mod:`merge` (results into rows), :mod:`queue` (OpenAI's enqueued-token limit).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.build.prepare import MANIFEST_FILE
from app.core.data import Table, load_job_table
from app.core.errors import JobError, KeyMissingError, ProviderBusyError, ProviderError
from app.core.keys import KeyStore
from app.core.paths import database_path, jobs_dir
from app.core.results.answers import ROW_STATUSES
from app.core.run.jobs import BLANK_REASON, JobPreparer
from app.core.run.locks import JobLocks
from app.core.run.merge import ResultMerger
from app.core.run.providers import LABELS, BatchProvider, connect
from app.core.run.queue import SubmitQueue
from app.core.run.steps import QUEUED, WAITING, BatchSteps, Work
from app.core.run.store import Store, now, parse_time
from app.core.run.summary import BATCH_FLOW, FINAL_STATES, JobSummary, RowPage, RowResult, read_row_page
from app.core.spec import JobSpec, load_spec

if TYPE_CHECKING:
    from app.core.results.export import ExportSummary

__all__ = ["BATCH_FLOW", "FINAL_STATES", "Engine", "JobSummary", "RowResult", "manifest_of"]
_FIRST_POLL = 5.0
_RETRY_DELAY = 15.0
#: Seconds until another try when a different process holds the job's lock.
_BUSY_DELAY = 1.0


def _row_result(r: Any) -> RowResult:
    return RowResult(
        row_id=r["row_id"], status=r["status"], reason=r["reason"],
        values=json.loads(r["values_json"]) if r["values_json"] else {},
        input_tokens=r["input_tokens"], output_tokens=r["output_tokens"], cost=r["cost"], attempt=r["attempt"],
    )


class Engine:
    """Creates, advances, cancels, retries and exports jobs; safe to use from several threads and processes."""

    def __init__(
        self,
        home: Path | None = None,
        keys: KeyStore | None = None,
        *,
        poll_interval: float = 30.0,
        listener: Callable[[str], None] | None = None,
        queue_tokens: int | None = None,
    ) -> None:
        self.home = Path(home) if home else None
        self.store = Store(self.home / "batchlab.sqlite3" if self.home else database_path())
        self.keys = keys or KeyStore()
        self.poll_interval = poll_interval
        self.listener = listener
        self.locks = JobLocks(self.store)
        self.merger = ResultMerger(self.store)
        self.preparer = JobPreparer(self.store, self.locks, self._jobs_root)
        self.steps = BatchSteps(self.store, self.merger, SubmitQueue(self.store, queue_tokens), self._say)
        self._delays: dict[str, float] = {}
        self._providers: dict[str, BatchProvider] = {}

    def _jobs_root(self) -> Path:
        if self.home:
            root = self.home / "jobs"
            root.mkdir(parents=True, exist_ok=True)
            return root
        return jobs_dir()

    def create_job(
        self,
        spec: JobSpec,
        table: Table | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> str:
        """Save the spec and a copy of the data in a new job folder and write the request files."""
        job_id = self.preparer.create(spec, table, progress, should_cancel)
        self._notify(job_id)
        return job_id

    # ---- reading (never writes: safe while another process advances the job) --------------------
    def _row(self, job_id: str) -> Any:
        row = self.store.job(job_id)
        if row is None:
            raise JobError(f'There is no job "{job_id}".', "See the list of jobs with `python -m app status`.")
        return row

    def spec(self, job_id: str) -> JobSpec:
        """The job's saved spec (checked when the job was made; its data copy may be absent)."""
        return load_spec(Path(self._row(job_id)["folder"]) / "spec.json", require_data=False)

    def job(self, job_id: str) -> JobSummary:
        row = self._row(job_id)
        found, cost = self.store.row_totals(job_id)
        counts = {status: 0 for status in ROW_STATUSES} | found
        done = failed = total = 0
        for batch in self.store.batches(job_id):
            c = json.loads(batch["counts"])
            done, failed, total = done + c.get("done", 0), failed + c.get("failed", 0), total + batch["requests"]
        return JobSummary(
            id=row["id"], name=row["name"], provider=row["provider"], model=row["model"], state=row["state"],
            rows_total=row["rows_total"], status_counts=counts,
            provider_done=done, provider_failed=failed, provider_total=total,
            created_at=parse_time(row["created_at"]),  # type: ignore[arg-type]
            finished_at=parse_time(row["finished_at"]),
            estimated_cost=row["estimated_cost"], actual_cost=cost,
            folder=Path(row["folder"]), message=row["message"], error=row["error"],
        )

    def jobs(self) -> list[JobSummary]:
        return [self.job(row["id"]) for row in self.store.jobs()]

    def unfinished(self) -> list[str]:
        return [row["id"] for row in self.store.jobs() if row["state"] not in FINAL_STATES]

    def rows(self, job_id: str, status: str | None = None, offset: int = 0, limit: int = 1000) -> list[RowResult]:
        return list(map(_row_result, self.store.rows(job_id, status, offset, limit)))

    def each_row(self, job_id: str, status: str | None = None, page: int = 10_000) -> Iterator[RowResult]:
        """Every row (of one status), in input order, read a page at a time: each page starts
        after the last row read, where an offset would pass every earlier row again."""
        after = -1
        while found := self.store.rows(job_id, status, 0, page, after=after):
            yield from map(_row_result, found)
            after = found[-1]["position"]

    def row_page(self, job_id: str, offset: int, limit: int) -> RowPage:
        """A page of rows in input order, read in bulk (the :class:`~app.core.run.summary.StoredRows` read exports use)."""
        return read_row_page(self.store, job_id, offset, limit)

    def row_count(self, job_id: str, status: str | None = None) -> int:
        return self.store.row_count(job_id, status)

    def raw_response(self, job_id: str, row_id: str) -> str | None:
        """The provider's raw result line for a row, read from the job folder on demand."""
        row = self.store.row(job_id, row_id)
        if row is None or not row["raw_ref"]:
            return None
        relative, _, offset = row["raw_ref"].rpartition(":")
        with (Path(self._row(job_id)["folder"]) / relative).open("rb") as handle:
            handle.seek(int(offset))
            return handle.readline().decode("utf-8", errors="replace").strip()

    def events(self, job_id: str) -> list[tuple[dt.datetime, str]]:
        return [(parse_time(e["at"]), e["message"]) for e in self.store.events(job_id)]  # type: ignore[misc]

    def anomalies(self, job_id: str) -> list[dict[str, Any]]:
        return [dict(a) for a in self.store.anomalies(job_id)]

    def batch_records(self, job_id: str) -> list[dict[str, Any]]:
        """Per provider batch: id, times, status, counts, reported model names and usage totals."""
        self._row(job_id)
        return self.merger.records(job_id)

    # ---- actions -----------------------------------------------------------------------------
    def cancel(self, job_id: str) -> None:
        """Record the request to stop; the next :meth:`advance` cancels at the provider and collects what finished."""
        row = self._row(job_id)
        if row["state"] in FINAL_STATES:
            raise JobError("This job has already finished; there is nothing to cancel.")
        self.store.update_job(job_id, cancel_requested=1, message="Cancelling…")
        self.store.log(job_id, "Cancel requested.")
        self._notify(job_id)

    def retry(self, job_id: str) -> None:
        """Send every row without a usable result again, as a new batch attempt of the same job."""
        with self.locks.held(job_id):
            row = self._row(job_id)
            if row["state"] not in FINAL_STATES:
                raise JobError("This job is still running; retry its rows once it has finished.")
            from app.core.research.links import read_only_source  # imported jobs are marked there

            if read_only_source(self.store, job_id):
                raise JobError("This job was imported from a replication package and is read-only.",
                               "To code its rows again, run the package's spec.json as a new job.")
            self.preparer.retry(job_id, row["attempt"] + 1)
        self._notify(job_id)

    def delete(self, job_id: str) -> None:
        """Remove a finished job from the history and its folder from disk."""
        with self.locks.held(job_id):
            row = self._row(job_id)
            if row["state"] not in FINAL_STATES + ("ready",):
                raise JobError("This job is still running at the provider. Cancel it first, then delete it.")
            self.store.delete_job(job_id)
        shutil.rmtree(row["folder"], ignore_errors=True)
        self._notify(job_id)

    def export(self, job_id: str, path: Path, **options: Any) -> ExportSummary:
        """Write the job's rows next to its input columns (options go to the export module); a copy
        of the data changed since the requests were built is reported in the summary's notes."""
        from app.core.results.export import export_rows

        spec = self.spec(job_id)
        table = load_job_table(spec)
        manifest = Path(self._row(job_id)["folder"]) / "attempt-1" / "requests" / MANIFEST_FILE
        record = json.loads(manifest.read_text(encoding="utf-8")).get("data") if manifest.is_file() else None
        return export_rows(self, job_id, spec, table, Path(path), data_record=record, **options)

    # ---- the lifecycle -----------------------------------------------------------------------
    def run(self, job_id: str, wait: bool = True, should_stop: Callable[[], bool] | None = None) -> JobSummary:
        """Advance a job until it finishes (``wait``) or until it waits on the provider."""
        while True:
            delay = self.advance(job_id)
            if delay is None or not wait or (should_stop and should_stop()):
                return self.job(job_id)
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline:
                if should_stop and should_stop():
                    return self.job(job_id)
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def advance(self, job_id: str) -> float | None:
        """Do the next piece of work; seconds until the next call, or None when the job has finished.

        Another process (or thread) holding the job only makes this wait: it reads, and tries again.
        """
        if self._row(job_id)["state"] in FINAL_STATES:
            return None
        token = self.locks.acquire(job_id)
        if token is None:
            return min(_BUSY_DELAY, self.poll_interval)
        try:
            return self._advance_locked(job_id)
        finally:
            self.locks.release(job_id, token)

    def _advance_locked(self, job_id: str) -> float | None:
        row = self._row(job_id)  # read again under the lock: another process may have moved it
        if row["state"] in FINAL_STATES:
            return None
        if row["state"] == "preparing":
            self.preparer.recover(job_id)
            row = self._row(job_id)
        spec = self.spec(job_id)
        try:
            work = Work(row, spec, self._provider(spec), Path(row["folder"]))
            outcomes = [self.steps.advance(work, batch) for batch in self.store.batches(job_id)]
        except KeyMissingError as exc:
            self._providers.pop(self._provider_key(spec), None)  # the next try reads the (fixed) key again
            self._say(job_id, f"Waiting for a working API key: {exc.message}")  # not a stale "Uploading…"
            raise
        except ProviderError as exc:
            if not exc.temporary:
                self._fail(job_id, exc.message)
                return None
            self.store.update_job(job_id, message=f"Will try again shortly: {exc.message}")
            self.store.log(job_id, f"Temporary problem: {exc.message}")
            self._notify(job_id)
            if isinstance(exc, ProviderBusyError):
                return exc.retry_after
            return min(self.poll_interval, _RETRY_DELAY)
        return self._settle(job_id, spec, outcomes)

    @staticmethod
    def _provider_key(spec: JobSpec) -> str:
        return f"{spec.provider}|{spec.base_url}|{spec.endpoint}"

    def _provider(self, spec: JobSpec) -> BatchProvider:
        key = self._provider_key(spec)
        if key not in self._providers:
            self._providers[key] = connect(spec.provider, self.keys, base_url=spec.base_url, endpoint=spec.endpoint)
        return self._providers[key]

    def _settle(self, job_id: str, spec: JobSpec, outcomes: list[str]) -> float | None:
        """Work out the job's state from its batches; the delay until the next advance."""
        batches = self.store.batches(job_id)
        row = self._row(job_id)
        if {b["state"] for b in batches} <= {"parsed", "failed", "cancelled"}:
            return self._finish(job_id, row, batches)
        if WAITING not in outcomes and QUEUED not in outcomes:
            self.store.update_job(job_id, state="submitting")
            return 0.0
        state = "cancelling" if row["cancel_requested"] else "running"
        self.store.update_job(job_id, state=state, message=self._waiting_message(job_id, spec, batches, outcomes))
        self._notify(job_id)
        delay = self._delays.get(job_id, min(_FIRST_POLL, self.poll_interval))
        self._delays[job_id] = min(delay * 1.5, self.poll_interval)
        return delay

    def _waiting_message(self, job_id: str, spec: JobSpec, batches: list[Any], outcomes: list[str]) -> str:
        label = LABELS.get(spec.provider, spec.provider)
        current = [b for b in batches if b["attempt"] == self._row(job_id)["attempt"]]
        if QUEUED in outcomes:
            return SubmitQueue.progress(current)
        summary = self.job(job_id)
        if summary.provider_done + summary.provider_failed == 0 and spec.provider == "anthropic":
            # Anthropic counts requests only as they end (often all at once): no misleading "0 of N".
            running = sum(b["requests"] for b in current if b["state"] in ("submitted", "cancelling"))
            return f"Waiting for {label}: processing {running:,} requests"
        done = summary.provider_done + summary.provider_failed
        return f"Waiting for {label}: {done:,} of {summary.provider_total:,} requests done"

    def _finish(self, job_id: str, row: Any, batches: list[Any]) -> None:
        self.merger.settle_leftovers(job_id)
        counts = self.store.status_counts(job_id)
        coded = counts.get("coded", 0)
        if row["cancel_requested"]:
            state, message = "cancelled", f"Cancelled. {coded:,} rows were coded before it stopped."
        elif all(b["state"] == "failed" or b["error"] for b in batches if b["attempt"] == row["attempt"]):
            errors = {b["error"] for b in batches if b["error"]}
            state, message = "failed", "The provider did not run the batch: " + "; ".join(sorted(errors))
        else:
            state = "done"
            blank = self.store.query_one(  # blank texts were never sent: nothing to attend to
                "SELECT COUNT(*) FROM rows WHERE job_id = ? AND status = 'invalid' AND reason = ?", (job_id, BLANK_REASON)
            )[0]  # type: ignore[index]
            others = sum(v for k, v in counts.items() if k != "coded") - blank
            message = f"Finished: {coded:,} rows coded" + (f", {others:,} need attention" if others else "")
            message += f", {blank:,} blank text{'' if blank == 1 else 's'} not sent." if blank else "."
        self.store.update_job(job_id, state=state, message=message, finished_at=now(), error=message if state == "failed" else None)
        self.store.log(job_id, message)
        self._delays.pop(job_id, None)
        self._notify(job_id)
        return None

    def _fail(self, job_id: str, message: str) -> None:
        self.store.update_job(job_id, state="failed", error=message, message=message, finished_at=now())
        self.store.log(job_id, f"Failed: {message}")
        self._notify(job_id)

    def _say(self, job_id: str, message: str) -> None:
        self.store.update_job(job_id, message=message)
        self._notify(job_id)

    def _notify(self, job_id: str) -> None:
        if self.listener:
            self.listener(job_id)


def manifest_of(job_folder: Path, attempt: int = 1) -> dict[str, Any]:
    """The manifest written when an attempt's request files were prepared."""
    return json.loads((job_folder / f"attempt-{attempt}" / "requests" / MANIFEST_FILE).read_text(encoding="utf-8"))
