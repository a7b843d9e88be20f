"""Parse a finished batch's downloaded files into one outcome per row.

Lines are matched to requests by ``custom_id`` (through the index written at prepare time) and to
rows by ID inside multi-row answers. Every row the batch carried ends with a status: a request
with no line at all leaves its rows ``missing`` (with the reason, when a result file could not be
had); a batch that failed as a whole fails its rows with the provider's reason. Files are
streamed, so memory follows one batch's index, not its output; rows leave as store-ready tuples
in chunks. The batch's usage totals and the model names the provider reported are summed on
the way, for the record of what was billed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import orjson

from app.core.build import pricing
from app.core.build.batchfiles import READ_BUFFER
from app.core.results.answers import Answer, Usage, error_text, from_anthropic_message, from_body
from app.core.results.rowmap import RowMapper
from app.core.run.store import CodedRequest, RowChunk, RowRecord
from app.core.spec import JobSpec

#: Usage totals kept per batch: every input token (cached included), cache reads and writes, output
#: (reasoning included) and reasoning tokens.
USAGE_KEYS = ("input_tokens", "cached_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens")

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
    """What parsing one batch produced; rows go to the sink in chunks as they are read: row records
    (``app.core.run.store.ROW_COLUMNS``), and a record for each request whose every row was coded
    (``app.core.run.store.CODED_SHARED``)."""

    sink: Callable[[RowChunk], None]
    chunk: int = 10_000
    #: The first chunk is smaller, so that writing starts soon after parsing does; the next ones
    #: grow (each as large as all before it, up to ``chunk``), so the writer, done with a small
    #: chunk, does not wait long for a large one.
    first_chunk: int = 1_000
    rows: int = 0
    anomalies: list[tuple[str, str, str]] = field(default_factory=list)  # (custom_id, kind, detail)
    usage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(USAGE_KEYS, 0))
    models: Counter[str] = field(default_factory=Counter)  # model name the provider reported → answers
    _records: list[RowRecord] = field(default_factory=list)
    _coded: list[CodedRequest] = field(default_factory=list)
    _buffered: int = 0  # rows in both

    def add(self, records: list[RowRecord]) -> None:
        self._records += records
        self._added(len(records))

    def add_coded(self, request: CodedRequest, rows: int) -> None:
        """A request whose ``rows`` rows were all coded."""
        self._coded.append(request)
        self._added(rows)

    def _added(self, rows: int) -> None:
        self.rows += rows
        self._buffered += rows
        if self._buffered >= min(self.chunk, max(self.first_chunk, self.rows - self._buffered)):
            self.flush()

    def count(self, usage: Usage, model: Any) -> None:
        """Add one answer's usage and reported model to the batch totals."""
        totals = self.usage
        totals["input_tokens"] += usage.input_tokens
        totals["cached_read_tokens"] += usage.cached_input_tokens
        totals["cache_write_tokens"] += usage.cache_write_tokens
        totals["output_tokens"] += usage.output_tokens
        totals["reasoning_tokens"] += usage.reasoning_tokens
        if isinstance(model, str) and model:
            self.models[model] += 1

    def flush(self) -> None:
        """Hand over the buffered rows (few live objects keep memory flat and GC pauses short)."""
        if self._buffered:
            self.sink((self._records, self._coded))
            self._records, self._coded, self._buffered = [], [], 0


def iter_lines(path: Path, relative: str) -> Iterator[tuple[dict[str, Any] | None, str, str]]:
    """``(object or None, raw line, reference)`` for each line; the reference finds the line again later.

    The raw text is only decoded for lines that are not a JSON object (they are reported as such).
    """
    offset = 0
    with path.open("rb", buffering=READ_BUFFER) as handle:
        for raw in handle:
            ref = f"{relative}:{offset}"
            offset += len(raw)
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                obj = None
            if isinstance(obj, dict):
                yield obj, "", ref
            else:
                yield None, raw.decode("utf-8", errors="replace").strip(), ref


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


def reported_model(obj: dict[str, Any]) -> Any:
    """The model name in a result line's answer body (either provider's shape)."""
    body = ((obj.get("response") or {}).get("body")) or ((obj.get("result") or {}).get("message")) or {}
    return body.get("model") if isinstance(body, dict) else None


