"""A chunk's user messages joined into one text, so that making their request lines escapes them
in one call (:meth:`app.core.build.lines.LineMaker.block`) instead of one call per request.

The text holds, for each request in turn, its ``custom_id``, the ``opening`` stand-in, the middle
of its message and the ``closing`` stand-in (:mod:`app.core.build.standins`). The middle is the
message itself (``before`` and ``after`` empty), or for the JSON row format the message already
JSON-escaped once and without the ``[{"id":"`` before and ``"}]`` after it that every message
has: the whole chunk's rows are escaped at once, and the rows' lengths need not be known.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.build.standins import CANDIDATES, stand_ins


@dataclass(frozen=True)
class Messages:
    """The messages of consecutive requests as one text (see the module's docstring)."""

    custom_ids: Sequence[str]
    text: str | None  # None: no stand-ins were free, the lines are made one by one from ``contents``
    opening: str = ""
    closing: str = ""
    before: str = ""
    after: str = ""
    contents: Sequence[str] | None = None  # the messages, when they were made one by one

    @classmethod
    def of(cls, custom_ids: Sequence[str], contents: Sequence[str], candidates: str = CANDIDATES) -> Messages:
        """The messages ``contents`` (joined when two stand-ins are free)."""
        marks = stand_ins(2, ("".join(contents), "".join(custom_ids)), candidates)
        if marks is None:
            return cls(custom_ids, None, contents=contents)
        opening, closing = marks
        pieces = [opening] * (4 * len(custom_ids))
        pieces[0::4], pieces[2::4], pieces[3::4] = custom_ids, contents, [closing] * len(custom_ids)
        return cls(custom_ids, "".join(pieces), opening, closing, contents=contents)

    @functools.cached_property
    def _spans(self) -> list[tuple[int, int]]:
        """Where each message's middle starts and ends in ``text``. Each ends at a ``closing``,
        found by ``str.find`` (a C scan), and starts after its ``custom_id`` and ``opening``."""
        assert self.text is not None
        spans, end, find, closing = [], -1, self.text.find, self.closing
        for custom_id in self.custom_ids:
            start = end + len(custom_id) + 2
            end = find(closing, start)
            spans.append((start, end))
        return spans

    def lengths(self) -> list[int]:
        """The length of each message (in characters)."""
        if self.contents is not None:
            return list(map(len, self.contents))
        extra = len(self.before) + len(self.after)
        return [end - start + extra for start, end in self._spans]

    def content(self, index: int) -> str:
        """The message of the ``index``-th request."""
        if self.contents is not None:
            return self.contents[index]
        assert self.text is not None
        start, end = self._spans[index]
        return self.before + self.text[start:end] + self.after
