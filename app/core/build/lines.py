"""Request lines spliced from parts serialised once, so a job of a million rows serialises its
shared instructions and schema once, not once per request.

Every request of a job is the same JSON apart from its ``custom_id`` and its user message. The
line is serialised once with stand-ins for both; each request is then its ``custom_id`` and its
message (serialised as a JSON string) put between the pieces. The result is byte for byte what
serialising the whole request gives (``tests/test_request_bytes.py``). When the stand-ins cannot
be found exactly once (instructions that happen to contain them), each line is serialised whole
from the parsed template instead. A block of lines is made at once (:meth:`LineMaker.block`): its
messages are escaped in one call and the pieces between them put in where stand-in characters
mark their places (:mod:`app.core.build.standins`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import orjson

from app.core.build.batchfiles import dumps_line
from app.core.build.requests import RequestBuilder, RowInput
from app.core.build.standins import CANDIDATES, stand_ins, without

#: Request lines one after another, in parts (written as they are; joined they are the lines).
Block: TypeAlias = list[bytes | memoryview]
#: About how many characters of messages :meth:`LineMaker.block` should be given at a time: its
#: few passes then run in the processor's cache, on memory reused from one block to the next.
#: Measured at 100k rows (2 cores): making and writing the lines took ~40% less time than one call
#: per request at 1 row per request, about the same at 5 rows of ~400 characters; a whole chunk of
#: 1-2 MB at once took ~10% longer than one call per request.
BLOCK_CHARS = 64_000

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
        self._stand_ins = ""  # the stand-ins :meth:`block` may use: none of the line's parts holds one
        if line.count(encoded) == 1 and line.count(marker) == 1 and line.index(marker) < line.index(encoded):
            before, _, after = line.partition(encoded)
            head, _, middle = before.partition(marker)
            self._parts = (head, middle, after)
            self._stand_ins = without(CANDIDATES, *(part.decode() for part in self._parts))
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

    def block(self, custom_ids: Sequence[str], contents: Sequence[str]) -> Block:
        """:meth:`lines` one after another, made in a few calls: every ``custom_id`` and message,
        with a stand-in character after each (:mod:`app.core.build.standins`), is joined into one
        text and escaped at once, and the stand-ins are then replaced by the JSON between a
        ``custom_id`` and its message, and between the message and the next ``custom_id`` (a
        custom_id is letters, digits, ``-`` and ``_``, which escaping leaves as they are). When
        too few stand-ins are free, or the line has no parts to splice, the lines are made one by
        one. Give it about :data:`BLOCK_CHARS` of messages at a time.
        """
        marks = stand_ins(2, ("".join(contents), "".join(custom_ids)), self._stand_ins)
        if marks is None or self._parts is None or not custom_ids:
            return list(self.lines(custom_ids, contents))
        head, middle, after = self._parts
        opening, closing = marks
        pieces = [opening] * (4 * len(custom_ids))
        pieces[0::4], pieces[2::4], pieces[3::4] = custom_ids, contents, [closing] * len(custom_ids)
        escaped = orjson.dumps("".join(pieces))  # "cid(opening)message(closing)cid(opening)…(closing)"
        body = escaped.replace(opening.encode(), middle + b'"').replace(closing.encode(), b'"' + after + head)
        return [head, memoryview(body)[1 : -len(head) - 1]]


def _slot(node: Any, value: str) -> tuple[Any, Any]:
    """The container and key that hold ``value`` inside a request (where the user message goes)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        if child == value:
            return node, key
        if isinstance(child, dict | list) and (found := _slot(child, value)) != (None, None):
            return found
    return None, None
