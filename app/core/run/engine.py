"""The batch lifecycle as a crash-proof state machine over the job history.

A job moves prepare → upload → submit → poll → download → parse → done; each batch of a job
records its state in SQLite. Before any provider call that creates something (an upload, a
batch), the intent is committed; after a crash anywhere, resuming looks for what was already
created (by file name and size, by the batch's metadata tag, or for Anthropic by time, size and
custom_id prefix) instead of creating it again. Nothing here blocks on a UI; callers run
:meth:`Engine.advance` in a worker thread or :meth:`Engine.run` on a command line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.results.answers import ROW_STATUSES
from app.core.data import Table, load_table
from app.core.errors import JobError, KeyMissingError, ProviderError
from app.core.keys import KeyStore
from app.core.paths import database_path, jobs_dir
from app.core.build.prepare import MANIFEST_FILE, Prepared, plan_rows, prepare, read_index
from app.core.run.providers import LABELS, BatchProvider, BatchStatus, connect
from app.core.results.parse import parse_batch
from app.core.spec import JobSpec, load_spec
from app.core.run.store import Store, now, parse_time

FINAL_STATES = ("done", "failed", "cancelled")
#: Batch states in the order a batch goes through them.
BATCH_FLOW = ("prepared", "uploading", "uploaded", "creating", "submitted", "ended", "downloaded", "parsed")
_FIRST_POLL = 5.0
_RETRY_DELAY = 15.0
_CRASH_ENV = "BATCHLAB_CRASH_AT"


def _checkpoint(name: str) -> None:
    """Fault-injection point for the crash tests: ``BATCHLAB_CRASH_AT=name`` kills the process here."""
    if os.environ.get(_CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class JobSummary:
    """A job as lists and views show it."""

    id: str
    name: str
    provider: str
    model: str
    state: str
    rows_total: int
    status_counts: dict[str, int]
    provider_done: int
    provider_failed: int
    provider_total: int
    created_at: dt.datetime
    finished_at: dt.datetime | None
    estimated_cost: float | None
    actual_cost: float | None
    folder: Path
    message: str
    error: str | None

    @property
    def finished(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def progress(self) -> float:
        """Share of rows with a final status (0..1)."""
        if not self.rows_total:
            return 1.0 if self.finished else 0.0
        return 1 - self.status_counts.get("pending", 0) / self.rows_total


@dataclass
class RowResult:
    """One row's outcome as views and exports show it."""

    row_id: str
    status: str
    reason: str
    values: dict[str, Any]
    input_tokens: int | None
    output_tokens: int | None
    cost: float | None
    attempt: int


