"""Read what a model answered, whatever the provider, and check it against the output fields.

One function per wire shape turns a response body into an :class:`Answer`: the structured data,
or why there is none (refused, truncated, malformed). Batch results and quick pilots both go
through here, so a row is judged the same way however it was sent.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from app.core.build.schema import RESULTS_KEY, ROW_ID_KEY, SCHEMA_NAME
from app.core.spec import FieldSpec

ROW_STATUSES = ("coded", "failed", "refused", "truncated", "invalid", "missing", "pending")


@dataclass
class Usage:
    """Tokens one request used, as the provider reported them.

    ``input_tokens`` counts every input token (cached or not); ``raw`` is the provider's own usage
    object, from which :func:`app.core.build.pricing.usage_cost` prices cache writes, cache reads
    and reasoning exactly as billed.
    """

    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Answer:
    """A request's outcome: ``data`` when the model produced structured output, else a status and reason."""

    status: str  # "ok" | "refused" | "truncated" | "invalid" | "failed"
    reason: str = ""
    data: Any = None
    usage: Usage = field(default_factory=Usage)


def _parse_json_text(text: str | None, usage: Usage) -> Answer:
    if text is None or not text.strip():
        return Answer("invalid", "the answer was empty", usage=usage)
    try:
        return Answer("ok", data=json.loads(text), usage=usage)
    except json.JSONDecodeError as exc:
        return Answer("invalid", f"the answer is not valid JSON ({exc.msg})", usage=usage)


