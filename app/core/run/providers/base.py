"""What the lifecycle engine needs from a provider, independent of its wire format."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app.core.errors import KeyRejectedError, ProviderError

try:  # the SDKs' HTTP library: httpx2 for openai 3.x / anthropic 2.x, httpx before
    import httpx2 as _http
except ImportError:  # pragma: no cover - depends on the installed SDK generation
    import httpx as _http  # type: ignore[no-redef]

#: Errors while a response body streams in; the SDKs retry a request, not a half-read body.
TRANSFER_ERRORS: tuple[type[BaseException], ...] = (_http.TransportError, OSError)


@dataclass
class BatchStatus:
    """A provider batch as the engine sees it."""

    id: str
    ended: bool  # no further progress will happen (completed, failed, expired, cancelled, ended)
    status: str  # the provider's own word ("in_progress", "ended", "expired", …)
    done: int = 0  # requests answered successfully (as far as the provider tells)
    failed: int = 0
    total: int = 0
    error: str | None = None  # batch-level failure (validation, token limit)
    created_at: dt.datetime | None = None
    files: dict[str, str] = field(default_factory=dict)  # kind ("output", "errors", "results") → provider file id or URL
    raw: dict[str, Any] = field(default_factory=dict)


class BatchProvider(Protocol):
    """A provider's batch lifecycle; every method is one or a few SDK calls (with the SDK's retries)."""

    name: str
    needs_upload: bool

    def find_upload(self, filename: str, size: int) -> str | None: ...
    def upload(self, path: Path, filename: str) -> str: ...
    def create(self, tag: str, path: Path, file_id: str | None, metadata: dict[str, str]) -> BatchStatus: ...
    def find_batch(self, tag: str, since: dt.datetime, requests: int, custom_id_prefix: str) -> str | None: ...
    def retrieve(self, batch_id: str) -> BatchStatus: ...
    def cancel(self, batch_id: str) -> None: ...
    def download(self, status: BatchStatus, folder: Path) -> list[Path]: ...
    def direct(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def models(self) -> list[str]: ...


def write_stream(chunks: Iterator[bytes], target: Path) -> Path:
    """Write a download to ``target`` atomically: a cut-off transfer never leaves a partial file behind."""
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with partial.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
    except TRANSFER_ERRORS as exc:
        partial.unlink(missing_ok=True)
        raise ProviderError(
            f"The download of {target.name} was interrupted ({exc.__class__.__name__}).",
            "BatchLab will download it again shortly.",
            temporary=True,
        ) from exc
    partial.replace(target)
    return target


@contextmanager
def plain_errors(provider_label: str, sdk_errors: tuple[type[BaseException], ...], auth_errors: tuple[type[BaseException], ...]) -> Iterator[None]:
    """Turn SDK exceptions into :class:`ProviderError` / :class:`KeyMissingError` with readable messages.

    The message is built from the provider's error text only, never from request headers, so a key
    can never end up in a dialog or a log.
    """
    try:
        yield
    except auth_errors as exc:
        raise KeyRejectedError(
            f"{provider_label} did not accept the API key.",
            "Check the key in Settings → API keys (or the environment variable), then try again.",
        ) from exc
    except sdk_errors as exc:
        raise ProviderError(f"{provider_label}: {describe(exc)}", retry_hint(exc), is_temporary(exc)) from exc


def describe(exc: BaseException) -> str:
    """The provider's own message for an SDK error, without request details."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        message = inner.get("message") if isinstance(inner, dict) else None
        if message:
            status = getattr(exc, "status_code", None)
            return f"{message} (HTTP {status})" if status else str(message)
    name = exc.__class__.__name__
    if "Connection" in name or "Timeout" in name:
        return "could not be reached (no connection, or the connection dropped)"
    return getattr(exc, "message", None) or name


def is_temporary(exc: BaseException) -> bool:
    """Connection problems, timeouts, rate limits and server errors pass; other refusals do not."""
    status = getattr(exc, "status_code", None)
    return status is None or status in (408, 409, 429) or status >= 500


def retry_hint(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    if status == 429:
        return "The provider is busy or a limit was reached; BatchLab will try again later."
    if status is None or status >= 500:
        return "This is usually temporary; BatchLab will try again. Check your internet connection."
    return "Check the job's settings; nothing was charged for a request the provider refused."


Listener = Callable[[str], None]
