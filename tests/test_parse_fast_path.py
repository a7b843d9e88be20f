"""The usual answer's short path through parsing gives the records the general rules give.

Most answers code every row of their request, once and in the order sent; ``parse_batch`` turns
those straight into row records (``RowMapper.usual_values``). Each batch here mixes usual answers
with every other kind, and its records are compared with ones built row by row from the field
rules alone, as a slow reference that knows nothing of the short path.
"""

from __future__ import annotations

import copy

import json
from pathlib import Path
from typing import Any

import pytest

from app.core.build import pricing
from app.core.results.answers import Answer, FieldRules, item_id
from app.core.results.parse import BatchParse, parse_batch
from app.core.results.rowmap import RowMapper
from app.core.run.store import Store, coded_rows
from app.core.spec import FieldSpec, JobSpec
from tests.test_answers import FIELDS, GOOD

USAGE = {"prompt_tokens": 700, "completion_tokens": 91, "prompt_tokens_details": {"cached_tokens": 512}}


def spec(tmp_path: Path, rows_per_request: int) -> JobSpec:
    return JobSpec(
        name="fast path", data=tmp_path / "data.csv", instructions="Code.", input_template="{text}",
        fields=FIELDS, rows_per_request=rows_per_request,
    )


def line(custom_id: str, data: Any) -> dict[str, Any]:
    body = {
        "model": "gpt-5.4-mini",
        "choices": [{"finish_reason": "stop", "message": {"content": json.dumps(data)}}],
        "usage": USAGE,
    }
    return {"custom_id": custom_id, "response": {"status_code": 200, "body": body}}


def reference_records(
    job: JobSpec, requests: dict[str, tuple[str, ...]], answered: dict[str, Any], refs: dict[str, str]
) -> list[tuple[Any, ...]]:
    """Row records from the field rules alone: each row judged by the first item claiming its ID."""
    rules = FieldRules(FIELDS, ("id",) if job.multi_row else ())
    records = []
    for custom_id, row_ids in requests.items():
        if custom_id not in answered:
            judged = [(r, "missing", "no answer came back for this request", None) for r in row_ids]
            records += [(*j[:3], custom_id, 1, 7, None, None, None, None, None) for j in judged]
            continue
        data = answered[custom_id]
        judged = []
        for row_id in row_ids:
            if job.multi_row:
                items = data.get("results")
                if items is None:
                    judged.append((row_id, "invalid", "the answer did not contain the list of results", None))
                    continue
                data = next((i for i in items if item_id(i) == row_id), None)
            if data is None:
                judged.append((row_id, "missing", "the model's answer left this row out", None))
            elif (values := rules.valid_values(data)) is not None:
                judged.append((row_id, "coded", "", values))
            else:
                judged.append((row_id, "invalid", "; ".join(rules.problems(data)), data))
            data = answered[custom_id]
        n = len(row_ids)
        cost = pricing.usage_cost(job.model, USAGE, job.provider)
        records += [
            (
                row_id, status, reason, custom_id, 1, 7,
                None if values is None else json.dumps(values, separators=(",", ":"), ensure_ascii=False),
                refs[custom_id], round(700 / n), round(91 / n), None if cost is None else cost / n,
            )
            for row_id, status, reason, values in judged
        ]
    return records


def run(tmp_path: Path, job: JobSpec, requests: dict[str, tuple[str, ...]], answered: dict[str, Any]) -> tuple[list, Any]:
    path = tmp_path / "output.jsonl"
    refs, offset = {}, 0
    with path.open("wb") as out:
        for custom_id, data in answered.items():
            raw = (json.dumps(line(custom_id, data)) + "\n").encode()
            refs[custom_id] = f"b/output.jsonl:{offset}"
            offset += len(raw)
            out.write(raw)
    chunks: list[Any] = []
    parsed = parse_batch(job, requests, [(path, "b/output.jsonl")], attempt=1, batch_id=7, sink=chunks.append)
    records = [r for rows, coded in chunks for r in [*rows, *(r for c in coded for r in coded_rows(c))]]
    order = {row_id: n for n, row_id in enumerate(r for rows in requests.values() for r in rows)}
    records.sort(key=lambda r: order[r[0]])  # a chunk hands over coded requests after the other rows
    assert records == reference_records(job, requests, answered, refs)
    return records, parsed


