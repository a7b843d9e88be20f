"""Request lines spliced from parts serialised once, so a job of a million rows serialises its
shared instructions and schema once, not once per request.

Every request of a job is the same JSON apart from its ``custom_id`` and its user message. The
line is serialised once with stand-ins for both; each request is then its ``custom_id`` and its
message (serialised as a JSON string) put between the pieces. The result is byte for byte what
serialising the whole request gives (``tests/test_request_bytes.py``). When the stand-ins cannot
be found exactly once (instructions that happen to contain them), each line is serialised whole
from the parsed template instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from app.core.build.batchfiles import dumps_line
from app.core.build.requests import RequestBuilder, RowInput

_CUSTOM_ID = "batchlab-splice-custom-id"
_ROW = RowInput("\x00batchlab-splice-row\x00", "\x00batchlab-splice-text\x00")


class LineMaker:
    """The JSONL line of a request from its ``custom_id`` and user message (:meth:`RequestBuilder.user_content`)."""

    def __init__(self, builder: RequestBuilder) -> None:
        template = builder.batch_line(_CUSTOM_ID, [_ROW])
        line = dumps_line(template)
        content = builder.user_content([_ROW])
        encoded, marker = orjson.dumps(content), _CUSTOM_ID.encode()
        self._parts: tuple[bytes, bytes, bytes] | None = None
        if line.count(encoded) == 1 and line.count(marker) == 1 and line.index(marker) < line.index(encoded):
            before, _, after = line.partition(encoded)
            head, _, middle = before.partition(marker)
            self._parts = (head, middle, after)
        self._template, self._slot = template, _slot(template, content)

    def line(self, custom_id: str, content: str) -> bytes:
        """One request line, exactly as ``dumps_line(builder.batch_line(custom_id, rows))``."""
        if self._parts is not None:
            head, middle, after = self._parts
            return b"".join((head, custom_id.encode(), middle, orjson.dumps(content), after))
        holder, key = self._slot
        holder[key] = content
        self._template["custom_id"] = custom_id
        return dumps_line(self._template)

    def lines(self, custom_ids: Sequence[str], contents: Sequence[str]) -> list[bytes]:
        """:meth:`line` of each request (custom_id and user message in pairs)."""
        if self._parts is None:
            return list(map(self.line, custom_ids, contents))
        head, middle, after = self._parts
        join, dumps = b"".join, orjson.dumps
        return [
            join((head, custom_id.encode(), middle, dumps(content), after))
            for custom_id, content in zip(custom_ids, contents)
        ]


def _slot(node: Any, value: str) -> tuple[Any, Any]:
    """The container and key that hold ``value`` inside a request (where the user message goes)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        if child == value:
            return node, key
        if isinstance(child, dict | list) and (found := _slot(child, value)) != (None, None):
            return found
    return None, None
