"""HTTP primitives shared by both providers' routes: requests, responses, errors, ids and times.

Both APIs differ only in how an error body looks and which request-id header carries the id, so
handlers raise one :class:`ApiError` and the server renders it in the caller's flavour.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

import orjson

OPENAI = "openai"
ANTHROPIC = "anthropic"
_ALPHABET = string.ascii_letters + string.digits

#: HTTP status → (OpenAI error ``type``, Anthropic error ``type``), as the real services name them.
_ERROR_TYPES: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "invalid_request_error"),
    401: ("invalid_request_error", "authentication_error"),
    403: ("invalid_request_error", "permission_error"),
    404: ("invalid_request_error", "not_found_error"),
    413: ("invalid_request_error", "request_too_large"),
    429: ("requests", "rate_limit_error"),
    500: ("server_error", "api_error"),
    504: ("server_error", "timeout_error"),
    529: ("server_error", "overloaded_error"),
}


class ApiError(Exception):
    """An error response; its body is rendered per provider by :func:`error_body`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}


def require(body: dict[str, Any], *names: str) -> None:
    """A 400 naming the first missing required parameter, in upstream's words."""
    for name in names:
        if name not in body:
            raise ApiError(400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")


def error_type(status: int, flavour: str) -> str:
    openai_type, anthropic_type = _ERROR_TYPES.get(
        status, _ERROR_TYPES[500] if status >= 500 else _ERROR_TYPES[400]
    )
    return anthropic_type if flavour == ANTHROPIC else openai_type


def error_body(error: ApiError, flavour: str, request_id: str | None) -> dict[str, Any]:
    """The provider's error JSON: OpenAI ``{"error": {...}}``, Anthropic ``{"type": "error", ...}``."""
    kind = error_type(error.status, flavour)
    if flavour == ANTHROPIC:
        return {"type": "error", "error": {"type": kind, "message": error.message}, "request_id": request_id}
    return {"error": {"message": error.message, "type": kind, "param": error.param, "code": error.code}}


@dataclass
class Request:
    """One parsed HTTP request; ``flavour`` says whose error shapes and headers to answer with."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    base_url: str
    request_id: str = field(default_factory=lambda: new_id("req_"))

    @classmethod
    def parse(cls, method: str, target: str, headers: dict[str, str], body: bytes, base_url: str) -> Request:
        path, _, raw_query = target.partition("?")
        query = {k: v[-1] for k, v in parse_qs(raw_query, keep_blank_values=True).items()}
        return cls(method.upper(), path, query, {k.lower(): v for k, v in headers.items()}, body, base_url)

    @property
    def flavour(self) -> str:
        """Anthropic for its paths and for any call carrying ``anthropic-version``; else OpenAI."""
        if self.path.startswith("/v1/messages") or "anthropic-version" in self.headers:
            return ANTHROPIC
        return OPENAI

    def json(self) -> Any:
        """The JSON body; an empty body (cancel, delete) is ``{}``, never a parse error."""
        if not self.body.strip():
            return {}
        try:
            return orjson.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"We could not parse the JSON body of your request. ({exc})") from exc

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return data

    def int_query(self, name: str, default: int, low: int, high: int) -> int:
        """A bounded integer query parameter such as ``limit``; out of range is a 400 like upstream."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise ApiError(400, f"Invalid '{name}': expected an integer from {low} to {high}, got {raw!r}.", param=name)
        return value


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status, orjson.dumps(data), {"Content-Type": "application/json"})


def binary_response(data: bytes, content_type: str = "application/octet-stream") -> Response:
    return Response(200, data, {"Content-Type": content_type})


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def new_id(prefix: str, length: int = 24) -> str:
    """A fresh random id in the provider's style (``file-…``, ``batch_…``, ``msgbatch_…``)."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def stable_id(prefix: str, *parts: str, length: int = 24) -> str:
    """An id derived from ``parts``, so regenerated results (e.g. after a restart) keep their ids."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return prefix + "".join(chars)


def rfc3339(timestamp: float | None) -> str | None:
    """Anthropic's timestamp format, e.g. ``2026-11-21T10:00:00.000000Z``."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unix(timestamp: float | None) -> int | None:
    """OpenAI's timestamp format: integer Unix seconds."""
    return None if timestamp is None else int(timestamp)


def paginate(
    items: list[dict[str, Any]], limit: int, after: str | None = None, before: str | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """One page of ``items`` (already in listing order) after/before a cursor id, and whether more remain.

    An unknown cursor gives an empty last page, so SDK auto-pagination always ends.
    """
    ids = [item["id"] for item in items]
    if before is not None:
        if before not in ids:
            return [], False
        end = ids.index(before)
        start = max(0, end - limit)
        return items[start:end], start > 0
    start = 0
    if after is not None:
        if after not in ids:
            return [], False
        start = ids.index(after) + 1
    return items[start : start + limit], start + limit < len(items)


Handler = Callable[..., Response]
#: ``(method, path pattern, handler)``; named groups of the pattern become keyword arguments.
Route = tuple[str, str, Handler]
