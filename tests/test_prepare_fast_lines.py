"""A block of request lines made in a few calls (messages joined with stand-in characters, escaped
at once) is byte for byte the lines serialised one request at a time, whatever the texts and IDs
hold; and prepare, which writes its chunks that way, writes the requests one at a time would."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.build.batchfiles import BatchLimits, SplitWriter, dumps_line
from app.core.build.lines import LineMaker
from app.core.build.prepare import _index_block, _index_lines, iter_requests, plan_rows, prepare
from app.core.build.requests import RequestBuilder, RowInput
from app.core.build.standins import CANDIDATES, stand_ins
from app.core.data.table import Table
from app.core.spec import parse_spec

#: Texts that break naive splitting: quotes, backslashes, line breaks, control characters,
#: non-ASCII, JSON's own separators (escaped once and twice), a text ending in '",', empty texts.
HOSTILE = [
    'say "hi"', "back\\slash\\", "line\nbreak\r\n\ttab", "nul\x00bell\x07esc\x1b\x1f", "naïve 東京 😀 \u2028",
    "", '","', '\\",\\"', 'ends with ",', '"},{"id":"x', "[R1]\n[x]", '\\\\\\"', "{}", "\x7f", "^`|~",
]  # fmt: skip
IDS = ["plain", 'q"uote', "back\\", "東京", "tab\t", "", "a,b", '","', "17", "x" * 40, "nl\n", "\x7f", "^", "dup", "z"]

PROVIDERS = {
    "openai-chat": {"provider": "openai", "model": "gpt-4o-mini"},
    "openai-responses": {"provider": "openai", "model": "gpt-5.4", "endpoint": "responses"},
    "anthropic": {"provider": "anthropic", "model": "claude-sonnet-4-6"},
}


def _builder(provider: str, rows_per_request: int, row_format: str | None = None, **changes: object) -> RequestBuilder:
    raw = {
        "name": "fast", "data": "data.csv", "id_column": "id", "instructions": "Code the texts.",
        "input_template": "Text: {text}", "fields": [{"name": "tone", "type": "category", "choices": ["a", "b"]}],
        "rows_per_request": rows_per_request, "row_format": row_format, **PROVIDERS[provider], **changes,
    }  # fmt: skip
    return RequestBuilder(parse_spec(raw, Path("."), require_data=False))


def _one_by_one(builder: RequestBuilder, custom_ids: list[str], ids: list[str], texts: list[str]) -> bytes:
    size = builder.rows_per_request
    rows = list(map(RowInput, ids, texts))
    return b"".join(
        dumps_line(builder.batch_line(custom_id, rows[at : at + size]))
        for custom_id, at in zip(custom_ids, range(0, len(rows), size))
    )


def _custom_ids(count: int, rows_per_request: int) -> list[str]:
    return [f"req-{n:06d}" for n in range(1, -(-count // rows_per_request) + 1)]


def test_stand_ins_are_characters_no_text_holds() -> None:
    assert stand_ins(2, ["a\x7fb", "c^"]) == "`|"
    assert stand_ins(3, ["x"], "ab") is None  # too few candidates
    assert stand_ins(1, ["".join(CANDIDATES)]) is None


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@pytest.mark.parametrize(("row_format", "size"), [(None, 1), ("json", 1), ("json", 4), ("compact", 3), ("json", 15)])
def test_a_chunks_lines_are_each_requests_line(provider: str, row_format: str | None, size: int) -> None:
    builder = _builder(provider, size, row_format)
    maker = LineMaker(builder)
    for ids, texts in [(IDS, HOSTILE), (IDS[:7], HOSTILE[:7]), (IDS[:1], HOSTILE[:1]), (["x"] * 9, ["plain text"] * 9)]:
        ids, texts = [i.replace("\x7f", "") or "e" for i in ids], list(texts)
        custom_ids = _custom_ids(len(ids), size)
        block = maker.block(custom_ids, builder.user_contents(ids, texts))
        assert len(block) == 2  # joined: two stand-ins are characters none of these texts holds
        assert b"".join(block) == _one_by_one(builder, custom_ids, ids, texts)


@pytest.mark.parametrize(("row_format", "size"), [("json", 3), (None, 1)])
def test_lines_are_made_one_by_one_without_stand_ins(row_format: str | None, size: int) -> None:
    """Texts holding every stand-in, or instructions holding the line's own stand-ins: the same bytes."""
    for builder in (_builder("openai-chat", size, row_format), _builder("anthropic", size, row_format,
                    instructions="batchlab-splice-custom-id " + CANDIDATES)):  # fmt: skip
        maker = LineMaker(builder)
        ids, texts = ["a", "b", "c", "d"], [CANDIDATES, "x", "y" + CANDIDATES, "z"]
        custom_ids = _custom_ids(len(ids), size)
        block = maker.block(custom_ids, builder.user_contents(ids, texts))
        assert len(block) == len(custom_ids)  # made line by line
        assert b"".join(block) == _one_by_one(builder, custom_ids, ids, texts)