def parse_batch(
    spec: JobSpec,
    requests: Mapping[str, Sequence[str]],
    files: list[tuple[Path, str]],
    *,
    attempt: int,
    batch_id: int,
    sink: Callable[[RowChunk], None],
    batch_error: str | None = None,
    missing_reason: str | None = None,
) -> BatchParse:
    """Outcomes for every row of a batch from its downloaded ``files`` (path, reference prefix),
    handed to ``sink`` a chunk at a time. ``missing_reason`` says why requests without a line have
    none (e.g. a result file the provider would not give)."""
    out = BatchParse(sink)
    seen: set[str] = set()
    mapper = RowMapper(spec.fields, spec.multi_row)
    for path, relative in files:
        for obj, raw, ref in iter_lines(path, relative):
            custom_id = str(obj.get("custom_id")) if obj else ""
            if custom_id not in requests:
                text = raw or orjson.dumps(obj).decode()
                out.anomalies.append((custom_id, "unknown_request", f"a result line matched no request: {text[:200]}"))
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
            out.count(answer.usage, reported_model(obj))
            row_ids = requests[custom_id]
            usual = mapper.usual_values(row_ids, answer)
            if usual is not None:  # most answers: every row coded, nothing to judge one by one
                out.add_coded(_coded(spec, row_ids, usual, answer.usage, custom_id, ref, attempt, batch_id), len(row_ids))
                continue
            judged, anomalies = mapper.map(row_ids, answer)
            outcomes = ((o.row_id, o.status, o.reason, o.values) for o in judged)
            out.anomalies += [(custom_id, a.kind, a.detail) for a in anomalies]
            out.add(_records(spec, outcomes, len(row_ids), answer.usage, custom_id, ref, attempt, batch_id))
    for custom_id, row_ids in requests.items():
        if custom_id in seen:
            continue
        if batch_error:
            reason, status = f"the batch failed: {batch_error}", "failed"
        else:
            reason, status = f"no answer came back for this request{': ' + missing_reason if missing_reason else ''}", "missing"
        outcomes = zip(row_ids, repeat(status), repeat(reason), repeat(None))
        out.add(_records(spec, outcomes, len(row_ids), Usage(), custom_id, None, attempt, batch_id))
    out.flush()
    return out


def request_cost(spec: JobSpec, usage: Usage) -> float | None:
    """What one request cost as billed: the pricing module's full reading of the usage where it
    has one (cache writes and reads, reasoning), else input, cached input and output."""
    if usage.raw:
        return pricing.usage_cost(spec.model, usage.raw, spec.provider)
    return pricing.actual_cost(spec.provider, spec.model, usage.input_tokens, usage.cached_input_tokens, usage.output_tokens)


def _records(
    spec: JobSpec,
    outcomes: Iterable[tuple[str, str, str, dict[str, Any] | None]],
    rows: int,
    usage: Usage,
    custom_id: str,
    raw_ref: str | None,
    attempt: int,
    batch_id: int,
) -> list[RowRecord]:
    """Store-ready row records from a request's ``rows`` outcomes (row ID, status, reason, values)."""
    input_tokens, output_tokens, share = _shares(spec, usage, rows)
    outcomes = list(outcomes)
    texts = _values_texts([values for *_, values in outcomes])
    return [
        (row_id, status, reason, custom_id, attempt, batch_id, text, raw_ref, input_tokens, output_tokens, share)
        for (row_id, status, reason, _), text in zip(outcomes, texts)
    ]


def _coded(
    spec: JobSpec,
    row_ids: Sequence[str],
    values: list[dict[str, Any]],
    usage: Usage,
    custom_id: str,
    raw_ref: str,
    attempt: int,
    batch_id: int,
) -> CodedRequest:
    """The store-ready record of a request whose every row was coded, with these ``values``."""
    shared = (custom_id, attempt, batch_id, raw_ref, *_shares(spec, usage, len(row_ids)))
    return (*shared, *chain.from_iterable(zip(row_ids, _values_texts(values))))


def _values_texts(values: Sequence[dict[str, Any] | None]) -> list[str | None]:
    """Each row's values as the job history keeps them: compact JSON (None for none). orjson
    refuses integers past 64 bits, which a model may write (an ID, an amount), and texts holding
    half of a surrogate pair (a ``\\ud800`` escape in the answer): for those the standard library
    writes every digit, and escapes what UTF-8 cannot hold."""
    dumps = orjson.dumps
    try:
        return [dumps(v).decode() if v is not None else None for v in values]
    except TypeError:
        return [json.dumps(v, separators=(",", ":")) if v is not None else None for v in values]


def _shares(spec: JobSpec, usage: Usage, rows: int) -> tuple[int | None, int | None, float | None]:
    """Each of a request's ``rows`` rows' share of its input and output tokens and its cost (the
    request's are shared equally); None for a request nobody was billed for."""
    if not (usage.input_tokens or usage.output_tokens):
        return None, None, None
    n = max(rows, 1)
    cost = request_cost(spec, usage)
    return round(usage.input_tokens / n), round(usage.output_tokens / n), cost / n if cost is not None else None
