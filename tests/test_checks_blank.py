"""Blank texts and IDs are found the same in a file read by Arrow (where plain-ASCII columns are
cleared at once when no cell can be blank) as in the same table held in memory (every cell tested)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app.core.data import load_table
from app.core.data.checks import TableCheck
from app.core.data.stream import rows_of

FILLED = ["12", "x", "!", "~tilde", " leading space", "a  b"]
BLANKS = ["", " ", "\t", "  \t ", "\u3000", "\xa0"]  # the last two: whitespace outside ASCII


def _found(path: Path) -> list[tuple[str, list[int]]]:
    """(kind, rows) of the issues found reading the file a chunk at a time."""
    check = TableCheck("id", ["a", "b"])
    head = rows_of(path).feed(check.start, check.add)
    return [(issue.kind, issue.rows) for issue in check.issues(head)]


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("other", ["7", "", " "])
def test_blank_cells_found_in_every_kind_of_column(tmp_path: Path, blank: str, other: str) -> None:
    path = tmp_path / "data.csv"
    rows = [[f"r{i}", FILLED[i % len(FILLED)], FILLED[-1 - i % len(FILLED)]] for i in range(40)]
    rows[5] = ["r5", blank, other]  # blank in "a", and in "b" too unless other is "7"
    rows[9] = [blank, "text", "more"]  # a blank ID
    rows[20] = ["r20", " x", blank]  # only "b" blank: not a blank row
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "a", "b"], *rows])
    found = dict(_found(path))
    assert found.get("blank_text") == (None if other == "7" else [7])
    assert found["blank_id"] == [11]
    in_memory = TableCheck("id", ["a", "b"])
    table = load_table(path)
    in_memory.start(table.columns)
    for chunk in table.chunks():
        in_memory.add(chunk)
    assert [(i.kind, i.rows) for i in in_memory.issues(table)] == _found(path)


def test_rows_with_a_filled_text_are_not_blank(tmp_path: Path) -> None:
    """Column "a" is plain ASCII and never starts with whitespace: no row is blank, whatever "b" holds."""
    path = tmp_path / "data.csv"
    rows = [[f"r{i}", FILLED[i % 4], BLANKS[i % len(BLANKS)]] for i in range(40)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "a", "b"], *rows])
    assert [kind for kind, _ in _found(path)] == []
    rows[3][1] = "\t"  # now row 3 is blank in both
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "a", "b"], *rows])
    assert _found(path) == [("blank_text", [5])]
