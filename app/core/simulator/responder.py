"""Answer one request body the way the provider would, for a scripted outcome.

Batches and direct calls share this: :func:`read_prompt` finds the model, texts and the requested
schema in any of the three wire shapes, and :func:`respond` builds a schema-valid answer body
(or raises :class:`ApiError` for the error outcomes) with believable token usage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.core.build.models import REASONING_TOKENS, rules_for
from app.core.build.rowformat import read_compact
from app.core.simulator import request_rules
from app.core.simulator.schema_values import (
    generate,
    generate_rows,
    quote,
    row_list_property,
)
from app.core.simulator.wire import ApiError, require, stable_id, unix

CHAT = "chat"
RESPONSES = "responses"
MESSAGES = "anthropic"
FINGERPRINT = "batchlab-simulator"
REFUSAL = "[simulated] I'm sorry, but I can't help with that request."


@dataclass(frozen=True)
class Prompt:
    """What the responder needs from a request body, whatever its wire shape."""

    model: str
    system: str
    user: str
    schema: dict[str, Any] | None
    tool: str | None  # the forced tool's name (Anthropic tool-use answers)
    max_output: int | None


@dataclass(frozen=True)
class Call:
    """Where an answer is produced: ``seed`` makes its ids stable; ``batch`` picks Anthropic's service tier."""

    seed: str
    created: float
    cache_hit: bool = False
    batch: bool = True

    def id(self, prefix: str) -> str:
        return stable_id(prefix, self.seed, prefix)


def _text(content: Any) -> str:
    """Plain text of a message ``content``: a string or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _split_messages(messages: Any) -> tuple[list[str], str]:
    """System/developer texts and the last user text of a message list."""
    system: list[str] = []
    user = ""
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            continue
        if message.get("role") in ("system", "developer"):
            system.append(_text(message.get("content")))
        elif message.get("role") == "user":
            user = _text(message.get("content"))
    return system, user


def _anthropic_schema(body: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The schema Claude must fill: the forced tool's input schema, or ``output_config``'s JSON schema."""
    choice = body.get("tool_choice") or {}
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and "input_schema" in t]
    name = choice.get("name") if choice.get("type") == "tool" else None
    if name is None and choice.get("type") == "any" and len(tools) == 1:
        name = tools[0].get("name")
    for tool in tools:
        if tool.get("name") == name:
            return tool["input_schema"], name
    fmt = (body.get("output_config") or {}).get("format") or {}
    return (fmt.get("schema"), None) if fmt.get("type") == "json_schema" else (None, None)


def read_prompt(shape: str, body: dict[str, Any]) -> Prompt:
    """Model, instructions, user text and requested schema of a chat, responses or messages body."""
    if shape == CHAT:
        require(body, "model", "messages")
        system, user = _split_messages(body["messages"])
        fmt = body.get("response_format") or {}
        schema = (fmt.get("json_schema") or {}).get("schema") if fmt.get("type") == "json_schema" else None
        return Prompt(body["model"], "\n".join(system), user, schema, None,
                      body.get("max_completion_tokens") or body.get("max_tokens"))
    if shape == RESPONSES:
        require(body, "model", "input")
        raw = body["input"]
        system, user = ([], raw) if isinstance(raw, str) else _split_messages(raw)
        fmt = (body.get("text") or {}).get("format") or {}
        schema = fmt.get("schema") if fmt.get("type") == "json_schema" else None
        instructions = [body["instructions"]] if body.get("instructions") else []
        system_text = "\n".join(instructions + system)
        return Prompt(body["model"], system_text, user, schema, None, body.get("max_output_tokens"))
    require(body, "model", "messages")
    _, user = _split_messages(body["messages"])
    schema, tool = _anthropic_schema(body)
    return Prompt(body["model"], _text(body.get("system")), user, schema, tool, body.get("max_tokens"))


def _rows(user: str) -> list[dict[str, Any]] | None:
    """The rows of a multi-row message: a JSON list of objects with an ``id``, or the compact format."""
    try:
        data = json.loads(user)
    except ValueError:
        compact = read_compact(user)
        return [{"id": r.row_id, "text": r.text} for r in compact] if compact else None
    if isinstance(data, list) and data and all(isinstance(r, dict) and "id" in r for r in data):
        return data
    return None


