"""Output fields as a strict JSON schema, the one form every provider's structured output accepts.

Strict mode (OpenAI) wants every property required and ``additionalProperties: false`` on every
object; Anthropic's tool ``input_schema`` takes the same schema, so one builder serves both.
"""

from __future__ import annotations

from typing import Any

from app.core.spec import FieldSpec

#: Name of the structured-output schema / forced tool; the same for every job so answers are recognisable.
SCHEMA_NAME = "record_coding"
#: Property holding the list of per-row answers when a request carries several rows.
RESULTS_KEY = "results"
ROW_ID_KEY = "id"


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
    if spec.description:
        schema["description"] = spec.description
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
