"""Parse a finished batch's downloaded files into one outcome per row.

Lines are matched to requests by ``custom_id`` (through the index written at prepare time) and to
rows by ID inside multi-row answers. Every row the batch carried ends with a status: a request
with no line at all leaves its rows ``missing``; a batch that failed as a whole fails its rows
with the provider's reason. Files are streamed, so memory follows one batch's index, not its output.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.results.answers import Answer, error_text, from_anthropic_message, from_body
from app.core.build.batchfiles import READ_BUFFER
from app.core.build.pricing import actual_cost
from app.core.results.rowmap import RowOutcome, map_answer
from app.core.spec import JobSpec

_NOT_RUN = {
    "batch_expired": "not run: the batch expired before this request was processed",
    "batch_cancelled": "not run: the batch was cancelled before this request was processed",
    "expired": "not run: the batch expired before this request was processed",
    "canceled": "not run: the batch was cancelled before this request was processed",
}


@dataclass
class ParsedRequest:
    """One result line, interpreted."""

    custom_id: str
    answer: Answer
    raw_ref: str


@dataclass
class BatchParse:
    """What parsing one batch produced; rows go to the sink in chunks as they are read."""

    sink: Callable[[list[dict[str, Any]]], None]
    chunk: int = 5_000
    rows: int = 0
    anomalies: list[tuple[str, str, str]] = field(default_factory=list)  # (custom_id, kind, detail)
    _buffer: list[dict[str, Any]] = field(default_factory=list)

    def add(self, records: list[dict[str, Any]]) -> None:
        self._buffer += records
        self.rows += len(records)
        if len(self._buffer) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        """Hand over the buffered rows (few live objects keep memory flat and GC pauses short)."""
        if self._buffer:
            self.sink(self._buffer)
            self._buffer = []


def iter_lines(path: Path, relative: str) -> Iterator[tuple[dict[str, Any] | None, str, str]]:
    """``(object or None, raw line, reference)`` for each line; the reference finds the line again later."""
    offset = 0
    with path.open("rb", buffering=READ_BUFFER) as handle:
        for raw in handle:
            ref = f"{relative}:{offset}"
            offset += len(raw)
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError:
                obj = None
            yield (obj if isinstance(obj, dict) else None), text, ref


def interpret_openai_line(obj: dict[str, Any], provider: str, endpoint: str) -> Answer:
    """A line of an OpenAI output or error file."""
    response = obj.get("response") or {}
    if response and response.get("status_code") == 200 and isinstance(response.get("body"), dict):
        return from_body(provider, endpoint, response["body"])
    error = obj.get("error") or (response.get("body") or {}).get("error") or response.get("body")
    code = error.get("code") if isinstance(error, dict) else None
    reason = _NOT_RUN.get(code or "") or f"the provider could not answer: {error_text(error)}"
    return Answer("failed", reason)


def interpret_anthropic_line(obj: dict[str, Any]) -> Answer:
    """A line of an Anthropic results file."""
    result = obj.get("result") or {}
    kind = result.get("type")
    if kind == "succeeded":
        return from_anthropic_message(result.get("message") or {})
    if kind in _NOT_RUN:
        return Answer("failed", _NOT_RUN[kind])
    error = (result.get("error") or {}).get("error") or result.get("error")
    return Answer("failed", f"the provider could not answer: {error_text(error)}")


def parse_batch(
    spec: JobSpec,
    requests: dict[str, list[str]],
    files: list[tuple[Path, str]],
    *,
    attempt: int,
    batch_id: int,
    sink: Callable[[list[dict[str, Any]]], None],
    batch_error: str | None = None,
) -> BatchParse:
    """Outcomes for every row of a batch from its downloaded ``files`` (path, reference prefix),
    handed to ``sink`` a chunk at a time."""
    out = BatchParse(sink)
    seen: set[str] = set()
    multi = spec.rows_per_request > 1
    for path, relative in files:
        for obj, raw, ref in iter_lines(path, relative):
            custom_id = str(obj.get("custom_id")) if obj else ""
            if custom_id not in requests:
                out.anomalies.append((custom_id, "unknown_request", f"a result line matched no request: {raw[:200]}"))
                continue
            if custom_id in seen:
                out.anomalies.append((custom_id, "duplicate_request", "the provider returned this request twice; the first was kept"))
                continue
            seen.add(custom_id)
            assert obj is not None
            answer = (
                interpret_anthropic_line(obj)
                if spec.provider == "anthropic"
                else interpret_openai_line(obj, spec.provider, spec.endpoint)
            )
            outcomes, anomalies = map_answer(spec.fields, requests[custom_id], answer, multi)
            out.add(_records(spec, outcomes, answer, custom_id, ref, attempt, batch_id))
            out.anomalies += [(custom_id, a.kind, a.detail) for a in anomalies]
    for custom_id, row_ids in requests.items():
        if custom_id in seen:
            continue
        if batch_error:
            reason, status = f"the batch failed: {batch_error}", "failed"
        else:
            reason, status = "no answer came back for this request", "missing"
        outcomes = [RowOutcome(r, status, reason) for r in row_ids]
        out.add(_records(spec, outcomes, Answer(status, reason), custom_id, None, attempt, batch_id))
    out.flush()
    return out


def _records(
    spec: JobSpec,
    outcomes: list[RowOutcome],
    answer: Answer,
    custom_id: str,
    raw_ref: str | None,
    attempt: int,
    batch_id: int,
) -> list[dict[str, Any]]:
    """Store-ready row records; the request's tokens and cost are shared equally among its rows."""
    n = max(len(outcomes), 1)
    usage = answer.usage
    cost = actual_cost(spec.provider, spec.model, usage.input_tokens, usage.cached_input_tokens, usage.output_tokens)
    billed = usage.input_tokens or usage.output_tokens
    return [
        {
            "row_id": o.row_id,
            "status": o.status,
            "reason": o.reason,
            "custom_id": custom_id,
            "attempt": attempt,
            "batch_id": batch_id,
            "values_json": json.dumps(o.values, ensure_ascii=False) if o.values is not None else None,
            "raw_ref": raw_ref,
            "input_tokens": round(usage.input_tokens / n) if billed else None,
            "output_tokens": round(usage.output_tokens / n) if billed else None,
            "cost": cost / n if (cost is not None and billed) else None,
        }
        for o in outcomes
    ]

