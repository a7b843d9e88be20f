"""Read what a model answered, whatever the provider, and check it against the output fields.

One function per wire shape turns a response body into an :class:`Answer`: the structured data,
or why there is none (refused, truncated, malformed). Batch results and quick pilots both go
through here, so a row is judged the same way however it was sent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.core.build.schema import RESULTS_KEY, ROW_ID_KEY, SCHEMA_NAME
from app.core.spec import FieldSpec

#: Digits enough for an integer orjson reads as a float (past 64 bits: -2**63 - 1 has 19 digits),
#: found as a run of zeros once every digit is written as 0 (a regular expression is slower than parsing).
_LONG_DIGITS = b"0" * 19
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
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


def has_long_integer(encoded: bytes) -> bool:
    """Whether JSON text may hold an integer orjson would read as a float (a changed value):
    such text is read with the standard library, which keeps every digit."""
    return _LONG_DIGITS in encoded.translate(_DIGITS_AS_ZERO)


def _parse_json_text(text: str | None, usage: Usage) -> Answer:
    if text is None or not text.strip():
        return Answer("invalid", "the answer was empty", usage=usage)
    # orjson reads most answers several times faster. What it refuses, the standard library reads
    # as before (NaN, Infinity, lone surrogates) or explains in its own words; integers of 19 or
    # more digits, which orjson may turn into floats, go to the standard library too.
    encoded = text.encode("utf-8", "surrogatepass")
    if not has_long_integer(encoded):
        try:
            return Answer("ok", data=orjson.loads(encoded), usage=usage)
        except orjson.JSONDecodeError:
            pass
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
#: One field's check: the problem with a value, or None when the value is fine.
ValueCheck = Callable[[Any], str | None]
_NOT_AN_OBJECT = "the answer is not an object with the output fields"


def _category_check(spec: FieldSpec) -> ValueCheck:
    name, choices, listed = spec.name, spec.choices, ", ".join(spec.choices)
    allowed = frozenset(choices)  # choices are texts (the spec checks), so a text is in the list iff in the set

    def check(value: Any) -> str | None:
        if value in allowed if type(value) is str else value in choices:
            return None
        return f'{name}: "{value}" is not one of {listed}'

    return check


def _is_number(value: Any) -> bool:
    """A finite int or float, and not JSON's true or false (which Python counts as ints)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return not isinstance(value, float) or math.isfinite(value)


def _number_check(spec: FieldSpec) -> ValueCheck:
    name, whole, low, high = spec.name, spec.type == "integer", spec.minimum, spec.maximum

    def check(value: Any) -> str | None:
        # A plain int or finite float is the usual answer; the type test settles it before the full rule.
        usual = type(value) is int or (type(value) is float and math.isfinite(value))
        if not usual and not _is_number(value):
            return f"{name}: {json.dumps(value)} is not a number"
        if whole and not float(value).is_integer():
            return f"{name}: {value} is not a whole number"
        if low is not None and value < low:
            return f"{name}: {value} is below the minimum {low:g}"
        if high is not None and value > high:
            return f"{name}: {value} is above the maximum {high:g}"
        return None

    return check


def _boolean_check(spec: FieldSpec) -> ValueCheck:
    name = spec.name

    def check(value: Any) -> str | None:
        return None if isinstance(value, bool) else f"{name}: {json.dumps(value)} is not yes/no (true or false)"

    return check


def _list_check(spec: FieldSpec) -> ValueCheck:
    name, choices, listed = spec.name, spec.choices, ", ".join(spec.choices)

    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"{name}: expected a list of texts"
        wrong = [v for v in value if choices and v not in choices]
        return f'{name}: "{wrong[0]}" is not one of {listed}' if wrong else None

    return check


def _text_check(spec: FieldSpec) -> ValueCheck:
    name = spec.name

    def check(value: Any) -> str | None:
        return None if isinstance(value, str) else f"{name}: expected text, got {json.dumps(value)[:40]}"

    return check


_CHECKS: dict[str, Callable[[FieldSpec], ValueCheck]] = {
    "category": _category_check,
    "number": _number_check,
    "integer": _number_check,
    "boolean": _boolean_check,
    "list": _list_check,
}


class FieldRules:
    """The output fields' checks, prepared once per job rather than again for every row.

    ``extra_allowed`` names keys an answer may carry besides the fields (the row id of multi-row
    answers). An answer with exactly the expected keys, the usual case, skips the search for
    missing and unknown keys.
    """

    def __init__(self, fields: list[FieldSpec], extra_allowed: tuple[str, ...] = ()) -> None:
        self.names = tuple(f.name for f in fields)
        self._checks = tuple((f.name, _CHECKS.get(f.type, _text_check)(f)) for f in fields)
        self._known = frozenset(self.names) | frozenset(extra_allowed)

    def problems(self, data: Any) -> list[str]:
        """What in one row's answer breaks the output fields (empty when it is valid)."""
        if not isinstance(data, dict):
            return [_NOT_AN_OBJECT]
        if data.keys() == self._known:
            return [problem for name, check in self._checks if (problem := check(data[name])) is not None]
        problems = [f"{name}: missing" for name in self.names if name not in data]
        problems += [f"{key}: not an output field" for key in data if key not in self._known]
        problems += [
            problem for name, check in self._checks if name in data and (problem := check(data[name])) is not None
        ]
        return problems

    def valid_values(self, data: Any) -> dict[str, Any] | None:
        """The output fields of a valid answer, in field order (the row id of multi-row answers
        dropped); None when :meth:`problems` has something to say."""
        if type(data) is dict and data.keys() == self._known:
            return self.exact_values(data)
        if not isinstance(data, dict) or self.problems(data):
            return None
        return {name: data[name] for name in self.names}

    def exact_values(self, data: Any) -> dict[str, Any] | None:
        """The output fields of the usual answer: an object with exactly the expected keys, every
        value valid. None for anything else, valid or not (:meth:`valid_values` judges it fully)."""
        found = self.exact_values_of((data,))
        return None if found is None else found[0]

    def exact_values_of(self, answers: Iterable[Any]) -> list[dict[str, Any]] | None:
        """:meth:`exact_values` of each answer (a multi-row answer's items), or None when any has
        none; one call for them all, as most answers of a job are the usual kind."""
        known, checks, names = self._known, self._checks, self.names
        found = []
        for data in answers:
            if type(data) is not dict or data.keys() != known:
                return None
            for name, check in checks:
                if check(data[name]) is not None:
                    return None
            values = {}  # a loop: a comprehension is a function call on Python 3.11, twice the time here
            for name in names:
                values[name] = data[name]
            found.append(values)
        return found


def check_row(fields: list[FieldSpec], data: Any, extra_allowed: tuple[str, ...] = ()) -> list[str]:
    """What in one row's answer breaks the output fields (empty when it is valid)."""
    return FieldRules(fields, extra_allowed).problems(data)


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
