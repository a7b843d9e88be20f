"""Output fields as a strict JSON schema, the one form every provider's structured output accepts.

Strict mode (OpenAI) wants every property required and ``additionalProperties: false`` on every
object; Anthropic's JSON outputs take the same schema once the keywords they do not support are
moved into descriptions (:func:`portable_schema`), and a forced tool's ``input_schema`` takes it
as is. How large a schema each provider compiles is checked before anything is sent
(:func:`limit_problems`), with one plain sentence naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core.build.models import SchemaLimits
from app.core.spec import FieldSpec

#: Name of the structured-output schema / forced tool; the same for every job so answers are recognisable.
SCHEMA_NAME = "record_coding"
#: Property holding the list of per-row answers when a request carries several rows.
RESULTS_KEY = "results"
ROW_ID_KEY = "id"
#: Told to the model for a text field marked ``verbatim_quote``; BatchLab checks the answers itself.
VERBATIM_RULE = "Copy the words exactly as they appear in the text: a verbatim quote, not a paraphrase."


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    """The JSON schema of one output field."""
    schema: dict[str, Any]
    if spec.type == "category":
        schema = {"type": "string", "enum": list(spec.choices)}
    elif spec.type in ("number", "integer"):
        schema = {"type": spec.type}
        if spec.minimum is not None:
            schema["minimum"] = spec.minimum
        if spec.maximum is not None:
            schema["maximum"] = spec.maximum
    elif spec.type == "boolean":
        schema = {"type": "boolean"}
    elif spec.type == "list":
        items: dict[str, Any] = {"type": "string"}
        if spec.choices:
            items["enum"] = list(spec.choices)
        schema = {"type": "array", "items": items}
    else:
        schema = {"type": "string"}
    description = " ".join(filter(None, (spec.description, VERBATIM_RULE if spec.verbatim_quote else "")))
    if description:
        schema["description"] = description
    return schema


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def row_schema(fields: list[FieldSpec]) -> dict[str, Any]:
    """The answer for a single row: one property per output field."""
    return _object({f.name: field_schema(f) for f in fields})


def output_schema(fields: list[FieldSpec], rows_per_request: int) -> dict[str, Any]:
    """The schema a request asks for: one row's answer, or a list of answers each carrying its row's id."""
    if rows_per_request <= 1:
        return row_schema(fields)
    item = _object(
        {ROW_ID_KEY: {"type": "string", "description": "the id of the row, copied exactly"}}
        | {f.name: field_schema(f) for f in fields}
    )
    return _object(
        {RESULTS_KEY: {"type": "array", "description": "one answer for every row, in any order", "items": item}}
    )


# ---- provider variants and limits ------------------------------------------------------------------
_KEYWORD_WORDS = {
    "minimum": "at least {}",
    "maximum": "at most {}",
    "exclusiveMinimum": "more than {}",
    "exclusiveMaximum": "less than {}",
    "multipleOf": "a multiple of {}",
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "minItems": "at least {} items long",
    "maxItems": "at most {} items long",
}


def portable_schema(schema: Any, limits: SchemaLimits) -> Any:
    """``schema`` without the keywords ``limits`` does not accept, each stated in its node's description.

    BatchLab checks every answer against the fields itself (answers.check_row), so a bound the
    provider cannot enforce still turns a violating answer into an ``invalid`` row with its reason.
    """
    if isinstance(schema, list):
        return [portable_schema(item, limits) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    moved: list[str] = []
    for key, value in schema.items():
        if limits.unsupported(key, value):
            moved.append(_KEYWORD_WORDS.get(key, key + " {}").format(_number(value)))
        elif key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            out[key] = {name: portable_schema(sub, limits) for name, sub in value.items()}
        else:
            out[key] = portable_schema(value, limits)
    if moved:
        rule = "must be " + " and ".join(moved)
        out["description"] = f"{out['description']} ({rule})" if out.get("description") else rule.capitalize()
    return out


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def limit_problems(fields: list[FieldSpec], schema: dict[str, Any], limits: SchemaLimits, provider: str) -> list[str]:
    """Why ``schema`` is too large for the provider, one sentence per problem naming the field."""
    problems: list[str] = []
    fix = "split it into two fields or use a text field"
    choice_fields = [f for f in fields if f.choices]
    total = sum(len(f.choices) for f in choice_fields)
    if limits.max_enum_values is not None and total > limits.max_enum_values:
        biggest = max(choice_fields, key=lambda f: len(f.choices))
        if len(biggest.choices) > limits.max_enum_values:
            problems.append(
                f"The {biggest.type} '{biggest.name}' has {len(biggest.choices):,} choices; {provider} accepts at "
                f"most {limits.max_enum_values:,} in one job: {fix}."
            )
        else:
            problems.append(
                f"The fields' choices add up to {total:,}; {provider} accepts at most {limits.max_enum_values:,} "
                f"in one job: shorten the list of '{biggest.name}' ({len(biggest.choices):,} choices) or use a "
                "text field."
            )
    if limits.large_enum is not None and limits.large_enum_chars is not None:
        for f in choice_fields:
            chars = sum(len(c) for c in f.choices)
            if len(f.choices) > limits.large_enum and chars > limits.large_enum_chars:
                problems.append(
                    f"The {f.type} '{f.name}' has {len(f.choices):,} choices with {chars:,} characters in all; "
                    f"{provider} accepts at most {limits.large_enum_chars:,} characters in a list of more than "
                    f"{limits.large_enum} choices: shorten the choices, {fix}."
                )
    size = schema_size(schema)
    if limits.max_properties is not None and size.properties > limits.max_properties:
        problems.append(
            f"The answer has {size.properties:,} fields in all; {provider} accepts at most "
            f"{limits.max_properties:,}: use fewer output fields or fewer rows per request."
        )
    if limits.max_depth is not None and size.depth > limits.max_depth:
        problems.append(f"The answer is nested {size.depth} levels deep; {provider} accepts at most {limits.max_depth}.")
    return problems


@dataclass
class SchemaSize:
    """What a provider's schema limits count: object properties, nesting depth and every enum."""

    properties: int = 0
    depth: int = 0
    enums: list[list[Any]] = field(default_factory=list)


def schema_size(schema: Any) -> SchemaSize:
    """Count a schema's properties, objects nested in objects, and collect its enums."""
    size = SchemaSize()
    _measure(schema, 1, size)
    return size


def _measure(schema: Any, depth: int, size: SchemaSize) -> None:
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("enum"), list):
        size.enums.append(schema["enum"])
    properties = schema.get("properties") or {}
    if properties:
        size.properties += len(properties)
        size.depth = max(size.depth, depth)
    for child in [*properties.values(), schema.get("items"), *(schema.get("anyOf") or [])]:
        _measure(child, depth + 1 if properties else depth, size)
