"""Anthropic Message Batches through the official SDK."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
from anthropic.types.messages import MessageBatch

from app.core.build.batchfiles import READ_BUFFER
from app.core.run.providers.base import BatchStatus, Candidate, Download, plain_errors, write_stream

_SDK_ERRORS = (anthropic.APIError,)
_AUTH_ERRORS = (anthropic.AuthenticationError, anthropic.PermissionDeniedError)
_LOOKBACK = dt.timedelta(minutes=30)
_HEAD, _TAIL = b'{"requests":[', b"]}"


def request_body(path: Path) -> tuple[Iterator[bytes], int]:
    """The create call's JSON body streamed from the request file's own bytes, and its length.

    Each line of the file is one request object as it will be sent, so the body is the lines joined
    by commas inside ``{"requests": [...]}``: no request is turned back into Python objects (that
    cost seconds and hundreds of MB at 100k requests) and the bytes sent are the bytes prepared.
    """
    lines = newlines = 0
    with path.open("rb", buffering=READ_BUFFER) as handle:
        for raw in handle:
            lines += 1
            newlines += raw.endswith(b"\n")
    size = len(_HEAD) + path.stat().st_size - newlines + max(lines - 1, 0) + len(_TAIL)

    def chunks() -> Iterator[bytes]:
        yield _HEAD
        with path.open("rb", buffering=READ_BUFFER) as handle:
            for n, raw in enumerate(handle):
                yield (b"," if n else b"") + raw.rstrip(b"\n")
        yield _TAIL

    return chunks(), size


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
        """Send the request file as the body of ``POST /v1/messages/batches`` (the SDK's raw-content path).

        No SDK retry: a retried timeout could create a second billed batch; the engine's recorded
        intent and :meth:`find_batch` decide after a timeout (batch-apis.md, Part C).
        """
        body, size = request_body(path)
        headers = {"Content-Type": "application/json", "Content-Length": str(size)}
        with self._errors():
            batch = self.client.with_options(max_retries=0).post(
                "/v1/messages/batches", cast_to=MessageBatch, content=body, options={"headers": headers}
            )
        return self._status(batch)

    def find_batch(self, tag: str, since: dt.datetime, requests: int, custom_ids: frozenset[str]) -> list[Candidate]:
        """Batches that may be this one, created before a crash.

        Anthropic batches carry no metadata, so the candidates are the batches of the same size
        created since the intent was recorded. An ended one is proven (or ruled out) by the
        custom_ids of its results, which name the job, attempt and request; one still running
        cannot be inspected and comes back unproven — the caller decides, never this guess.
        """
        oldest = since - _LOOKBACK
        found = []
        with self._errors():
            for batch in self.client.messages.batches.list(limit=100):
                if batch.created_at < oldest:
                    break
                counts = batch.request_counts
                size = counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired
                if size != requests:
                    continue
                if batch.processing_status != "ended":
                    found.append(Candidate(batch.id, batch.created_at, size, proven=False))
                elif self._results_match(batch.id, custom_ids):
                    found.append(Candidate(batch.id, batch.created_at, size, proven=True))
        return found

    def _results_match(self, batch_id: str, custom_ids: frozenset[str]) -> bool:
        for result in self.client.messages.batches.results(batch_id):
            return result.custom_id in custom_ids
        return False

    def retrieve(self, batch_id: str) -> BatchStatus:
        with self._errors():
            return self._status(self.client.messages.batches.retrieve(batch_id))

    def cancel(self, batch_id: str) -> None:
        with self._errors():
            self.client.messages.batches.cancel(batch_id)

    def download(self, status: BatchStatus, folder: Path) -> Download:
        result = Download()
        if status.files:
            result.fetch("results", lambda: self._save(status.id, folder / "results.jsonl"))
        return result

    def _save(self, batch_id: str, target: Path) -> Path:
        with self._errors(), self.client.messages.batches.with_streaming_response.results(batch_id) as response:
            return write_stream(response.iter_bytes(), target)

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
            ended_at=batch.ended_at,
            files={"results": batch.results_url} if ended and batch.results_url else {},
            raw=batch.model_dump(mode="json"),
        )
