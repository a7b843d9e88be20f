"""Reject a request body the way the real API would for its model, from BatchLab's model registry.

The simulated service reads the same rules the request builder follows (app.core.build.models),
so a request BatchLab should never send fails here exactly as it would upstream: a 400 at once
for direct calls, and (raised while a batch runs) a per-request ``errored`` result inside batches.
Providers process batch requests independently and report per-request 400s in the results
(batch-apis.md A.8 error-file example; B.6 ``errored``), so a model-rule violation does not fail
the whole batch. Unknown model names are not validated (batch-apis.md A.11, B.9: "do not
hard-validate model names").
"""

from __future__ import annotations

from typing import Any

from app.core.build.models import JSON_OUTPUTS, ModelRules, SchemaLimits, rules_for
from app.core.build.schema import schema_size
from app.core.simulator.wire import ApiError

SAMPLING = ("temperature", "top_p", "top_k")


def check(shape: str, body: dict[str, Any]) -> None:
    """Raise the provider's 400 if the model behind ``body`` does not accept it."""
    model = body.get("model")
    if not isinstance(model, str):
        return
    provider = "anthropic" if shape == "anthropic" else "openai"
    rules = rules_for(provider, model)
    if rules.unknown_note:
        return
    if provider == "anthropic":
        _check_anthropic(rules, model, body)
    else:
        _check_openai(rules, model, shape, body)


# ---- Anthropic ----------------------------------------------------------------------------------
def _check_anthropic(rules: ModelRules, model: str, body: dict[str, Any]) -> None:
    if not rules.sampling:
        for name in SAMPLING:
            if name in body:
                # Claude Sonnet 5.5 migration guide: sampling parameters return a 400 on this model.
                raise ApiError(400, f"{name}: sampling parameters are not supported on {model}; leave "
                               "temperature, top_p and top_k out")
    choice = body.get("tool_choice") or {}
    if not rules.forced_tool and choice.get("type") in ("tool", "any"):
        # Same guide ("forced tool choice"); extended-thinking page: "Thinking may not be enabled when
        # tool_choice forces tool use" (quoted in run-llama/llama_index#19641).
        raise ApiError(400, f"tool_choice: forced tool use is not supported on {model}, which thinks before "
                       "answering; use tool_choice auto or output_config.format for structured output")
    thinking = body.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind is not None and rules.thinking_types is not None and kind not in rules.thinking_types:
        raise ApiError(400, f"thinking.type: '{kind}' is not supported on {model}; accepted: "
                       f"{', '.join(rules.thinking_types)}")
    effort = (body.get("output_config") or {}).get("effort")
    if effort is not None and rules.efforts and effort not in rules.efforts:
        raise ApiError(400, f"output_config.effort: {model} does not support effort '{effort}'")
    fmt = (body.get("output_config") or {}).get("format")
    if isinstance(fmt, dict):
        if rules.structured != JSON_OUTPUTS:
            raise ApiError(400, f"output_config.format: structured outputs are not supported on {model}")
        keyword = _first_keyword(fmt.get("schema"), rules.schema_limits)
        if keyword is not None:
            raise ApiError(400, f"output_config.format.schema: the keyword '{keyword}' is not supported in JSON "
                           "outputs; state the constraint in the description")


def _first_keyword(schema: Any, limits: SchemaLimits) -> str | None:
    """The first unsupported keyword anywhere in a schema (property names are not keywords)."""
    if isinstance(schema, list):
        return next((k for item in schema if (k := _first_keyword(item, limits))), None)
    if not isinstance(schema, dict):
        return None
    for key, value in schema.items():
        if limits.unsupported(key, value):
            return key
        children = value.values() if key in ("properties", "$defs", "definitions") and isinstance(value, dict) \
            else [value]
        found = next((k for child in children if (k := _first_keyword(child, limits))), None)
        if found:
            return found
    return None


# ---- OpenAI -------------------------------------------------------------------------------------
def _unsupported_parameter(name: str, message: str) -> ApiError:
    return ApiError(400, message, param=name, code="unsupported_parameter")


def _check_openai(rules: ModelRules, model: str, shape: str, body: dict[str, Any]) -> None:
    responses = shape == "responses"
    effort = ((body.get("reasoning") or {}).get("effort") if responses else body.get("reasoning_effort"))
    effort_param = "reasoning.effort" if responses else "reasoning_effort"
    if rules.reasoning:
        if "max_tokens" in body:
            # batch-apis.md A.10, verbatim.
            raise _unsupported_parameter("max_tokens", "Unsupported parameter: 'max_tokens' is not supported with "
                                         "this model. Use 'max_completion_tokens' instead.")
        if effort is not None and effort not in rules.efforts:
            # openai/openai-agents-python#2089, verbatim shape.
            allowed = ", ".join(f"'{e}'" for e in rules.efforts[:-1]) + f", and '{rules.efforts[-1]}'"
            raise ApiError(400, f"Unsupported value: '{effort}' is not supported with the '{model}' model. "
                           f"Supported values are: {allowed}.", param=effort_param, code="unsupported_value")
        effective = effort or rules.provider_default_effort
        for name in ("temperature", "top_p"):
            value = body.get(name)
            if value is not None and not rules.accepts_temperature(value, effective):
                # batch-apis.md A.10, verbatim.
                raise ApiError(400, f"Unsupported value: '{name}' does not support {value:g} with this model. "
                               "Only the default (1) value is supported.", param=name, code="unsupported_value")
    elif effort is not None:
        raise _unsupported_parameter(effort_param, f"Unsupported parameter: '{effort_param}' is not supported "
                                     "with this model.")
    schema = _openai_schema(shape, body)
    if schema is not None:
        problem = _limit_problem(schema, rules.schema_limits)
        if problem:
            where = "text.format" if responses else "response_format"
            raise ApiError(400, f"Invalid schema for {where} 'record_coding': {problem}.", param=where,
                           code="invalid_json_schema")


def _openai_schema(shape: str, body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = ((body.get("text") or {}).get("format") if shape == "responses"
           else (body.get("response_format") or {}).get("json_schema"))
    schema = (fmt or {}).get("schema")
    return schema if isinstance(schema, dict) else None


def _limit_problem(schema: dict[str, Any], limits: SchemaLimits) -> str | None:
    """The first OpenAI schema limit this schema breaks, in upstream's wording (ellmer#671)."""
    size = schema_size(schema)
    total = sum(len(e) for e in size.enums)
    if limits.max_enum_values is not None and total > limits.max_enum_values:
        return f"{total} enum values exceeds limit of {limits.max_enum_values}"
    if limits.large_enum is not None and limits.large_enum_chars is not None:
        for values in size.enums:
            chars = sum(len(str(v)) for v in values)
            if len(values) > limits.large_enum and chars > limits.large_enum_chars:
                return (f"an enum with {len(values)} values has {chars} characters, exceeding the limit of "
                        f"{limits.large_enum_chars} for enums over {limits.large_enum} values")
    if limits.max_properties is not None and size.properties > limits.max_properties:
        return f"{size.properties} object properties exceeds limit of {limits.max_properties}"
    if limits.max_depth is not None and size.depth > limits.max_depth:
        return f"{size.depth} levels of nesting exceeds limit of {limits.max_depth}"
    return None
