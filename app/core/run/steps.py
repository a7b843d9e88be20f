"""One batch's way through upload → create → poll → download → parse, as far as it can go now.

Each step commits its intent before the provider call and its outcome after, so any step can be
cut off (crash, timeout, kill) and run again. Whatever the provider answers — a refused cancel
after the batch ended, a result file it no longer has — the batch's real state is read back and
every result file that exists is downloaded; rows without a result end ``missing`` with why.
The caller holds the job's lock: only one process moves a job's batches at a time.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.errors import ProviderError
from app.core.run.checkpoints import checkpoint
from app.core.run.merge import ResultMerger, batch_folder, batch_requests, first_custom_id
from app.core.run.providers import BatchProvider, BatchStatus
from app.core.run.queue import TOKEN_LIMIT, SubmitQueue
from app.core.run.recovery import Adoption
from app.core.run.store import Store, now
from app.core.spec import JobSpec

#: What a batch step reports: nothing more to do now, waiting on the provider, or waiting in the queue.
IDLE, WAITING, QUEUED = "idle", "waiting", "queued"
NOT_SENT = "not sent: the job was cancelled before this batch was submitted"


@dataclass
class Work:
    """The job one advance works on."""

    job: Any  # its store row
    spec: JobSpec
    provider: BatchProvider
    folder: Path

    @property
    def id(self) -> str:
        return self.job["id"]

    @property
    def cancel(self) -> bool:
        return bool(self.job["cancel_requested"])


class BatchSteps:
    """Moves batches; ``say`` shows a message on the job (and notifies listeners)."""

    def __init__(self, store: Store, merger: ResultMerger, queue: SubmitQueue, say: Callable[[str, str], None]) -> None:
        self.store = store
        self.merger = merger
        self.queue = queue
        self.adoption = Adoption(store)
        self.say = say

    def advance(self, work: Work, batch: Any) -> str:
        """Move one batch as far as it can go now."""
        state = batch["state"]
        if state in ("parsed", "failed", "cancelled"):
            return IDLE
        if work.cancel and state in ("prepared", "uploading", "uploaded"):
            self._cancel_unsent(work, batch)  # never created at the provider: nothing to wait for
            return IDLE
        path = work.folder / batch["input_path"]
        if state in ("prepared", "uploading") and work.provider.needs_upload:
            self._upload(work, batch, path)
            batch = self.store.batch(batch["id"])
        if batch["state"] in ("prepared", "uploaded", "creating"):
            outcome = self._submit(work, batch, path)
            batch = self.store.batch(batch["id"])
            if outcome != IDLE or batch["state"] != "submitted":
                return outcome
        if batch["state"] in ("submitted", "cancelling"):
            outcome = self._poll(work, batch)
            if outcome != IDLE:
                return outcome
            batch = self.store.batch(batch["id"])
        if batch["state"] == "ended":
            self._download(work, batch)
            batch = self.store.batch(batch["id"])
        if batch["state"] == "downloaded":
            self._parse(work, batch)
        return IDLE

    # ---- sending -------------------------------------------------------------------------------
    def _upload(self, work: Work, batch: Any, path: Path) -> None:
        filename = f"{batch['tag'].split('~', 1)[0]}.jsonl"
        size = path.stat().st_size
        file_id = None
        if batch["state"] == "uploading":  # a crash during an upload: look for the finished upload first
            file_id = work.provider.find_upload(filename, size)
        if file_id is None:
            self.store.update_batch(batch["id"], state="uploading", upload_started_at=now())
            self.say(work.id, f"Uploading batch file {batch['seq']} ({size / 1e6:,.1f} MB)…")
            checkpoint("upload_started")
            try:
                file_id = work.provider.upload(path, filename)
            except ProviderError as exc:
                if exc.temporary:
                    raise
                self._refused(work, batch, f"the provider refused the upload: {exc.message}")
                return
            checkpoint("uploaded_unsaved")
        self.store.update_batch(batch["id"], state="uploaded", file_id=file_id)
        self.store.log(work.id, f"Batch {batch['seq']}: uploaded as {file_id}.")

    def _submit(self, work: Work, batch: Any, path: Path) -> str:
        """Create the provider batch, unless one was created before a crash or timeout (then adopt it)."""
        if batch["state"] == "creating":
            found = self.adoption.find(work.id, work.provider, work.folder, batch)
            if found:
                self.adoption.adopt(work.id, batch, found)
                return IDLE
        if work.cancel:
            self._cancel_unsent(work, batch)
            return IDLE
        if not self.queue.may_create(work.job, batch):
            return QUEUED
        self.store.update_batch(batch["id"], state="creating", create_started_at=now())
        self.say(work.id, f"Submitting batch {batch['seq']} to {work.provider.name}…")
        checkpoint("create_started")
        metadata = {"batchlab_tag": batch["tag"], "batchlab_job": work.id}
        try:
            status = work.provider.create(batch["tag"], path, batch["file_id"], metadata)
        except ProviderError as exc:
            if exc.temporary:
                raise  # it may have reached the provider: the next advance looks before creating again
            self._refused(work, batch, f"the provider refused the batch: {exc.message}")
            return IDLE
        checkpoint("created_unsaved")
        created = status.created_at.isoformat() if status.created_at else now()
        self.store.update_batch(
            batch["id"], state="submitted", provider_batch_id=status.id, provider_status=status.status, created_at=created
        )
        self.store.log(work.id, f"Batch {batch['seq']}: submitted as {status.id}.")
        checkpoint("submitted")
        return IDLE

    def _refused(self, work: Work, batch: Any, reason: str) -> None:
        self.store.update_batch(batch["id"], state="failed", error=reason)
        self.store.log(work.id, f"Batch {batch['seq']}: {reason}")
        self.merger.fail_rows(work.id, work.folder, batch, reason)

    def _cancel_unsent(self, work: Work, batch: Any) -> None:
        self.store.update_batch(batch["id"], state="cancelled")
        self.merger.fail_rows(work.id, work.folder, batch, NOT_SENT)

    # ---- waiting -------------------------------------------------------------------------------
    def _poll(self, work: Work, batch: Any) -> str:
        if work.cancel and batch["state"] == "submitted":
            self._cancel(work, batch)
        try:
            status = work.provider.retrieve(batch["provider_batch_id"])
        except ProviderError as exc:
            if exc.temporary:
                raise
            self.store.log(work.id, f"Batch {batch['seq']}: the provider would not show it ({exc.message}).")
            self.store.update_batch(batch["id"], state="ended", ended_at=now())  # the download step records why
            return IDLE
        self._record_status(batch, status)
        if not status.ended:
            return WAITING
        if status.error_code == TOKEN_LIMIT and not work.cancel and self.queue.should_requeue(work.job, batch):
            self.queue.requeue(work.id, batch)
            return QUEUED
        folder = batch_folder(work.folder, batch)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "provider-batch.json").write_text(json.dumps(status.raw, indent=2, default=str), encoding="utf-8")
        ended = status.ended_at.isoformat() if status.ended_at else now()
        self.store.update_batch(batch["id"], state="ended", error=status.error, ended_at=ended)
        checkpoint("ended")
        return IDLE

    def _cancel(self, work: Work, batch: Any) -> None:
        """Ask the provider to stop; a refusal (it had just ended) is fine: its real state is read next."""
        try:
            work.provider.cancel(batch["provider_batch_id"])
            self.store.log(work.id, f"Batch {batch['seq']}: cancel sent to {work.provider.name}.")
        except ProviderError as exc:
            if exc.temporary:
                raise
            self.store.log(work.id, f"Batch {batch['seq']}: the provider refused the cancel ({exc.message}); reading its state.")
        self.store.update_batch(batch["id"], state="cancelling")

    def _record_status(self, batch: Any, status: BatchStatus) -> None:
        counts = {"done": status.done, "failed": status.failed, "total": status.total}
        if json.loads(batch["counts"]) != counts or batch["provider_status"] != status.status:
            self.store.update_batch(batch["id"], provider_status=status.status, counts=counts)

    # ---- collecting ----------------------------------------------------------------------------
    def _download(self, work: Work, batch: Any) -> None:
        self.say(work.id, f"Downloading the results of batch {batch['seq']}…")
        target = batch_folder(work.folder, batch)
        target.mkdir(parents=True, exist_ok=True)
        checkpoint("download_started")
        try:
            status = work.provider.retrieve(batch["provider_batch_id"])  # fresh file ids / URLs
        except ProviderError as exc:
            if exc.temporary:
                raise
            lost = [f"the provider no longer has the batch ({exc.message})"]
        else:
            result = work.provider.download(status, target)
            lost = result.lost
            self.store.log(work.id, f"Batch {batch['seq']}: downloaded {len(result.saved)} result file(s).")
        for reason in lost:
            self.store.log(work.id, f"Batch {batch['seq']}: {reason}.")
        self.store.update_batch(batch["id"], state="downloaded", lost=json.dumps(lost) if lost else None)
        checkpoint("downloaded")

    def _parse(self, work: Work, batch: Any) -> None:
        folder = batch_folder(work.folder, batch)
        requests = batch_requests(work.folder, batch)
        first = first_custom_id(folder)
        if first is not None and first not in requests:
            self._disown(work, batch, folder)
            return
        self.say(work.id, f"Reading the results of batch {batch['seq']} ({batch['requests']:,} requests)…")
        self.merger.merge(work.id, work.spec, work.folder, batch, requests)

    def _disown(self, work: Work, batch: Any, folder: Path) -> None:
        """A batch adopted without proof turned out to hold other requests: send this one again."""
        self.store.log(
            work.id,
            f"Batch {batch['seq']}: {batch['provider_batch_id']} holds another job's requests, so it is not this "
            "batch's; it will be sent again.",
        )
        shutil.rmtree(folder, ignore_errors=True)
        self.store.update_batch(
            batch["id"], state="uploaded" if batch["file_id"] else "prepared", provider_batch_id=None,
            provider_status=None, error=None, counts={}, lost=None,
        )
