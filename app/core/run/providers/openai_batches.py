"""OpenAI Files + Batches through the official SDK (also used for OpenAI-compatible servers and the demo)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path
from typing import Any

import openai

from app.core.run.providers.base import BatchStatus, Candidate, Download, plain_errors, write_stream

_ENDED = {"completed", "failed", "expired", "cancelled"}
_FILE_KINDS = {"output": "output file", "errors": "error file"}
_SDK_ERRORS = (openai.APIError,)
_AUTH_ERRORS = (openai.AuthenticationError, openai.PermissionDeniedError)
#: How far back to look for a batch created just before a crash (clock skew and slow calls included).
_LOOKBACK = dt.timedelta(minutes=30)


class OpenAIBatches:
    """One OpenAI-style account: upload, create, poll, download, cancel, direct calls."""

    needs_upload = True

    def __init__(self, client: openai.OpenAI, endpoint_url: str, label: str = "OpenAI") -> None:
        self.client = client
        self.endpoint_url = endpoint_url
        self.name = label

    def _errors(self) -> Any:
        return plain_errors(self.name, _SDK_ERRORS, _AUTH_ERRORS)

    def find_upload(self, filename: str, size: int) -> str | None:
        """An input file this job uploaded before a crash (same name and size), so it is not sent twice."""
        with self._errors():
            for item in self.client.files.list(purpose="batch"):
                if item.filename == filename and item.bytes == size and item.status != "error":
                    return item.id
        return None

    def upload(self, path: Path, filename: str) -> str:
        with self._errors(), path.open("rb") as handle:
            return self.client.files.create(file=(filename, handle, "application/jsonl"), purpose="batch").id

    def create(self, tag: str, path: Path, file_id: str | None, metadata: dict[str, str]) -> BatchStatus:
        assert file_id, "OpenAI batches need an uploaded file"
        # No SDK retry for a call that creates a billed batch: a retried timeout could make a second
        # one. The engine's recorded intent + find_batch decide after a timeout (batch-apis.md, Part C).
        with self._errors():
            batch = self.client.with_options(max_retries=0).batches.create(
                input_file_id=file_id,
                endpoint=self.endpoint_url,  # type: ignore[arg-type]
                completion_window="24h",
                metadata=metadata,
            )
        return self._status(batch)

    def find_batch(self, tag: str, since: dt.datetime, requests: int, custom_ids: frozenset[str]) -> list[Candidate]:
        """The batch created for ``tag`` before a crash, proven by the metadata tag it carries."""
        oldest = (since - _LOOKBACK).timestamp()
        with self._errors():
            for batch in self.client.batches.list(limit=100):
                if (batch.metadata or {}).get("batchlab_tag") == tag:
                    created = dt.datetime.fromtimestamp(batch.created_at, dt.timezone.utc)
                    return [Candidate(batch.id, created, requests, proven=True)]
                if batch.created_at < oldest:
                    break
        return []

    def retrieve(self, batch_id: str) -> BatchStatus:
        with self._errors():
            return self._status(self.client.batches.retrieve(batch_id))

    def cancel(self, batch_id: str) -> None:
        with self._errors():
            self.client.batches.cancel(batch_id)

    def download(self, status: BatchStatus, folder: Path) -> Download:
        """Save the output and error files (present also for failed, expired and cancelled batches);
        one that cannot be had (404) does not stop the other from being read."""
        result = Download()
        for kind, file_id in status.files.items():
            result.fetch(_FILE_KINDS[kind], partial(self._save, file_id, folder / f"{kind}.jsonl"))
        return result

    def _save(self, file_id: str, target: Path) -> Path:
        with self._errors(), self.client.files.with_streaming_response.content(file_id) as response:
            return write_stream(response.iter_bytes(), target)

    def direct(self, body: dict[str, Any]) -> dict[str, Any]:
        """One request through the direct (non-batch) endpoint, for pilots."""
        with self._errors():
            if self.endpoint_url.endswith("/responses"):
                return self.client.responses.create(**body).model_dump(mode="json")
            return self.client.chat.completions.create(**body).model_dump(mode="json")

    def models(self) -> list[str]:
        with self._errors():
            return sorted(m.id for m in self.client.models.list())

    @staticmethod
    def _status(batch: Any) -> BatchStatus:
        counts = batch.request_counts
        error = code = None
        if batch.errors and batch.errors.data:
            first = batch.errors.data[0]
            code = first.code
            where = f" (line {first.line})" if first.line else ""
            error = f"{first.message or first.code}{where}"
            if len(batch.errors.data) > 1:
                error += f"; and {len(batch.errors.data) - 1} more problem(s)"
        files = {}
        if batch.output_file_id:
            files["output"] = batch.output_file_id
        if batch.error_file_id:
            files["errors"] = batch.error_file_id
        return BatchStatus(
            id=batch.id,
            ended=batch.status in _ENDED,
            status=batch.status,
            done=counts.completed if counts else 0,
            failed=counts.failed if counts else 0,
            total=counts.total if counts else 0,
            error=error,
            error_code=code,
            created_at=_time(batch.created_at),
            ended_at=_time(batch.completed_at or batch.failed_at or batch.expired_at or batch.cancelled_at),
            files=files,
            raw=batch.model_dump(mode="json"),
        )


def _time(stamp: int | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc) if stamp else None
