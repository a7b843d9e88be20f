"""Creating jobs and preparing their attempts: the job folder, the row list and the request files.

A new job is registered already locked by its creator, so no other process re-prepares it while
its request files are written; an attempt's batches are registered in one transaction, so a
crash leaves either all of them or none (then preparing simply starts again).
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from app.core.build.prepare import ROW_IDS_FILE, Prepared, prepare, read_row_ids
from app.core.data import Table
from app.core.errors import JobError
from app.core.run.checkpoints import checkpoint
from app.core.run.locks import JobLocks
from app.core.run.store import Store, row_record
from app.core.spec import JobSpec, load_spec

Progress = Callable[[int, int], None]
BLANK_REASON = "the text is blank, so it was not sent"


class JobPreparer:
    """Writes job folders and attempts into a store."""

    def __init__(self, store: Store, locks: JobLocks, jobs_root: Callable[[], Path]) -> None:
        self.store = store
        self.locks = locks
        self.jobs_root = jobs_root

    def create(
        self,
        spec: JobSpec,
        table: Table | None = None,
        progress: Progress | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> str:
        """Save the spec and a copy of the data in a new job folder, write the request files, then
        register the job, its rows and its batches.

        Without ``table`` the rows are read from the data file a chunk at a time (memory stays flat
        however many rows it has); the job's rows reach the history from the list of IDs prepare
        wrote. A spec that does not fit the data (or a cancel) leaves no job and no folder.
        """
        job_id = self._new_id()
        folder = self.jobs_root() / job_id
        (folder / "input").mkdir(parents=True)
        ids_file = folder / "attempt-1" / ROW_IDS_FILE
        try:
            data_copy = folder / "input" / spec.data.name
            shutil.copy2(spec.data, data_copy)
            saved = JobSpec(**{**spec.__dict__, "data": data_copy})
            saved.save(folder / "spec.json")
            prepared = self._prepare(job_id, folder, saved, table, 1, None, progress, should_cancel, ids_file)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        manifest = prepared.manifest
        claim = self.locks.claim()
        job = {
            "id": job_id, "name": spec.name, "provider": spec.provider, "model": spec.model,
            "endpoint": spec.endpoint, "state": "preparing", "folder": str(folder), "rows_total": manifest["rows_total"],
        }
        self.store.add_job(job, lock=claim)
        try:
            self.store.add_rows(job_id, ((rid, pos) for pos, rid in enumerate(read_row_ids(ids_file))))
            blank = manifest["rows_not_sent"]["blank_text"]
            self.store.set_rows(job_id, [row_record(rid, "invalid", BLANK_REASON) for rid in blank])
            self.store.log(job_id, f"Job created from {spec.data.name}: {manifest['rows_total']:,} rows.")
            self._register(job_id, 1, prepared)
            self.store.update_job(
                job_id, state="ready", estimated_cost=manifest["cost"].get("total"), message="Ready to submit."
            )
        finally:
            self.locks.release(job_id, claim[0])
        return job_id

    def _new_id(self) -> str:
        while True:
            job_id = secrets.token_hex(4)
            if self.store.job(job_id) is None:
                return job_id

    def attempt(
        self,
        job_id: str,
        spec: JobSpec,
        table: Table | None,
        attempt: int,
        only_ids: set[str] | None,
        progress: Progress | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> Prepared:
        """Write an attempt's request files and register its batches (the caller holds the job's lock).
        Without ``table`` the job's copy of the data is read a chunk at a time."""
        folder = Path(self.store.job(job_id)["folder"])  # type: ignore[index]
        prepared = self._prepare(job_id, folder, spec, table, attempt, only_ids, progress, should_cancel)
        self._register(job_id, attempt, prepared)
        return prepared

    @staticmethod
    def _prepare(
        job_id: str, folder: Path, spec: JobSpec, table: Table | None, attempt: int, only_ids: set[str] | None,
        progress: Progress | None, should_cancel: Callable[[], bool] | None, ids_file: Path | None = None,
    ) -> Prepared:
        return prepare(
            spec, folder / f"attempt-{attempt}" / "requests", table=table, prefix=f"{job_id}-a{attempt}",
            only_ids=only_ids, progress=progress, should_cancel=should_cancel, row_ids=ids_file,
        )  # fmt: skip

    def _register(self, job_id: str, attempt: int, prepared: Prepared) -> None:
        """Register an attempt's batches in one transaction."""
        prefix = f"{job_id}-a{attempt}"
        files = prepared.manifest["files"]
        total_tokens = prepared.manifest.get("tokens", {}).get("input_total") or 0
        requests = sum(info["requests"] for info in files) or 1
        self.store.add_batches([
            {
                "job_id": job_id,
                "attempt": attempt,
                "seq": seq,
                "tag": f"batchlab-{prefix}-{seq:03d}",
                "input_path": str(Path(f"attempt-{attempt}") / "requests" / info["file"]),
                "requests": info["requests"],
                "input_tokens": round(total_tokens * info["requests"] / requests),
                "state": "prepared",
            }
            for seq, info in enumerate(files, start=1)
        ])
        checkpoint("prepared")
        self.store.log(
            job_id,
            f"Attempt {attempt}: {prepared.manifest['rows_sent']:,} rows in {prepared.manifest['requests']:,} "
            f"requests, {len(prepared.files)} batch file(s).",
        )

    def recover(self, job_id: str) -> None:
        """A crash while request files were written: write them again (nothing was sent yet)."""
        row = self.store.job(job_id)
        assert row is not None
        attempt = row["attempt"]
        batches = [b for b in self.store.batches(job_id) if b["attempt"] == attempt]
        if not (batches and all((Path(row["folder"]) / b["input_path"]).exists() for b in batches)):
            with self.store.transaction() as db:
                db.execute("DELETE FROM batches WHERE job_id = ? AND attempt = ? AND state = 'prepared'", (job_id, attempt))
            spec = load_spec(Path(row["folder"]) / "spec.json")
            only = set(self.store.row_ids_to_retry(job_id)) if attempt > 1 else None
            self.attempt(job_id, spec, None, attempt, only)
        self.store.update_job(job_id, state="ready")

    def retry(self, job_id: str, attempt: int) -> int:
        """Prepare attempt ``attempt`` with every row that has no usable result; how many rows go."""
        retry_ids = set(self.store.row_ids_to_retry(job_id))
        if not retry_ids:
            raise JobError("Every row is coded (or has a blank text); there is nothing to retry.")
        spec = load_spec(Path(self.store.job(job_id)["folder"]) / "spec.json")  # type: ignore[index]
        self.store.update_job(
            job_id, attempt=attempt, state="preparing", cancel_requested=0, finished_at=None, error=None,
            message=f"Preparing a retry of {len(retry_ids):,} rows…",
        )
        self.attempt(job_id, spec, None, attempt, retry_ids)
        self.store.log(job_id, f"Retry: {len(retry_ids):,} rows that were not coded go out again.")
        self.store.update_job(job_id, state="ready", message="Retry ready to submit.")
        return len(retry_ids)