def test_multi_row_answers_of_every_kind_give_the_general_rules_records(tmp_path: Path) -> None:
    rows = {f"c{n}": tuple(f"r{n}-{k}" for k in range(3)) for n in range(10)}

    def items(cid: str, *changes: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": r, **GOOD, "stars": k + 1} | c for k, (r, c) in enumerate(zip(rows[cid], changes))]

    plain = ({}, {}, {})
    answered = {
        "c0": {"results": items("c0", *plain)},  # the usual answer
        "c1": {"results": items("c1", {}, {"stars": 9}, {})},  # one value out of range
        "c2": {"results": items("c2", *plain)[::-1]},  # every row, out of order
        "c3": {"results": [*items("c3", *plain), items("c3", *plain)[0]]},  # a row answered twice
        "c4": {"results": [*items("c4", *plain)[:2], {"id": "zzz", **GOOD}]},  # an invented ID, a row left out
        "c5": {"results": items("c5", {}, {"extra": 1}, {})},  # a key that is not a field
        "c6": {"results": [{k: v for k, v in i.items() if k != "quote"} for i in items("c6", *plain)]},  # a field missing
        "c7": {"results": [{**i, "id": i["id"]} for i in items("c7", *plain)][:2]},  # the last row left out
        "c8": {"answer": items("c8", *plain)},  # no list of results
        # c9 never answered
    }
    records, parsed = run(tmp_path, spec(tmp_path, 3), rows, answered)
    assert [r[1] for r in records[:3]] == ["coded"] * 3
    assert {r[1] for r in records} == {"coded", "invalid", "missing"}
    assert sorted(kind for _, kind, _ in parsed.anomalies) == ["duplicate_id", "invented_id"]
    assert parsed.rows == 30 and parsed.usage["input_tokens"] == 700 * 9


def test_single_row_answers_give_the_general_rules_records(tmp_path: Path) -> None:
    rows = {f"c{n}": (f"r{n}",) for n in range(5)}
    answered = {
        "c0": GOOD,
        "c1": {**GOOD, "tone": "mixed"},
        "c2": {k: GOOD[k] for k in reversed(GOOD)},  # every field, another order: still coded in field order
        "c3": {**GOOD, "id": "r3"},  # a key that is not a field when one row goes per request
    }
    records, _ = run(tmp_path, spec(tmp_path, 1), rows, answered)
    assert [r[1] for r in records] == ["coded", "invalid", "coded", "invalid", "missing"]
    assert list(json.loads(records[2][6])) == [f.name for f in FIELDS]


@pytest.mark.parametrize(
    "items, usual",
    [
        ([{"id": "a", **GOOD}, {"id": "b", **GOOD}], True),
        ([{**GOOD, "id": "a"}, {"id": "b", **GOOD}], True),  # keys in another order
        ([{"id": "b", **GOOD}, {"id": "a", **GOOD}], False),  # out of order
        ([{"id": "a", **GOOD}], False),  # a row left out
        ([{"id": "a", **GOOD}, {"id": "b", **GOOD, "stars": 0}], False),  # a value out of range
        ([{"id": "a", **GOOD}, {**GOOD}], False),  # an item without its ID
        ([{"id": "a", **GOOD}, "b"], False),  # an item that is not an object
    ],
)
def test_the_short_path_is_taken_only_when_every_row_is_coded_as_the_general_path_codes_it(
    items: list[Any], usual: bool
) -> None:
    mapper = RowMapper(FIELDS, multi=True)
    answer = Answer("ok", data={"results": items})
    sent = copy.deepcopy(answer.data)
    values = mapper.usual_values(("a", "b"), answer)
    assert (values is not None) == usual
    assert answer.data == sent  # the answer as it came: its items keep their row IDs
    if values is not None:
        rules = FieldRules(FIELDS, ("id",))
        assert values == [rules.valid_values(i) for i in items]
        assert all(list(v) == [f.name for f in FIELDS] for v in values)
    assert mapper.usual_values(("a", "b"), Answer("truncated", "cut", data={"results": items})) is None


def test_a_single_row_answer_takes_the_short_path_only_with_exactly_the_fields() -> None:
    mapper = RowMapper([FieldSpec(name="tone", type="category", choices=["a", "b"])], multi=False)
    assert mapper.usual_values(("r1",), Answer("ok", data={"tone": "a"})) == [{"tone": "a"}]
    for data in ({"tone": "c"}, {"tone": "a", "id": "r1"}, {}, ["a"], None):
        assert mapper.usual_values(("r1",), Answer("ok", data=data)) is None


def test_every_row_is_handed_over_once_in_chunks_growing_from_the_first_ones_size() -> None:
    chunks: list[Any] = []
    parsed = BatchParse(chunks.append, chunk=800, first_chunk=100)
    expected: list[tuple[int]] = []
    for n in range(0, 3000, 3):  # requests of three rows; every other one all coded, a record for the three
        if n % 2:
            rows = [(n,), (n + 1,), (n + 2,)]
            parsed.add(rows)
            expected += rows
        else:
            parsed.add_coded((n,), rows=3)
            expected.append((n,))
    parsed.flush()
    sizes = [len(rows) + 3 * len(coded) for rows, coded in chunks]
    assert sorted(r for rows, coded in chunks for r in [*rows, *coded]) == expected and parsed.rows == 3000
    assert sizes[0] < 100 + 3 and max(sizes) < 800 + 3
    assert sizes[:-1] == sorted(sizes[:-1]) and len(sizes) < 3000 / 400


def test_integers_past_64_bits_and_half_surrogates_are_kept_not_a_failed_parse(tmp_path: Path) -> None:
    """orjson refuses to write both; a model may answer with either (an account number, a broken emoji)."""
    big = 123456789012345678901
    job = JobSpec(
        name="big", data=tmp_path / "data.csv", instructions="Code.", input_template="{text}", rows_per_request=2,
        fields=[FieldSpec(name="amount", type="number"), FieldSpec(name="quote", type="text")],
    )
    requests = {"c0": ("a", "b"), "c1": ("c", "d")}
    answered = {
        "c0": {"results": [{"id": "a", "amount": big, "quote": "x"}, {"id": "b", "amount": 1, "quote": "\ud800"}]},
        "c1": {"results": [{"id": "d", "amount": -big, "quote": "y"}, {"id": "c", "amount": "many", "quote": "z"}]},
    }
    path = tmp_path / "output.jsonl"
    path.write_text("".join(json.dumps(line(c, data)) + "\n" for c, data in answered.items()))
    history = Store(tmp_path / "history.sqlite3")
    history.add_job({"id": "j", "name": "n", "provider": "openai", "model": "m", "endpoint": "chat", "state": "s", "folder": "f"})
    history.add_rows("j", [(r, n) for n, r in enumerate("abcd")])
    chunks: list[Any] = []
    parse_batch(job, requests, [(path, "b/output.jsonl")], attempt=1, batch_id=7, sink=chunks.append)
    history.merge_rows("j", chunks)  # SQLite takes only what UTF-8 can hold
    stored = {r["row_id"]: (r["status"], json.loads(r["values_json"])) for r in history.rows("j", None, 0, 10)}
    assert stored == {
        "a": ("coded", {"amount": big, "quote": "x"}),  # the usual answer's path
        "b": ("coded", {"amount": 1, "quote": "\ud800"}),
        "c": ("invalid", {"id": "c", "amount": "many", "quote": "z"}),
        "d": ("coded", {"amount": -big, "quote": "y"}),  # judged row by row (answered out of order)
    }