def from_chat_completion(body: dict[str, Any]) -> Answer:
    """An OpenAI (or compatible) chat completion."""
    raw_usage = body.get("usage") or {}
    usage = Usage(
        input_tokens=raw_usage.get("prompt_tokens") or 0,
        cached_input_tokens=(raw_usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0,
        output_tokens=raw_usage.get("completion_tokens") or 0,
        reasoning_tokens=(raw_usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0,
        raw=raw_usage,
    )
    choices = body.get("choices") or []
    if not choices:
        return Answer("invalid", "the answer had no content", usage=usage)
    message = choices[0].get("message") or {}
    if message.get("refusal"):
        return Answer("refused", f"the model refused: {message['refusal']}", usage=usage)
    finish = choices[0].get("finish_reason")
    if finish == "length":
        return Answer("truncated", "the answer was cut off at the output budget", usage=usage)
    if finish == "content_filter":
        return Answer("refused", "the provider's content filter stopped the answer", usage=usage)
    return _parse_json_text(message.get("content"), usage)


def from_response(body: dict[str, Any]) -> Answer:
    """An OpenAI Responses API object."""
    raw_usage = body.get("usage") or {}
    usage = Usage(
        input_tokens=raw_usage.get("input_tokens") or 0,
        cached_input_tokens=(raw_usage.get("input_tokens_details") or {}).get("cached_tokens") or 0,
        output_tokens=raw_usage.get("output_tokens") or 0,
        reasoning_tokens=(raw_usage.get("output_tokens_details") or {}).get("reasoning_tokens") or 0,
        raw=raw_usage,
    )
    texts: list[str] = []
    for item in body.get("output") or []:
        for part in item.get("content") or [] if item.get("type") == "message" else []:
            if part.get("type") == "refusal":
                return Answer("refused", f"the model refused: {part.get('refusal', '')}", usage=usage)
            if part.get("type") == "output_text":
                texts.append(part.get("text", ""))
    if body.get("status") == "incomplete":
        reason = (body.get("incomplete_details") or {}).get("reason") or "incomplete"
        if reason == "content_filter":
            return Answer("refused", "the provider's content filter stopped the answer", usage=usage)
        return Answer("truncated", f"the answer was cut off ({reason.replace('_', ' ')})", usage=usage)
    return _parse_json_text("".join(texts) if texts else None, usage)


def from_anthropic_message(message: dict[str, Any]) -> Answer:
    """An Anthropic message: JSON outputs (a text block after any thinking) or the forced tool's input."""
    raw_usage = message.get("usage") or {}
    read = raw_usage.get("cache_read_input_tokens") or 0
    written = raw_usage.get("cache_creation_input_tokens") or 0
    usage = Usage(
        input_tokens=(raw_usage.get("input_tokens") or 0) + read + written,
        cached_input_tokens=read,
        output_tokens=raw_usage.get("output_tokens") or 0,
        cache_write_tokens=written,
        reasoning_tokens=(raw_usage.get("output_tokens_details") or {}).get("thinking_tokens") or 0,
        raw=raw_usage,
    )
    stop = message.get("stop_reason")
    if stop == "refusal":
        return Answer("refused", "the model refused to answer", usage=usage)
    if stop in ("max_tokens", "model_context_window_exceeded"):
        return Answer("truncated", "the answer was cut off at the output budget", usage=usage)
    blocks = message.get("content") or []
    for block in blocks:
        if block.get("type") == "tool_use" and block.get("name") == SCHEMA_NAME:
            return Answer("ok", data=block.get("input"), usage=usage)
    # Anthropic "Structured outputs": the JSON is a text block; thinking blocks come first on models
    # that think (Claude Haiku 5.5 migration guide: select content blocks by type, not position).
    texts = [b.get("text") or "" for b in blocks if b.get("type") == "text"]
    if texts:
        return _parse_json_text("".join(texts), usage)
    return Answer("invalid", "the model answered without the structured output", usage=usage)


def from_body(provider: str, endpoint: str, body: dict[str, Any]) -> Answer:
    """Dispatch on the wire shape a job uses."""
    if provider == "anthropic":
        return from_anthropic_message(body)
    if provider == "openai" and endpoint == "responses":
        return from_response(body)
    return from_chat_completion(body)


def error_text(error: Any) -> str:
    """A provider error object (any of the shapes) as one readable sentence."""
    if isinstance(error, dict):
        inner = error.get("error") if isinstance(error.get("error"), dict) else error
        message = inner.get("message") or inner.get("type") or json.dumps(inner)[:200]
        code = inner.get("code") or inner.get("type")
        return f"{message} ({code})" if code and code not in message else str(message)
    return str(error)


# ---- checking answers against the fields ---------------------------------------------------------------
def _check_value(spec: FieldSpec, value: Any) -> str | None:
    name = spec.name
    if spec.type == "category":
        if value not in spec.choices:
            return f'{name}: "{value}" is not one of {", ".join(spec.choices)}'
    elif spec.type in ("number", "integer"):
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or (isinstance(value, float) and not math.isfinite(value)):
            return f"{name}: {json.dumps(value)} is not a number"
        if spec.type == "integer" and not float(value).is_integer():
            return f"{name}: {value} is not a whole number"
        if spec.minimum is not None and value < spec.minimum:
            return f"{name}: {value} is below the minimum {spec.minimum:g}"
        if spec.maximum is not None and value > spec.maximum:
            return f"{name}: {value} is above the maximum {spec.maximum:g}"
    elif spec.type == "boolean":
        if not isinstance(value, bool):
            return f"{name}: {json.dumps(value)} is not yes/no (true or false)"
    elif spec.type == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"{name}: expected a list of texts"
        wrong = [v for v in value if spec.choices and v not in spec.choices]
        if wrong:
            return f'{name}: "{wrong[0]}" is not one of {", ".join(spec.choices)}'
    elif not isinstance(value, str):
        return f"{name}: expected text, got {json.dumps(value)[:40]}"
    return None


def check_row(fields: list[FieldSpec], data: Any, extra_allowed: tuple[str, ...] = ()) -> list[str]:
    """What in one row's answer breaks the output fields (empty when it is valid)."""
    if not isinstance(data, dict):
        return ["the answer is not an object with the output fields"]
    problems = [f"{f.name}: missing" for f in fields if f.name not in data]
    known = {f.name for f in fields} | set(extra_allowed)
    problems += [f"{key}: not an output field" for key in data if key not in known]
    for f in fields:
        if f.name in data:
            problem = _check_value(f, data[f.name])
            if problem:
                problems.append(problem)
    return problems


def row_values(fields: list[FieldSpec], data: dict[str, Any]) -> dict[str, Any]:
    """Only the output fields of an answer, in field order (drops the row id of multi-row answers)."""
    return {f.name: data.get(f.name) for f in fields}


def split_multi_row(data: Any) -> list[Any] | None:
    """The per-row answers of a multi-row request, or None when the answer has no such list."""
    if isinstance(data, dict) and isinstance(data.get(RESULTS_KEY), list):
        return data[RESULTS_KEY]
    return None


def item_id(item: Any) -> str | None:
    """The row id a multi-row answer item claims (as text), if any."""
    if isinstance(item, dict) and ROW_ID_KEY in item and item[ROW_ID_KEY] is not None:
        return str(item[ROW_ID_KEY])
    return None