def test_a_block_split_across_files_is_written_line_by_line(tmp_path: Path) -> None:
    builder = _builder("anthropic", 2, "json")
    maker = LineMaker(builder)
    ids, texts = [f"r{n}" for n in range(40)], [f"text {n} " * n for n in range(40)]
    custom_ids = _custom_ids(len(ids), 2)
    block = maker.block(custom_ids, builder.user_contents(ids, texts))
    limits = BatchLimits(max_requests=7, max_bytes=20_000, overhead=16, separator_bytes=1)
    lines = _one_by_one(builder, custom_ids, ids, texts).splitlines(keepends=True)
    with SplitWriter(tmp_path / "block", limits) as writer:
        files = writer.write_block(custom_ids, block, [2] * len(custom_ids))
    with SplitWriter(tmp_path / "lines", limits) as expected:
        assert files == [expected.write(c, line, 2) for c, line in zip(custom_ids, lines)]
    assert [f.to_dict() for f in writer.files] == [f.to_dict() for f in expected.files]
    for made, wanted in zip(writer.files, expected.files):
        assert made.path.read_bytes() == wanted.path.read_bytes()


@pytest.mark.parametrize("block_chars", [64_000, 40])  # a chunk's requests in one block, or one or two a block
def test_prepare_writes_hostile_rows_as_one_request_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_chars: int
) -> None:
    """End to end, from a table in memory: a last partial request, every row format, both providers."""
    import pandas as pd

    monkeypatch.setattr("app.core.build.prepare.BLOCK_CHARS", block_chars)
    frame = pd.DataFrame({"id": [f"{i}-{n}" for n in range(3) for i in IDS[:-1]], "text": HOSTILE[:-1] * 3})
    frame = frame[frame["text"].str.strip() != ""]  # blank texts are not sent
    table = Table(frame.reset_index(drop=True), tmp_path / "data.csv")
    for provider, row_format, size in [("openai-chat", "json", 4), ("anthropic", "compact", 5), ("openai-responses", None, 1)]:
        builder = _builder(provider, size, row_format, accept_unreadable_rows=True)
        out = tmp_path / f"{provider}-{size}"
        prepare(builder.spec, out, table=table)
        requests = list(iter_requests(builder, plan_rows(builder.spec, table), "req"))
        assert (out / "batch-001.jsonl").read_bytes() == b"".join(dumps_line(line) for *_, line in requests)
        index = [dumps_line({"custom_id": c, "file": 1, "rows": [row.row_id for row in rows]}) for c, rows, _ in requests]
        assert (out / "index.jsonl").read_bytes() == b"".join(index)


@pytest.mark.parametrize("size", [1, 3, 4])
def test_index_lines_made_at_once_are_each_entrys_line(size: int) -> None:
    """The index of requests in one file, made with stand-ins: each entry's own line, whatever the IDs hold."""
    ids = [i.replace("\x7f", "") or "e" for i in IDS] + HOSTILE[:7]  # a last request partly filled for 3 and 4
    custom_ids = _custom_ids(len(ids), size)
    groups = [ids[at : at + size] for at in range(0, len(ids), size)]
    files = [2] * len(custom_ids)
    expected = b"".join(dumps_line({"custom_id": c, "file": 2, "rows": g}) for c, g in zip(custom_ids, groups))
    assert _index_block(custom_ids, files, ids, size) == expected == _index_lines(custom_ids, files, groups)


def test_index_lines_are_not_made_at_once_across_files_or_without_stand_ins() -> None:
    assert _index_block(["req-000001", "req-000002"], [1, 2], ["a", "b"], 1) is None
    assert _index_block(["req-000001"], [1], [CANDIDATES], 1) is None