def _spoil_ids(answers: list[dict[str, Any]], outcome: str) -> None:
    """Make a multi-row answer drop, invent or repeat a row id."""
    if outcome == "missing_id":
        answers.pop()
    elif outcome == "invented_id":
        sent = {str(a["id"]) for a in answers}
        invented = next(f"invented-{n}" for n in range(len(sent) + 1) if f"invented-{n}" not in sent)
        answers.append(answers[-1] | {"id": invented})
    elif outcome == "duplicate_id":
        answers.append(dict(answers[0]))


def answer_value(prompt: Prompt, outcome: str) -> Any:
    """The structured answer (or plain text when no schema was asked for) for this outcome."""
    if prompt.schema is None:
        return quote(prompt.user)
    rows = _rows(prompt.user)
    multi = row_list_property(prompt.schema) if rows else None
    if rows is None or multi is None:
        return generate(prompt.schema, prompt.user)
    key, item = multi
    value = generate_rows(prompt.schema, key, item, rows)
    _spoil_ids(value[key], outcome)
    return value


def _drop_field(value: Any) -> Any:
    """A tool input missing a required field: the first field of the first answer (never its id)."""
    if not isinstance(value, dict) or not value:
        return value
    rows = next(iter(value.values())) if len(value) == 1 else None
    target = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else value
    field = next((k for k in target if k != "id"), None)
    if field is not None:
        del target[field]
    return value


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def outcome_error(outcome: str) -> ApiError:
    """The API error a failing request reports (``error_400`` or ``server_error``)."""
    if outcome == "error_400":
        return ApiError(400, "[simulated] Invalid request: this request was scripted to fail (outcome error_400).",
                        param="messages", code="invalid_value")
    return ApiError(500, "[simulated] The server had an error while processing your request. Sorry about that!")


def _reasoning_tokens(shape: str, body: dict[str, Any]) -> int:
    """Hidden reasoning (OpenAI) or thinking (Claude) tokens the request spends, from the registry."""
    provider = "anthropic" if shape == MESSAGES else "openai"
    rules = rules_for(provider, str(body.get("model", "")))
    if rules.unknown_note or not rules.reasoning:
        return 0
    if shape == MESSAGES:
        if (body.get("thinking") or {}).get("type") == "between_tools":
            return 0  # thinking turned off (Claude Sonnet 5.5 overview)
        effort = (body.get("output_config") or {}).get("effort")
    elif shape == RESPONSES:
        effort = (body.get("reasoning") or {}).get("effort")
    else:
        effort = body.get("reasoning_effort")
    return REASONING_TOKENS.get(effort or rules.provider_default_effort or "medium", 0)


