"""Anthropic Message Batches through the official SDK."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import anthropic

from app.core.run.providers.base import BatchStatus, plain_errors, write_stream

_SDK_ERRORS = (anthropic.APIError,)
_AUTH_ERRORS = (anthropic.AuthenticationError, anthropic.PermissionDeniedError)
_LOOKBACK = dt.timedelta(minutes=30)


class AnthropicBatches:
    """One Anthropic account. Batches carry their requests in the create call (no upload)."""

    needs_upload = False
    name = "Anthropic"

    def __init__(self, client: anthropic.Anthropic) -> None:
        self.client = client

    def _errors(self) -> Any:
        return plain_errors(self.name, _SDK_ERRORS, _AUTH_ERRORS)

    def find_upload(self, filename: str, size: int) -> str | None:
        return None

    def upload(self, path: Path, filename: str) -> str:
        raise NotImplementedError("Anthropic batches are sent whole; there is no upload step")

    def create(self, tag: str, path: Path, file_id: str | None, metadata: dict[str, str]) -> BatchStatus:
        with path.open("rb") as handle:
            requests = [json.loads(line) for line in handle]
        with self._errors():
            return self._status(self.client.messages.batches.create(requests=requests))

    def find_batch(self, tag: str, since: dt.datetime, requests: int, custom_id_prefix: str) -> str | None:
        """A batch created before a crash: Anthropic batches have no metadata, so match by creation
        time and size, and (once it has ended) by the custom_id prefix of its results."""
        oldest = since - _LOOKBACK
        with self._errors():
            for batch in self.client.messages.batches.list(limit=100):
                if batch.created_at < oldest:
                    break
                counts = batch.request_counts
                size = counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired
                if size == requests and self._belongs(batch, custom_id_prefix):
                    return batch.id
        return None

    def _belongs(self, batch: Any, prefix: str) -> bool:
        if batch.processing_status != "ended":
            return True  # cannot be inspected yet; time and size match
        for result in self.client.messages.batches.results(batch.id):
            return result.custom_id.startswith(prefix + "-")
        return False

    def retrieve(self, batch_id: str) -> BatchStatus:
        with self._errors():
            return self._status(self.client.messages.batches.retrieve(batch_id))

    def cancel(self, batch_id: str) -> None:
        with self._errors():
            self.client.messages.batches.cancel(batch_id)

    def download(self, status: BatchStatus, folder: Path) -> list[Path]:
        if not status.files:
            return []
        streaming = self.client.messages.batches.with_streaming_response
        with self._errors(), streaming.results(status.id) as response:
            return [write_stream(response.iter_bytes(), folder / "results.jsonl")]

    def direct(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._errors():
            return self.client.messages.create(**body).model_dump(mode="json")

    def models(self) -> list[str]:
        with self._errors():
            return [m.id for m in self.client.models.list()]

    @staticmethod
    def _status(batch: Any) -> BatchStatus:
        counts = batch.request_counts
        total = counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired
        ended = batch.processing_status == "ended"
        return BatchStatus(
            id=batch.id,
            ended=ended,
            status=batch.processing_status,
            done=counts.succeeded,
            failed=counts.errored + counts.canceled + counts.expired,
            total=total,
            created_at=batch.created_at,
            files={"results": batch.results_url} if ended and batch.results_url else {},
            raw=batch.model_dump(mode="json"),
        )
