"""Requests stay byte for byte what they were when the speed work began (issue 11).

The fixtures under ``tests/data/request_bytes/`` were written by ``prepare`` before request lines
were spliced from pre-serialised parts: every batch line and index line must come out identical,
for each provider shape (OpenAI chat and Responses, Anthropic JSON outputs, forced tool, effort and
thinking), single- and multi-row, over messy text (quotes, line breaks, emoji, accents, a blank
text, a formula-looking cell). Regenerate only on purpose: ``python tests/test_request_bytes.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data" / "request_bytes"
DATA = FIXTURES / "messy.csv"

BASE = {
    "name": "bytes",
    "data": "messy.csv",
    "id_column": "id",
    "instructions": "You code short answers about public services. Quote the text's own words.\n\n"
    "Categories: \"good\", \"bad\" or \"mixed\" — decide carefully.",
    "input_template": "Region: {region}\nAnswer: {answer}",
    "fields": [
        {"name": "tone", "type": "category", "choices": ["good", "bad", "mixed"], "description": "overall"},
        {"name": "score", "type": "number", "minimum": 0, "maximum": 10},
        {"name": "urgent", "type": "boolean"},
        {"name": "topics", "type": "list", "choices": ["cost", "staff", "waiting"]},
        {"name": "quote", "type": "text", "description": "shortest supporting quote"},
    ],
}

CASES = {
    "openai-chat-1": {"provider": "openai", "model": "gpt-4.1-mini", "rows_per_request": 1, "temperature": 0},
    "openai-chat-5": {"provider": "openai", "model": "gpt-5.4-mini", "rows_per_request": 5, "temperature": 0},
    "openai-responses-3": {"provider": "openai", "model": "gpt-5.4", "endpoint": "responses", "rows_per_request": 3,
                           "reasoning_effort": "low"},
    "anthropic-json-4": {"provider": "anthropic", "model": "claude-sonnet-4-6", "rows_per_request": 4},
    "anthropic-tool-1": {"provider": "anthropic", "model": "claude-3-5-haiku-20241022", "rows_per_request": 1,
                         "temperature": 0.2},
    "anthropic-effort-7": {"provider": "anthropic", "model": "claude-sonnet-5-5", "rows_per_request": 7},
    # Windows-1252, semicolons, a title row and no ID column: the careful reader, rows numbered
    "latin-no-id-2": {"provider": "openai", "model": "gpt-4o-mini", "rows_per_request": 2, "data": "latin.csv",
                      "id_column": None},
}

OUTPUTS = ("batch-001.jsonl", "index.jsonl")


def _spec(case: str):
    from app.core.spec import parse_spec

    return parse_spec({**BASE, **CASES[case]}, FIXTURES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_requests_are_byte_identical(case: str, tmp_path: Path) -> None:
    from app.core.build.prepare import prepare

    prepare(_spec(case), tmp_path)
    for name in OUTPUTS:
        expected = (FIXTURES / case / name).read_bytes()
        written = (tmp_path / name).read_bytes()
        assert written == expected, f"{case}/{name} differs from the fixture"
    system = {json.dumps(_system(json.loads(line))) for line in (tmp_path / OUTPUTS[0]).read_bytes().splitlines()}
    assert len(system) == 1  # the same instructions in every request: prompt caching depends on it


def _system(line: dict) -> object:
    body = line.get("body") or line["params"]
    return body.get("system") or body.get("instructions") or body["messages"][0]


def _write() -> None:
    """Write the fixtures from the code as it is now."""
    from app.core.build.prepare import prepare

    for case in CASES:
        out = FIXTURES / case
        prepare(_spec(case), out)
        for extra in out.iterdir():
            if extra.name not in OUTPUTS:
                extra.unlink()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    _write()
