"""Data files a spec can point at that BatchLab cannot use: each is refused by ``prepare`` with a
message that says what is really wrong with the file, and no --out folder is made."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.badinput.conftest import Outcome, assert_plain_failure, base_spec, write_spec

HEADER = "review_id,title,body,stars\n"


def _xlsx(rows: list[list[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


# id, file name, content, words the message must hold
DATA: list[tuple[str, str, bytes, tuple[str, ...]]] = [
    ("empty-file", "data.csv", b"", ("empty",)),
    ("header-only", "data.csv", HEADER.encode(), ("no rows",)),
    ("random-bytes", "data.csv", bytes(range(256)) * 64, ("not",)),
    ("gzip-named-csv", "data.csv", gzip.compress(HEADER.encode() * 50), ("not",)),
    ("nul-bytes", "data.csv", HEADER.encode() + b"R1,a\x00b,c\x00d,5\n" * 5, ("data.csv",)),
    ("pdf", "data.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", (".pdf",)),
    ("xlsx-is-text", "data.xlsx", HEADER.encode() + b"R1,a,b,5\n", ("data.xlsx",)),
    ("xlsx-random-bytes", "data.xlsx", bytes(range(256)) * 16, ("data.xlsx",)),
    ("xlsx-zip-not-workbook", "data.xlsx", _zip_without_workbook(), ("data.xlsx",)),
    ("xlsx-empty-sheet", "data.xlsx", _xlsx([]), ("data.xlsx",)),
    ("duplicate-ids", "data.csv", (HEADER + "R1,a,b,5\nR1,c,d,4\n").encode(), ("R1",)),
    ("blank-ids", "data.csv", (HEADER + ",a,b,5\nR2,c,d,4\n").encode(), ("review_id",)),
    ("all-texts-blank", "data.csv", (HEADER + "R1,,,5\nR2,,,4\n").encode(), ("blank",)),
    ("missing-text-columns", "data.csv", b"review_id,stars\nR1,5\nR2,4\n", ("title",)),
    ("unclosed-quote", "data.csv", (HEADER + 'R1,"a,b,5\nR2,c,d,4\n').encode(), ("quotation mark", "row 2")),
    # A workbook keeps numbers as doubles: 20-digit IDs really become equal; say so, not "duplicates of 1.2e+19".
    ("long-numeric-ids-xlsx", "data.xlsx", _xlsx([["review_id", "title", "body"], *[[12345678901234567890 + i, "t", "b"] for i in range(3)]]), ("15 digits",)),
    ("mixed-encodings", "data.csv", (HEADER + "R1,Señor,ok,5\n").encode() + "R2,Señor,ok,4\n".encode("cp1252"), ("R2",)),
]


#: Cases whose fix belongs to another part of the code, each with the owner named (none now).
KNOWN: dict[str, str] = {}


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [pytest.param(*d[1:], marks=[pytest.mark.xfail(reason=KNOWN[d[0]])] if d[0] in KNOWN else []) for d in DATA],
    ids=[d[0] for d in DATA],
)
def test_prepare_refuses_bad_data(
    cli: Callable[..., Outcome], workdir: Path, name: str, content: bytes, words: tuple[str, ...]
) -> None:
    (workdir / name).write_bytes(content)
    spec = write_spec(workdir, base_spec(data=name))
    out = workdir / "out"
    outcome = cli("prepare", spec, "--out", out)
    assert_plain_failure(outcome, *words)
    assert "e+" not in outcome.text, "a number shown in scientific notation"
    assert not out.exists(), "a refused data file still created the --out folder"
    assert not list(workdir.glob(".out*")), "a refused data file left prepare's scratch folder behind"

