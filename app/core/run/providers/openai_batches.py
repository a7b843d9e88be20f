"""OpenAI Files + Batches through the official SDK (also used for OpenAI-compatible servers and the demo)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openai

from app.core.run.providers.base import BatchStatus, plain_errors, write_stream

_ENDED = {"completed", "failed", "expired", "cancelled"}
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
        with self._errors():
            batch = self.client.batches.create(
                input_file_id=file_id,
                endpoint=self.endpoint_url,  # type: ignore[arg-type]
                completion_window="24h",
                metadata=metadata,
            )
        return self._status(batch)

    def find_batch(self, tag: str, since: dt.datetime, requests: int, custom_id_prefix: str) -> str | None:
        """A batch created for ``tag`` before a crash, found by its metadata tag in the newest batches."""
        oldest = (since - _LOOKBACK).timestamp()
        with self._errors():
            for batch in self.client.batches.list(limit=100):
                if (batch.metadata or {}).get("batchlab_tag") == tag:
                    return batch.id
                if batch.created_at < oldest:
                    break
        return None

    def retrieve(self, batch_id: str) -> BatchStatus:
        with self._errors():
            return self._status(self.client.batches.retrieve(batch_id))

    def cancel(self, batch_id: str) -> None:
        with self._errors():
            self.client.batches.cancel(batch_id)

    def download(self, status: BatchStatus, folder: Path) -> list[Path]:
        """Save the output and error files (present also for failed, expired and cancelled batches)."""
        saved = []
        for kind, file_id in status.files.items():
            with self._errors(), self.client.files.with_streaming_response.content(file_id) as response:
                saved.append(write_stream(response.iter_bytes(), folder / f"{kind}.jsonl"))
        return saved

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
        error = None
        if batch.errors and batch.errors.data:
            first = batch.errors.data[0]
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
            created_at=dt.datetime.fromtimestamp(batch.created_at, dt.timezone.utc),
            files=files,
            raw=batch.model_dump(mode="json"),
        )
