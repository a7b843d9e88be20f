"""What the lifecycle engine needs from a provider, independent of its wire format."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app.core.errors import KeyRejectedError, ProviderBusyError, ProviderError

try:  # the SDKs' HTTP library: httpx2 for openai 3.x / anthropic 2.x, httpx before
    import httpx2 as _http
except ImportError:  # pragma: no cover - depends on the installed SDK generation
    import httpx as _http  # type: ignore[no-redef]

#: Errors while a response body streams in; the SDKs retry a request, not a half-read body.
TRANSFER_ERRORS: tuple[type[BaseException], ...] = (_http.TransportError, OSError)
#: The longest ``retry-after`` a blocking call waits out; longer waits return to the engine, which
#: polls again after that time without holding a thread or a job lock (issue: SDKs ≥ 1.17 / 2.x
#: honour any value verbatim — "Retry behaviour of the SDKs" in the reference notes).
LONGEST_WAIT = 60.0


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
    error_code: str | None = None  # the provider's code for it ("token_limit_exceeded", …)
    created_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    files: dict[str, str] = field(default_factory=dict)  # kind ("output", "errors", "results") → provider file id or URL
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Download:
    """What downloading an ended batch's result files gave: the files saved, and plain sentences
    about any the provider would not give (a 404: their rows end ``missing`` with that reason)."""

    saved: list[Path] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def fetch(self, what: str, save: Callable[[], Path]) -> None:
        """Save one file; a refusal (4xx) is noted, a temporary problem is raised to retry the step."""
        try:
            self.saved.append(save())
        except ProviderError as exc:
            if exc.temporary:
                raise
            self.lost.append(f"the provider did not give the {what} ({exc.message})")


@dataclass(frozen=True)
class Candidate:
    """A provider batch that may be one this job created before a crash.

    ``proven``: the provider's own record of it (OpenAI metadata, Anthropic result custom_ids)
    says it is; otherwise only its time and size fit, and it cannot be inspected yet.
    """

    id: str
    created_at: dt.datetime | None
    requests: int
    proven: bool


class BatchProvider(Protocol):
    """A provider's batch lifecycle; every method is one or a few SDK calls (with the SDK's retries)."""

    name: str
    needs_upload: bool

    def find_upload(self, filename: str, size: int) -> str | None: ...
    def upload(self, path: Path, filename: str) -> str: ...
    def create(self, tag: str, path: Path, file_id: str | None, metadata: dict[str, str]) -> BatchStatus: ...
    def find_batch(self, tag: str, since: dt.datetime, requests: int, custom_ids: frozenset[str]) -> list[Candidate]: ...
    def retrieve(self, batch_id: str) -> BatchStatus: ...
    def cancel(self, batch_id: str) -> None: ...
    def download(self, status: BatchStatus, folder: Path) -> Download: ...
    def direct(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def models(self) -> list[str]: ...


def write_stream(chunks: Iterator[bytes], target: Path) -> Path:
    """Write a download to ``target`` atomically: a cut-off transfer never leaves a partial file behind."""
    partial = target.with_suffix(f"{target.suffix}.{os.getpid()}.part")
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
        wait = retry_after(exc)
        if wait is not None and wait > LONGEST_WAIT:
            raise ProviderBusyError(
                f"{provider_label}: {describe(exc)}; it asked to wait {wait:,.0f} seconds.",
                "BatchLab tries again after that time; nothing is lost meanwhile.",
                retry_after=wait,
            ) from exc
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


def retry_after(exc: BaseException) -> float | None:
    """Seconds the provider asked to wait (``retry-after-ms`` or ``retry-after``), if it said."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return header_wait(headers) if headers is not None else None


def header_wait(headers: Any) -> float | None:
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        if headers.get("retry-after"):
            return float(headers["retry-after"])
    except ValueError:
        return None  # an HTTP date: the SDK's own handling applies
    return None


def refuse_long_waits(response: Any) -> None:
    """HTTP client hook: a retry-after over a minute turns the SDK's retry off (``x-should-retry``)."""
    wait = header_wait(response.headers)
    if wait is not None and wait > LONGEST_WAIT:
        response.headers["x-should-retry"] = "false"


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
