"""The request index: which rows each request carries, read whole or for one batch file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.build.batchfiles import dumps_line
from app.core.build.prepare import INDEX_FILE, read_index

ENTRIES = [
    ("req-000001", 1, ["a", "b"]),
    ("req-000002", 1, ['say "file":2, here', "c"]),  # an ID that quotes the marker of file 2
    ("req-000003", 2, ["d"]),
    ("req-000004", 2, ["e", "f"]),
    ("req-000005", 3, ["g"]),
]


def _write(folder: Path, spaced: bool) -> Path:
    lines = [
        (json.dumps({"custom_id": c, "file": f, "rows": r}) + "\n").encode()  # an older BatchLab's spacing
        if spaced
        else dumps_line({"custom_id": c, "file": f, "rows": r})
        for c, f, r in ENTRIES
    ]
    (folder / INDEX_FILE).write_bytes(b"".join(lines))
    return folder


@pytest.mark.parametrize("spaced", [False, True], ids=["compact", "spaced"])
def test_one_batch_files_requests_are_read_from_the_index(tmp_path: Path, spaced: bool) -> None:
    folder = _write(tmp_path, spaced)
    assert list(read_index(folder)) == ENTRIES
    for file in (1, 2, 3):
        assert list(read_index(folder, file)) == [e for e in ENTRIES if e[1] == file]
    assert list(read_index(folder, 4)) == []
