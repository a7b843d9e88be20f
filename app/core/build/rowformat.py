"""How several rows share one user message, and the system-prompt note that tells the model so.

``json`` is the format BatchLab always used: a compact JSON list of ``{"id", "text"}`` objects.
``compact`` spends fewer tokens on framing (no braces, keys or escaped quotes and line breaks per
row): each row is a line with its ID in square brackets, then its text as written, rows separated
by a blank line::

    [R001]
    Title: Great blender
    Review: Loud, but it "just works".

    [R002]
    …

Either way the answer is the same JSON list, each item carrying its row's ID, checked exactly
(app.core.results.rowmap). The compact form stays unambiguous for any text: a text line that
would read as a marker (``[…]`` alone on a line) is sent with one more leading space, and an ID
is written with JSON's string escapes, so it never spans lines and the model copies it into its
JSON answer as it stands. :func:`read_compact` reverses both (the simulated service reads
messages with it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

import orjson

from app.core.build.schema import RESULTS_KEY, ROW_ID_KEY

_ANSWER = f'Answer every row once in "{RESULTS_KEY}", copying its "{ROW_ID_KEY}" exactly.'
#: The JSON format's note; requests of specs written before the compact format keep it byte for byte.
JSON_NOTE = (
    "\n\nEach message holds several rows as a JSON list of objects with an \"id\" and a \"text\". " + _ANSWER
)
COMPACT_NOTE = (
    "\n\nEach message holds several rows. A row starts with a line holding its id in square brackets, "
    f'like [A7]; its text follows. Answer every row once in "{RESULTS_KEY}", copying its "{ROW_ID_KEY}" '
    "exactly, without the brackets."
)
_SEPARATOR = "\n\n"
#: A marker: a line that is one bracketed ID; text lines like it (after any spaces) get one more space.
_MARKER = re.compile(r"^\[(.*)\]$", re.MULTILINE)
_MARKER_LIKE = re.compile(r"^( *\[.*\])$", re.MULTILINE)
_ESCAPED = re.compile(r"^ ( *\[.*\])$", re.MULTILINE)


class RowInput(NamedTuple):
    """One row as it goes into a request: its ID (as text) and its rendered template.

    A named tuple: a job builds one per row, and any ``(id, text)`` pair serves where rows are read.
    """

    row_id: str
    text: str


def json_rows(rows: Sequence[tuple[str, str]]) -> str:
    """Several rows as one message: a compact JSON list of {id, text}."""
    return orjson.dumps([{ROW_ID_KEY: row_id, "text": text} for row_id, text in rows]).decode()


def json_messages(ids: Sequence[str], texts: Sequence[str], size: int) -> list[str]:
    """:func:`json_rows` of every ``size`` consecutive rows (a chunk's messages in one pass)."""
    rows = [{ROW_ID_KEY: row_id, "text": text} for row_id, text in zip(ids, texts)]
    dumps = orjson.dumps
    return [dumps(rows[start : start + size]).decode() for start in range(0, len(rows), size)]


def compact_rows(rows: Sequence[tuple[str, str]]) -> str:
    """Several rows as one message: a ``[id]`` line before each text, a blank line between rows."""
    return _SEPARATOR.join(f"[{_written_id(row_id)}]\n{_escape(text)}" for row_id, text in rows)


def _written_id(row_id: str) -> str:
    """The ID with JSON's string escapes (most IDs need none: checked without calling the encoder)."""
    if row_id.isprintable() and '"' not in row_id and "\\" not in row_id:
        return row_id
    return orjson.dumps(row_id).decode()[1:-1]


def _escape(text: str) -> str:
    return _MARKER_LIKE.sub(r" \1", text) if "[" in text else text


def read_compact(message: str) -> list[RowInput] | None:
    """The rows of a compact message (None when ``message`` is not one)."""
    marks = list(_MARKER.finditer(message))
    if not marks or marks[0].start() != 0:
        return None
    rows = []
    for mark, following in zip(marks, [*marks[1:], None]):
        end = following.start() - len(_SEPARATOR) if following else len(message)
        try:
            row_id = orjson.loads(f'"{mark.group(1)}"')
        except orjson.JSONDecodeError:
            return None
        rows.append(RowInput(row_id, _ESCAPED.sub(r"\1", message[mark.end() + 1 : end])))
    return rows


def compact_messages(ids: Sequence[str], texts: Sequence[str], size: int) -> list[str]:
    """:func:`compact_rows` of every ``size`` consecutive rows."""
    return [
        compact_rows(list(zip(ids[start : start + size], texts[start : start + size])))
        for start in range(0, len(ids), size)
    ]


class RowFormat(NamedTuple):
    """A way of writing several rows into one message, with the note the system prompt carries:
    ``write`` makes one message, ``write_many`` the messages of consecutive rows ``size`` at a time."""

    name: str
    note: str
    write: Callable[[Sequence[tuple[str, str]]], str]
    write_many: Callable[[Sequence[str], Sequence[str], int], list[str]]


ROW_FORMATS = {
    "json": RowFormat("json", JSON_NOTE, json_rows, json_messages),
    "compact": RowFormat("compact", COMPACT_NOTE, compact_rows, compact_messages),
}