def respond(shape: str, body: dict[str, Any], outcome: str, call: Call) -> dict[str, Any]:
    """The provider's answer body for ``outcome``; raises :class:`ApiError` for error outcomes.

    A body the model does not accept (request_rules) is a 400 whatever the scripted outcome.
    """
    request_rules.check(shape, body)
    if outcome in ("error_400", "server_error"):
        raise outcome_error(outcome)
    prompt = read_prompt(shape, body)
    value = answer_value(prompt, outcome)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    reasoning = _reasoning_tokens(shape, body)
    if prompt.max_output and outcome == "success" and reasoning + _tokens(text) > prompt.max_output:
        outcome = "truncated"  # the budget did not cover thinking plus the answer
    if outcome == "truncated":
        text = text[: max(1, len(text) // 2)]
    elif outcome == "malformed" and prompt.tool is None:
        text = "Sure! " + text.replace('"', "'")
    input_tokens = _tokens(prompt.user + json.dumps(prompt.schema or {})) + 8
    output_tokens = _tokens(REFUSAL if outcome == "refusal" else text) + reasoning
    if outcome == "truncated" and prompt.max_output:
        output_tokens = prompt.max_output
    tokens = Tokens(input_tokens, output_tokens, min(reasoning, output_tokens))
    if shape == MESSAGES:
        return _message(prompt, outcome, value, text, call, tokens, body)
    tokens.input += _tokens(prompt.system) if prompt.system else 0
    if shape == RESPONSES:
        return _response(prompt, outcome, text, call, tokens)
    return _chat(prompt, outcome, text, call, tokens)


@dataclass
class Tokens:
    """Usage of one answer: input, output (reasoning included) and the reasoning part."""

    input: int
    output: int
    reasoning: int


def _chat(prompt: Prompt, outcome: str, text: str, call: Call, tokens: Tokens) -> dict[str, Any]:
    refused = outcome == "refusal"
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None if refused else text,
        "refusal": REFUSAL if refused else None,
        "annotations": [],
    }
    return {
        "id": call.id("chatcmpl-"),
        "object": "chat.completion",
        "created": unix(call.created),
        "model": prompt.model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": "length" if outcome == "truncated" else "stop"}],
        "usage": {
            "prompt_tokens": tokens.input,
            "completion_tokens": tokens.output,
            "total_tokens": tokens.input + tokens.output,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": tokens.reasoning, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        },
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }


def _response(prompt: Prompt, outcome: str, text: str, call: Call, tokens: Tokens) -> dict[str, Any]:
    truncated = outcome == "truncated"
    part = ({"type": "refusal", "refusal": REFUSAL} if outcome == "refusal"
            else {"type": "output_text", "text": text, "annotations": []})
    status = "incomplete" if truncated else "completed"
    return {
        "id": call.id("resp_"),
        "object": "response",
        "created_at": unix(call.created),
        "status": status,
        "model": prompt.model,
        "output": [
            {"type": "message", "id": call.id("msg_"), "status": status, "role": "assistant", "content": [part]}
        ],
        "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
        "error": None,
        "instructions": prompt.system or None,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": tokens.input,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": tokens.output,
            "output_tokens_details": {"reasoning_tokens": tokens.reasoning},
            "total_tokens": tokens.input + tokens.output,
        },
    }


def _message(
    prompt: Prompt, outcome: str, value: Any, text: str, call: Call, tokens: Tokens, body: dict[str, Any]
) -> dict[str, Any]:
    stop = {"refusal": "refusal", "truncated": "max_tokens"}.get(outcome)
    content: list[dict[str, Any]] = []
    if tokens.reasoning:
        # Thinking comes first; with display omitted it is empty and carries a signature
        # (batch-apis.md B.7; Claude Haiku 5.5 migration guide: responses may start with thinking).
        content.append({"type": "thinking", "thinking": "", "signature": call.id("sig_")})
    if outcome == "refusal":
        content.append({"type": "text", "text": REFUSAL})
    elif prompt.tool is not None:
        if outcome == "truncated" and isinstance(value, dict):
            value = dict(list(value.items())[: len(value) // 2])
        elif outcome == "malformed":
            value = _drop_field(value)
        content.append({"type": "tool_use", "id": call.id("toolu_"), "name": prompt.tool, "input": value})
        stop = stop or "tool_use"
    else:
        content.append({"type": "text", "text": text})
    cache, uncached_system = _cache_usage(prompt, call, body)
    return {
        "id": call.id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": prompt.model,
        "content": content,
        "stop_reason": stop or "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": tokens.input + uncached_system,
            "output_tokens": tokens.output,
            **cache,
            "service_tier": "batch" if call.batch else "standard",
        },
    }


def _cache_usage(prompt: Prompt, call: Call, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Anthropic's cache fields, and the system tokens billed as plain input.

    A system block marked with ``cache_control`` and at least the model's minimum cacheable length
    is written by the first request and read by later ones (5-minute or 1-hour TTL as marked);
    below the minimum nothing is cached and no error is raised (Anthropic prompt-caching page, as
    quoted by dev.to "Claude's prompt cache fails silently").
    """
    system = body.get("system")
    blocks = system if isinstance(system, list) else []
    control = next((b.get("cache_control") for b in blocks if isinstance(b, dict) and b.get("cache_control")), None)
    tokens = _tokens(prompt.system) if prompt.system else 0
    minimum = rules_for("anthropic", prompt.model).min_cacheable or 0
    ttl = control.get("ttl", "5m") if isinstance(control, dict) and tokens >= minimum else None
    written = tokens if ttl is not None and not call.cache_hit else 0
    read = tokens if ttl is not None and call.cache_hit else 0
    fields = {
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": written if ttl == "5m" else 0,
            "ephemeral_1h_input_tokens": written if ttl == "1h" else 0,
        },
    }
    return fields, 0 if ttl is not None else tokens
