"""Generate a value that conforms to a JSON schema, deterministically from the row's text.

Generic on purpose: it knows JSON Schema (the strict subset providers accept: objects, arrays,
enums, bounds, ``$ref``/``$defs``, ``anyOf``), not BatchLab's fields, so any strict schema works.
"""

from __future__ import annotations

import hashlib
from typing import Any

SIMULATED_PREFIX = "[simulated] "
_QUOTE_WORDS = 8
_QUOTE_CHARS = 60
#: Nesting beyond which optional parts are left out, so recursive schemas (``$ref: "#"``) end.
_MAX_DEPTH = 8


def _unit(seed: str, path: str) -> float:
    """A stable number in [0, 1) for this text and place in the answer."""
    digest = hashlib.sha256(f"{seed}\x1f{path}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _deep(path: str) -> bool:
    return path.count(".") + path.count("[") > _MAX_DEPTH


def quote(text: str) -> str:
    """A short quote of the input, marked as simulated."""
    words = " ".join(text.split()[:_QUOTE_WORDS])[:_QUOTE_CHARS]
    return SIMULATED_PREFIX + (words or "(empty text)")


class SchemaValues:
    """Walks one schema (its root resolves ``$ref``) for one piece of input text."""

    def __init__(self, root: dict[str, Any], text: str) -> None:
        self.root = root
        self.text = text

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Follow local ``$ref`` pointers (``#/$defs/x``, ``#/definitions/x``)."""
        seen = 0
        while "$ref" in schema and seen < 32:
            node: Any = self.root
            for part in schema["$ref"].lstrip("#").strip("/").split("/"):
                if part:
                    node = node[part.replace("~1", "/").replace("~0", "~")]
            schema = {k: v for k, v in schema.items() if k != "$ref"} | node
            seen += 1
        return schema

    def value(self, schema: dict[str, Any], path: str = "$") -> Any:
        schema = self.resolve(schema)
        pick = _unit(self.text, path)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            options = schema["enum"]
            return options[int(pick * len(options))]
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                nulls = [o for o in schema[key] if self.resolve(o).get("type") == "null"]
                if nulls and _deep(path):
                    return None
                options = [o for o in schema[key] if o not in nulls] or schema[key]
                return self.value(options[int(pick * len(options))], f"{path}|{key}")
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                part = self.resolve(part)
                merged |= part | {"properties": merged.get("properties", {}) | part.get("properties", {})}
            return self.value(merged, path)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        makers = {
            "object": self._object,
            "array": self._array,
            "number": self._number,
            "integer": self._integer,
            "boolean": self._boolean,
            "null": self._null,
        }
        return makers.get(kind, self._string)(schema, path, pick)

    def _object(self, schema: dict[str, Any], path: str, pick: float) -> dict[str, Any]:
        return {name: self.value(sub, f"{path}.{name}") for name, sub in schema.get("properties", {}).items()}

    def _array(self, schema: dict[str, Any], path: str, pick: float) -> list[Any]:
        items = self.resolve(schema.get("items") or {})
        low = schema.get("minItems", 0)
        high = schema.get("maxItems")
        if items.get("enum"):
            options = items["enum"]
            chosen = [o for i, o in enumerate(options) if _unit(self.text, f"{path}[{i}]") < 0.5]
            for option in options:  # top up to minItems (and at least one)
                if len(chosen) >= max(low, 1):
                    break
                if option not in chosen:
                    chosen.append(option)
            return chosen[:high] if high is not None else chosen
        count = low if _deep(path) else max(low, 1 + int(pick * 2))
        if high is not None:
            count = min(count, high)
        return [self.value(items, f"{path}[{i}]") for i in range(count)]

    def _string(self, schema: dict[str, Any], path: str, pick: float) -> str:
        fmt = schema.get("format")
        if fmt == "date":
            text = f"2026-{1 + int(pick * 12):02d}-{1 + int(pick * 28 * 12) % 28:02d}"
        elif fmt == "date-time":
            text = f"2026-{1 + int(pick * 12):02d}-15T12:00:00Z"
        elif fmt == "email":
            text = "simulated@example.com"
        elif fmt == "uri":
            text = "https://example.com/simulated"
        elif fmt == "uuid":
            digest = hashlib.sha256(f"{self.text}\x1f{path}".encode()).hexdigest()
            text = f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"
        else:
            text = quote(self.text)
        if "maxLength" in schema:
            text = text[: schema["maxLength"]]
        return text.ljust(schema.get("minLength", 0), ".")

    @staticmethod
    def _bounds(schema: dict[str, Any], span: float) -> tuple[float, float]:
        """The allowed range; a missing side lies ``span`` away from the other (or at 0)."""
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if low is None:
            low = 0 if high is None or high >= 0 else high - span
        if high is None:
            high = low + span
        return low, high

    def _number(self, schema: dict[str, Any], path: str, pick: float) -> float:
        low, high = self._bounds(schema, 1.0)
        value = round(low + (high - low) * pick, 2)
        if "exclusiveMinimum" in schema and value <= low or "exclusiveMaximum" in schema and value >= high:
            value = (low + high) / 2
        return min(max(value, low), high)

    def _integer(self, schema: dict[str, Any], path: str, pick: float) -> int:
        low, high = self._bounds(schema, 10)
        low = int(low) + (1 if "exclusiveMinimum" in schema else 0)
        high = int(high) - (1 if "exclusiveMaximum" in schema else 0)
        return low + int(pick * (high - low + 1)) if high >= low else low

    def _boolean(self, schema: dict[str, Any], path: str, pick: float) -> bool:
        return pick < 0.5

    def _null(self, schema: dict[str, Any], path: str, pick: float) -> None:
        return None


def generate(schema: dict[str, Any], text: str) -> Any:
    """A value conforming to ``schema``, seeded by ``text`` (free strings quote it)."""
    return SchemaValues(schema, text).value(schema)


def row_list_property(schema: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """For a multi-row schema (root with one array property of objects with an ``id``), its name and item schema."""
    walker = SchemaValues(schema, "")
    root = walker.resolve(schema)
    properties = root.get("properties") or {}
    if len(properties) != 1:
        return None
    (name, prop), = properties.items()
    prop = walker.resolve(prop)
    items = walker.resolve(prop.get("items") or {})
    if prop.get("type") != "array" or "id" not in (items.get("properties") or {}):
        return None
    return name, items


def generate_rows(schema: dict[str, Any], key: str, item: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One answer item per row, each seeded by its row's text and carrying the row's id as sent."""
    answers = []
    for row in rows:
        value = SchemaValues(schema, str(row.get("text", ""))).value(item, f"$.{key}[]")
        answers.append(value | {"id": row["id"]})
    return {key: answers}
