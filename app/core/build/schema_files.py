"""Output fields to and from a JSON schema file (for people who have one already, or want one). No Qt here.

Accepted: a plain object schema with simple properties (what "Export JSON schema" writes), the
several-rows form BatchLab sends (``results`` → items), and the common wrappers around a schema
(OpenAI's ``response_format``/``json_schema``/``schema``, Anthropic's tool ``input_schema``).
Whatever cannot become a field is reported by name with the reason, never silently dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.errors import BatchLabError
from app.core.build.schema import RESULTS_KEY, ROW_ID_KEY, row_schema
from app.core.spec import FIELD_NAME, RESERVED_FIELD_NAMES, FieldSpec


@dataclass
class SchemaImport:
    """The fields read from a schema, and one plain sentence for each property left out."""

    fields: list[FieldSpec] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        count = len(self.fields)
        text = f"Imported {count} field{'s' if count != 1 else ''}."
        if self.skipped:
            text += " Not imported: " + " ".join(self.skipped)
        return text


def _unwrap(schema: Any) -> tuple[Any, bool]:
    """The object schema inside the usual wrappers, and whether it is the several-rows form."""
    for _ in range(5):
        if not isinstance(schema, dict):
            return schema
        if "properties" in schema:
            break
        for key in ("response_format", "json_schema", "schema", "input_schema", "parameters", "format", "text"):
            if isinstance(schema.get(key), dict):
                schema = schema[key]
                break
        else:
            break
    if isinstance(schema, dict):
        props = schema.get("properties")
        if isinstance(props, dict) and set(props) == {RESULTS_KEY}:
            items = props[RESULTS_KEY].get("items") if isinstance(props[RESULTS_KEY], dict) else None
            if isinstance(items, dict) and "properties" in items:
                return items, True
    return schema, False


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _one_field(name: str, prop: Any) -> tuple[FieldSpec | None, str]:
    """The field for one property, or None and why not."""
    if not isinstance(prop, dict):
        return None, "its definition is not an object"
    description = prop.get("description") if isinstance(prop.get("description"), str) else ""
    kind = prop.get("type")
    if isinstance(kind, list):  # ["string", "null"] and the like: a nullable simple type
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    enum = prop.get("enum")
    if kind == "string" or (kind is None and isinstance(enum, list)):
        if isinstance(enum, list):
            if not all(isinstance(c, str) for c in enum):
                return None, "its choices are not all text"
            return FieldSpec(name, "category", description, list(enum)), ""
        return FieldSpec(name, "text", description), ""
    if kind in ("number", "integer"):
        return (
            FieldSpec(
                name,
                kind,
                description,
                minimum=_number(prop.get("minimum")),
                maximum=_number(prop.get("maximum")),
            ),
            "",
        )
    if kind == "boolean":
        return FieldSpec(name, "boolean", description), ""
    if kind == "array":
        items = prop.get("items")
        if not isinstance(items, dict) or items.get("type", "string") != "string":
            return None, "it is a list of something other than text"
        choices = items.get("enum")
        if choices is not None and not (isinstance(choices, list) and all(isinstance(c, str) for c in choices)):
            return None, "its choices are not all text"
        return FieldSpec(name, "list", description, list(choices or [])), ""
    if kind == "object":
        return None, "a group of values inside a field is not supported"
    return None, f"its type ({json.dumps(prop.get('type'))}) is not one BatchLab knows"


def fields_from_schema(schema: Any) -> SchemaImport:
    """Convert a parsed JSON schema to output fields; raise BatchLabError when nothing usable is there."""
    found, several_rows = _unwrap(schema)
    props = found.get("properties") if isinstance(found, dict) else None
    if not isinstance(props, dict) or not props:
        raise BatchLabError(
            "This file is not a JSON schema with properties, so no fields could be read from it.",
            'Choose a schema of the form {"type": "object", "properties": {...}}, such as one exported by BatchLab.',
        )
    result = SchemaImport()
    for name, prop in props.items():
        if name == ROW_ID_KEY and several_rows:
            continue  # the row id BatchLab adds for several rows per request
        if not FIELD_NAME.match(str(name)) or str(name).lower() in RESERVED_FIELD_NAMES:
            result.skipped.append(f'"{name}" (the name must start with a letter and use letters, digits and _).')
            continue
        spec, why = _one_field(str(name), prop)
        if spec is None:
            result.skipped.append(f'"{name}" ({why}).')
        else:
            result.fields.append(spec)
    if not result.fields:
        raise BatchLabError(
            "None of the schema's properties could become an output field. " + " ".join(result.skipped),
            "BatchLab fields are simple: a category, a number, yes/no, a list of texts or a text.",
        )
    return result


def read_schema_file(path: Path) -> SchemaImport:
    """Read a JSON schema file into fields (BatchLabError with a plain message when it cannot)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise BatchLabError(f'"{path.name}" could not be read: {exc.strerror or exc}.', "Choose the file again.") from None
    except UnicodeDecodeError:
        raise BatchLabError(f'"{path.name}" is not a text file.', "Choose a .json file holding a JSON schema.") from None
    except json.JSONDecodeError as exc:
        raise BatchLabError(
            f'"{path.name}" is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.',
            "Check the file in a text editor, or export the schema again.",
        ) from None
    return fields_from_schema(raw)


def write_schema_file(path: Path, fields: list[FieldSpec]) -> None:
    """Write the JSON schema one row's answer follows (as sent with one row per request); it reads
    back into the same fields. A BatchLabError with a plain message when the file cannot be written."""
    path = Path(path)
    text = json.dumps(row_schema(fields), indent=2, ensure_ascii=False)
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise BatchLabError(
            f"{path.name} could not be written: {exc.strerror or exc}.", "Choose another folder or file name."
        ) from None