class Engine:
    """Creates, advances, cancels, retries and exports jobs; safe to use from several threads."""

    def __init__(
        self,
        home: Path | None = None,
        keys: KeyStore | None = None,
        *,
        poll_interval: float = 30.0,
        listener: Callable[[str], None] | None = None,
    ) -> None:
        self.home = Path(home) if home else None
        self.store = Store(self.home / "batchlab.sqlite3" if self.home else database_path())
        self.keys = keys or KeyStore()
        self.poll_interval = poll_interval
        self.listener = listener
        self._delays: dict[str, float] = {}
        self._providers: dict[str, BatchProvider] = {}

    # ---- creating ----------------------------------------------------------------------------
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
        if table is None:
            table = load_table(spec.data, spec.sheet, progress=progress, should_cancel=should_cancel)
        plan = plan_rows(spec, table)  # before anything is written: a spec that does not fit the data leaves no job
        job_id = self._new_id()
        folder = self._jobs_root() / job_id
        (folder / "input").mkdir(parents=True)
        data_copy = folder / "input" / spec.data.name
        shutil.copy2(spec.data, data_copy)
        saved = JobSpec(**{**spec.__dict__, "data": data_copy})
        saved.save(folder / "spec.json")
        self.store.add_job(
            {
                "id": job_id,
                "name": spec.name,
                "provider": spec.provider,
                "model": spec.model,
                "endpoint": spec.endpoint,
                "state": "preparing",
                "folder": str(folder),
                "rows_total": len(plan.ids),
            }
        )
        self.store.add_rows(job_id, ((rid, pos) for pos, rid in enumerate(plan.ids)))
        blank = [
            {**_empty_record(rid), "status": "invalid", "reason": "the text is blank, so it was not sent"}
            for rid in plan.blank
        ]
        self.store.set_rows(job_id, blank)
        self.store.log(job_id, f"Job created from {spec.data.name}: {len(plan.ids):,} rows.")
        prepared = self._prepare_attempt(job_id, saved, table, 1, None, progress, should_cancel)
        self.store.update_job(
            job_id, state="ready", estimated_cost=prepared.manifest["cost"].get("total"), message="Ready to submit."
        )
        self._notify(job_id)
        return job_id

    def _new_id(self) -> str:
        while True:
            job_id = secrets.token_hex(4)
            if self.store.job(job_id) is None:
                return job_id

    def _prepare_attempt(
        self,
        job_id: str,
        spec: JobSpec,
        table: Table,
        attempt: int,
        only_ids: set[str] | None,
        progress: Callable[[int, int], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> Prepared:
        folder = Path(self.store.job(job_id)["folder"]) / f"attempt-{attempt}"
        prefix = f"{job_id}-a{attempt}"
        prepared = prepare(
            spec,
            folder / "requests",
            table=table,
            prefix=prefix,
            only_ids=only_ids,
            progress=progress,
            should_cancel=should_cancel,
        )
        for seq, info in enumerate(prepared.manifest["files"], start=1):
            self.store.add_batch(
                {
                    "job_id": job_id,
                    "attempt": attempt,
                    "seq": seq,
                    "tag": f"batchlab-{prefix}-{seq:03d}",
                    "input_path": str(Path(f"attempt-{attempt}") / "requests" / info["file"]),
                    "requests": info["requests"],
                    "state": "prepared",
                }
            )
        _checkpoint("prepared")
        self.store.log(
            job_id,
            f"Attempt {attempt}: {prepared.manifest['rows_sent']:,} rows in {prepared.manifest['requests']:,} "
            f"requests, {len(prepared.files)} batch file(s).",
        )
        return prepared

    # ---- reading -----------------------------------------------------------------------------
    def _row(self, job_id: str) -> Any:
        row = self.store.job(job_id)
        if row is None:
            raise JobError(f'There is no job "{job_id}".', "See the list of jobs with `python -m app status`.")
        return row

    def spec(self, job_id: str) -> JobSpec:
        return load_spec(Path(self._row(job_id)["folder"]) / "spec.json")

    def job(self, job_id: str) -> JobSummary:
        row = self._row(job_id)
        counts = {status: 0 for status in ROW_STATUSES} | self.store.status_counts(job_id)
        done = failed = total = 0
        for batch in self.store.batches(job_id):
            c = json.loads(batch["counts"])
            done, failed, total = done + c.get("done", 0), failed + c.get("failed", 0), total + batch["requests"]
        return JobSummary(
            id=row["id"],
            name=row["name"],
            provider=row["provider"],
            model=row["model"],
            state=row["state"],
            rows_total=row["rows_total"],
            status_counts=counts,
            provider_done=done,
            provider_failed=failed,
            provider_total=total,
            created_at=parse_time(row["created_at"]),  # type: ignore[arg-type]
            finished_at=parse_time(row["finished_at"]),
            estimated_cost=row["estimated_cost"],
            actual_cost=self.store.total_cost(job_id),
            folder=Path(row["folder"]),
            message=row["message"],
            error=row["error"],
        )

    def jobs(self) -> list[JobSummary]:
        return [self.job(row["id"]) for row in self.store.jobs()]

    def unfinished(self) -> list[str]:
        return [row["id"] for row in self.store.jobs() if row["state"] not in FINAL_STATES]

    def rows(self, job_id: str, status: str | None = None, offset: int = 0, limit: int = 1000) -> list[RowResult]:
        return [
            RowResult(
                row_id=r["row_id"],
                status=r["status"],
                reason=r["reason"],
                values=json.loads(r["values_json"]) if r["values_json"] else {},
                input_tokens=r["input_tokens"],
                output_tokens=r["output_tokens"],
                cost=r["cost"],
                attempt=r["attempt"],
            )
            for r in self.store.rows(job_id, status, offset, limit)
        ]

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
        """Send the rows that did not succeed again, as a new batch attempt of the same job."""
        row = self._row(job_id)
        if row["state"] not in FINAL_STATES:
            raise JobError("This job is still running; retry its rows once it has finished.")
        spec = self.spec(job_id)
        retry_ids = set(self.store.row_ids_not_coded(job_id))
        blank = {r["row_id"] for r in self.store.rows(job_id, "invalid", 0, 10**9) if r["reason"].startswith("the text is blank")}
        retry_ids -= blank
        if not retry_ids:
            raise JobError("Every row is coded (or has a blank text); there is nothing to retry.")
        attempt = row["attempt"] + 1
        table = load_table(spec.data, spec.sheet)
        self.store.update_job(
            job_id, attempt=attempt, state="preparing", cancel_requested=0, finished_at=None, error=None,
            message=f"Preparing a retry of {len(retry_ids):,} rows…",
        )
        self._prepare_attempt(job_id, spec, table, attempt, retry_ids)
        self.store.log(job_id, f"Retry: {len(retry_ids):,} rows that were not coded go out again.")
        self.store.update_job(job_id, state="ready", message="Retry ready to submit.")
        self._notify(job_id)

    def delete(self, job_id: str) -> None:
        """Remove a finished job from the history and its folder from disk."""
        row = self._row(job_id)
        if row["state"] not in FINAL_STATES + ("ready",):
            raise JobError("This job is still running at the provider. Cancel it first, then delete it.")
        self.store.delete_job(job_id)
        shutil.rmtree(row["folder"], ignore_errors=True)
        self._notify(job_id)

    def export(self, job_id: str, path: Path, *, excel_bom: bool = False) -> Path:
        from app.core.results.export import export_rows

        spec = self.spec(job_id)
        table = load_table(spec.data, spec.sheet)
        return export_rows(self, job_id, spec, table, Path(path), excel_bom=excel_bom)

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
        """Do the next piece of work; seconds until the next call, or None when the job has finished."""
        row = self._row(job_id)
        if row["state"] in FINAL_STATES:
            return None
        if row["state"] == "preparing":
            self._recover_preparing(job_id)
            row = self._row(job_id)
        spec = self.spec(job_id)
        try:
            provider = self._provider(spec)
            waiting = False
            for batch in self.store.batches(job_id):
                waiting |= self._advance_batch(job_id, spec, provider, batch, bool(row["cancel_requested"]))
        except KeyMissingError:
            self._providers.pop(self._provider_key(spec), None)  # the next try reads the (fixed) key again
            raise
        except ProviderError as exc:
            if not exc.temporary:
                self._fail(job_id, exc.message)
                return None
            self.store.update_job(job_id, message=f"Will try again shortly: {exc.message}")
            self.store.log(job_id, f"Temporary problem: {exc.message}")
            self._notify(job_id)
            return min(self.poll_interval, _RETRY_DELAY)
        return self._settle(job_id, spec, waiting)

    def _recover_preparing(self, job_id: str) -> None:
        """A crash while request files were written: write them again (nothing was sent yet)."""
        row = self._row(job_id)
        attempt = row["attempt"]
        batches = [b for b in self.store.batches(job_id) if b["attempt"] == attempt]
        if batches and all((Path(row["folder"]) / b["input_path"]).exists() for b in batches):
            self.store.update_job(job_id, state="ready")
            return
        with self.store.transaction() as db:
            db.execute("DELETE FROM batches WHERE job_id = ? AND attempt = ? AND state = 'prepared'", (job_id, attempt))
        spec = self.spec(job_id)
        only = set(self.store.row_ids_not_coded(job_id)) if attempt > 1 else None
        self._prepare_attempt(job_id, spec, load_table(spec.data, spec.sheet), attempt, only)
        self.store.update_job(job_id, state="ready")

    @staticmethod
    def _provider_key(spec: JobSpec) -> str:
        return f"{spec.provider}|{spec.base_url}|{spec.endpoint}"

    def _provider(self, spec: JobSpec) -> BatchProvider:
        key = self._provider_key(spec)
        if key not in self._providers:
            self._providers[key] = connect(spec.provider, self.keys, base_url=spec.base_url, endpoint=spec.endpoint)
        return self._providers[key]

    def _advance_batch(self, job_id: str, spec: JobSpec, provider: BatchProvider, batch: Any, cancel: bool) -> bool:
        """Move one batch as far as it can go now; True when it is waiting on the provider."""
        folder = Path(self._row(job_id)["folder"])
        state = batch["state"]
        if state in ("parsed", "failed", "cancelled"):
            return False
        if cancel and state in ("prepared", "uploading", "uploaded"):
            self._cancel_unsent(job_id, batch)  # never created at the provider: nothing to wait for
            return False
        path = folder / batch["input_path"]
        if state in ("prepared", "uploading") and provider.needs_upload:
            self._upload(job_id, provider, batch, path)
            batch = self._batch(batch["id"])
            state = batch["state"]
        if state in ("prepared", "uploaded", "creating"):
            self._create(job_id, provider, batch, path, cancel)
            batch = self._batch(batch["id"])
            state = batch["state"]
            if state != "submitted":
                return False
        if state in ("submitted", "cancelling"):
            if cancel and state == "submitted":
                provider.cancel(batch["provider_batch_id"])
                self.store.update_batch(batch["id"], state="cancelling")
                self.store.log(job_id, f"Batch {batch['seq']}: cancel sent to {provider.name}.")
            status = provider.retrieve(batch["provider_batch_id"])
            self._record_status(job_id, batch, status)
            if not status.ended:
                return True
            self._save_provider_state(folder, batch, status)
            self.store.update_batch(batch["id"], state="ended", error=status.error)
            _checkpoint("ended")
            batch = self._batch(batch["id"])
            state = "ended"
        if state == "ended":
            self._set_message(job_id, f"Downloading the results of batch {batch['seq']}…")
            status = provider.retrieve(batch["provider_batch_id"])
            target = folder / f"attempt-{batch['attempt']}" / f"batch-{batch['seq']:03d}"
            target.mkdir(parents=True, exist_ok=True)
            saved = provider.download(status, target)
            self.store.update_batch(batch["id"], state="downloaded")
            self.store.log(job_id, f"Batch {batch['seq']}: downloaded {len(saved)} result file(s).")
            _checkpoint("downloaded")
            state = "downloaded"
            batch = self._batch(batch["id"])
        if state == "downloaded":
            self._parse(job_id, spec, folder, batch)
        return False

    def _batch(self, batch_id: int) -> Any:
        return self.store.db.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()

    def _upload(self, job_id: str, provider: BatchProvider, batch: Any, path: Path) -> None:
        filename = f"{batch['tag']}.jsonl"
        size = path.stat().st_size
        file_id = None
        if batch["state"] == "uploading":  # a crash during an upload: look for the finished upload first
            file_id = provider.find_upload(filename, size)
        if file_id is None:
            self.store.update_batch(batch["id"], state="uploading", upload_started_at=now())
            self._set_message(job_id, f"Uploading batch file {batch['seq']} ({size / 1e6:,.1f} MB)…")
            _checkpoint("upload_started")
            file_id = provider.upload(path, filename)
            _checkpoint("uploaded_unsaved")
        self.store.update_batch(batch["id"], state="uploaded", file_id=file_id)
        self.store.log(job_id, f"Batch {batch['seq']}: uploaded as {file_id}.")

    def _create(self, job_id: str, provider: BatchProvider, batch: Any, path: Path, cancel: bool) -> None:
        """Create the provider batch, unless one was created before a crash (then adopt it)."""
        prefix = batch["tag"].removeprefix("batchlab-").rsplit("-", 1)[0]
        if batch["state"] == "creating":  # a crash around the create call: find the batch before creating another
            since = parse_time(batch["create_started_at"]) or dt.datetime.now(dt.timezone.utc)
            found = provider.find_batch(batch["tag"], since, batch["requests"], prefix)
            if found:
                self.store.update_batch(batch["id"], state="submitted", provider_batch_id=found)
                self.store.log(job_id, f"Batch {batch['seq']}: found {found}, created before the restart; not sent again.")
                return
        if cancel:
            self._cancel_unsent(job_id, batch)
            return
        self.store.update_batch(batch["id"], state="creating", create_started_at=now())
        self._set_message(job_id, f"Submitting batch {batch['seq']} to {provider.name}…")
        _checkpoint("create_started")
        try:
            status = provider.create(batch["tag"], path, batch["file_id"], {"batchlab_tag": batch["tag"], "batchlab_job": job_id})
        except ProviderError as exc:
            if exc.temporary:
                raise
            self.store.update_batch(batch["id"], state="failed", error=exc.message)
            self.store.log(job_id, f"Batch {batch['seq']}: the provider refused it: {exc.message}")
            self._fail_rows_of(job_id, batch, f"the provider refused the batch: {exc.message}")
            return
        _checkpoint("created_unsaved")
        self.store.update_batch(batch["id"], state="submitted", provider_batch_id=status.id, provider_status=status.status)
        self.store.log(job_id, f"Batch {batch['seq']}: submitted as {status.id}.")
        _checkpoint("submitted")

    def _record_status(self, job_id: str, batch: Any, status: BatchStatus) -> None:
        counts = {"done": status.done, "failed": status.failed, "total": status.total}
        changed = json.loads(batch["counts"]) != counts or batch["provider_status"] != status.status
        self.store.update_batch(batch["id"], provider_status=status.status, counts=counts)
        if changed:
            self._delays.pop(job_id, None)
            self._notify(job_id)

    def _save_provider_state(self, folder: Path, batch: Any, status: BatchStatus) -> None:
        target = folder / f"attempt-{batch['attempt']}" / f"batch-{batch['seq']:03d}"
        target.mkdir(parents=True, exist_ok=True)
        (target / "provider-batch.json").write_text(json.dumps(status.raw, indent=2, default=str), encoding="utf-8")

    def _parse(self, job_id: str, spec: JobSpec, folder: Path, batch: Any) -> None:
        self._set_message(job_id, f"Reading the results of batch {batch['seq']} ({batch['requests']:,} requests)…")
        attempt_dir = folder / f"attempt-{batch['attempt']}"
        requests = {cid: rows for cid, seq, rows in read_index(attempt_dir / "requests") if seq == batch["seq"]}
        batch_dir = attempt_dir / f"batch-{batch['seq']:03d}"
        files = [
            (batch_dir / name, f"attempt-{batch['attempt']}/batch-{batch['seq']:03d}/{name}")
            for name in ("output.jsonl", "errors.jsonl", "results.jsonl")
            if (batch_dir / name).exists()
        ]
        parsed = parse_batch(
            spec,
            requests,
            files,
            attempt=batch["attempt"],
            batch_id=batch["id"],
            sink=lambda rows: self.store.set_rows(job_id, rows),
            batch_error=batch["error"],
        )
        if parsed.anomalies:
            self.store.add_anomalies(job_id, batch["id"], parsed.anomalies)
            self.store.log(job_id, f"Batch {batch['seq']}: {len(parsed.anomalies)} answer(s) matched no row; recorded.")
        self.store.update_batch(batch["id"], state="parsed")
        self.store.log(job_id, f"Batch {batch['seq']}: {parsed.rows:,} rows read back.")
        _checkpoint("parsed")

    def _cancel_unsent(self, job_id: str, batch: Any) -> None:
        self.store.update_batch(batch["id"], state="cancelled")
        self._fail_rows_of(job_id, batch, "not sent: the job was cancelled before this batch was submitted")

    def _fail_rows_of(self, job_id: str, batch: Any, reason: str) -> None:
        folder = Path(self._row(job_id)["folder"]) / f"attempt-{batch['attempt']}" / "requests"
        records = [
            {**_empty_record(rid), "status": "failed", "reason": reason, "custom_id": cid, "attempt": batch["attempt"], "batch_id": batch["id"]}
            for cid, seq, rows in read_index(folder)
            if seq == batch["seq"]
            for rid in rows
        ]
        self.store.set_rows(job_id, records)

    def _settle(self, job_id: str, spec: JobSpec, waiting: bool) -> float | None:
        """Work out the job's state from its batches; the delay until the next advance."""
        batches = self.store.batches(job_id)
        row = self._row(job_id)
        states = {b["state"] for b in batches}
        if states <= {"parsed", "failed", "cancelled"}:
            return self._finish(job_id, row, batches)
        summary = self.job(job_id)
        label = LABELS.get(spec.provider, spec.provider)
        if waiting:
            state = "cancelling" if row["cancel_requested"] else "running"
            message = (
                f"Waiting for {label}: {summary.provider_done + summary.provider_failed:,} of "
                f"{summary.provider_total:,} requests done"
            )
            self.store.update_job(job_id, state=state, message=message)
            self._notify(job_id)
            delay = self._delays.get(job_id, min(_FIRST_POLL, self.poll_interval))
            self._delays[job_id] = min(delay * 1.5, self.poll_interval)
            return delay
        self.store.update_job(job_id, state="submitting")
        return 0.0

    def _finish(self, job_id: str, row: Any, batches: list[Any]) -> None:
        leftover = [
            {**_empty_record(r["row_id"]), "status": "missing", "reason": "no answer came back for this row"}
            for r in self.store.rows(job_id, "pending", 0, 10**9)
        ]
        self.store.set_rows(job_id, leftover)
        counts = self.store.status_counts(job_id)
        coded = counts.get("coded", 0)
        if row["cancel_requested"]:
            state, message = "cancelled", f"Cancelled. {coded:,} rows were coded before it stopped."
        elif all(b["state"] == "failed" or b["error"] for b in batches if b["attempt"] == row["attempt"]):
            errors = {b["error"] for b in batches if b["error"]}
            state, message = "failed", "The provider did not run the batch: " + "; ".join(sorted(errors))
        else:
            state = "done"
            others = sum(v for k, v in counts.items() if k != "coded")
            message = f"Finished: {coded:,} rows coded" + (f", {others:,} need attention." if others else ".")
        self.store.update_job(job_id, state=state, message=message, finished_at=now(), error=None if state != "failed" else message)
        self.store.log(job_id, message)
        self._delays.pop(job_id, None)
        self._notify(job_id)
        return None

    def _fail(self, job_id: str, message: str) -> None:
        self.store.update_job(job_id, state="failed", error=message, message=message, finished_at=now())
        self.store.log(job_id, f"Failed: {message}")
        self._notify(job_id)

    def _set_message(self, job_id: str, message: str) -> None:
        self.store.update_job(job_id, message=message)
        self._notify(job_id)

    def _notify(self, job_id: str) -> None:
        if self.listener:
            self.listener(job_id)


def _empty_record(row_id: str) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "status": "pending",
        "reason": "",
        "custom_id": None,
        "attempt": 0,
        "batch_id": None,
        "values_json": None,
        "raw_ref": None,
        "input_tokens": None,
        "output_tokens": None,
        "cost": None,
    }


def manifest_of(job_folder: Path, attempt: int = 1) -> dict[str, Any]:
    """The manifest written when an attempt's request files were prepared."""
    return json.loads((job_folder / f"attempt-{attempt}" / "requests" / MANIFEST_FILE).read_text(encoding="utf-8"))
