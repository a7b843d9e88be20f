"""prepare writes a chunk's index lines at once: the same bytes as one line per request."""

from __future__ import annotations

from app.core.build.batchfiles import dumps_line
from app.core.build.prepare import _index_lines


def test_index_lines_of_a_chunk_are_its_entries_line_by_line() -> None:
    """A chunk's index lines, serialised at once and split, are each entry's own line, whatever the IDs hold."""
    tricky = ['},{"custom_id":"x"', 'say "hi"', "back\\slash", "東京", "", "{}", '"}\n{"custom_id":']
    groups = [tricky[i : i + 3] for i in range(0, len(tricky))]
    custom_ids = [f"req-{n:06d}" for n in range(1, len(groups) + 1)]
    files = [1 + n // 3 for n in range(len(groups))]
    entries = zip(custom_ids, files, groups)
    expected = b"".join(dumps_line({"custom_id": c, "file": f, "rows": g}) for c, f, g in entries)
    assert _index_lines(custom_ids, files, groups) == expected
    assert _index_lines(custom_ids[:1], files[:1], groups[:1]) == dumps_line(
        {"custom_id": custom_ids[0], "file": files[0], "rows": groups[0]}
    )
