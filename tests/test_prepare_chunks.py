"""prepare writes a chunk's requests at once: the same files, index and token figures as one at a time."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from app.core.build import tokens
from app.core.build.batchfiles import BatchLimits, SplitWriter, dumps_line
from app.core.build.prepare import iter_requests, plan_rows, prepare, read_index
from app.core.build.requests import RequestBuilder
from app.core.build.tokens import TokenTally, token_counter
from app.core.data import load_table
from app.core.data.table import SLICE_ROWS
from app.core.spec import parse_spec

ROOT = Path(__file__).resolve().parents[1]
ROWS = 2 * SLICE_ROWS + 500  # three slices of a table in memory


def _data(path: Path) -> Path:
    rng = random.Random(3)
    words = 'fine slow "quoted" \\ back\\slash naïve 東京 [x] tab\there'.split(" ")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        for i in range(ROWS):
            writer.writerow([f"r{i}", "\n".join(" ".join(rng.choices(words, k=rng.randint(1, 12))) for _ in range(2))])
    return path


def _spec(data: Path, **changes: object):
    raw = {
        "name": "chunks", "data": str(data), "id_column": "id", "instructions": "Code the texts.",
        "input_template": "Text: {text}", "provider": "openai", "model": "gpt-4o-mini",
        "fields": [{"name": "tone", "type": "category", "choices": ["a", "b"]}],
    }  # fmt: skip
    raw.update(changes)
    return parse_spec(raw, data.parent)


@pytest.mark.parametrize(("row_format", "rows_per_request"), [("json", 3), ("compact", 7), (None, 1)])
def test_chunked_writing_matches_request_by_request(
    tmp_path: Path, row_format: str | None, rows_per_request: int
) -> None:
    """Leftover rows carry across slices, and files split mid-slice exactly where line-by-line writing splits."""
    spec = _spec(_data(tmp_path / "data.csv"), rows_per_request=rows_per_request, row_format=row_format)
    limits = BatchLimits(max_requests=900, max_bytes=600_000)
    table = load_table(spec.data)
    prepared = prepare(spec, tmp_path / "out", table=table, limits=limits)

    expected = tmp_path / "expected"
    index = []
    with SplitWriter(expected, limits) as writer:
        for custom_id, rows, line in iter_requests(RequestBuilder(spec), plan_rows(spec, table), "req"):
            index.append((custom_id, writer.write(custom_id, dumps_line(line), len(rows)), [r.row_id for r in rows]))
    assert len(writer.files) > 2
    assert [f.to_dict() for f in writer.files] == prepared.manifest["files"]
    for written in writer.files:
        assert (prepared.folder / written.path.name).read_bytes() == written.path.read_bytes()
    assert list(read_index(prepared.folder)) == index
    assert prepared.manifest["rows_sent"] == ROWS and prepared.manifest["requests"] == len(index)


def _requests(count: int) -> list[tuple[str, str]]:
    rng = random.Random(count)
    texts = [json.dumps([{"id": f"r{i}", "text": "word " * rng.randint(1, 80)}]) for i in range(count)]
    return [(f"req-{i:06d}", text) for i, text in enumerate(texts, 1)]


@pytest.mark.parametrize("count", [50, tokens.EXACT_REQUESTS + 700])
def test_token_tally_is_the_same_however_requests_are_grouped(count: int) -> None:
    counter = token_counter("openai", "gpt-4o-mini")
    requests = _requests(count)
    one = TokenTally(counter, static_tokens=7)
    for custom_id, text in requests:
        one.add(custom_id, text)
    many = TokenTally(counter, static_tokens=7)
    rng, start = random.Random(1), 0
    while start < count:
        size = rng.randint(1, 600)
        part = requests[start : start + size]
        many.add_many([c for c, _ in part], [t for _, t in part])
        start += size
    figures = [(t.total, t.margin, t.max_tokens, t.max_custom_id, t.counted, t.requests, t.chars) for t in (one, many)]
    assert figures[0] == figures[1]
    assert (one.counted == count) == (count <= tokens.EXACT_REQUESTS)
