"""The shortcuts that make parsing and merging fast judge and store rows exactly as the general rules do.

Answers with exactly the expected keys take a shorter path through the field checks; answer texts
are read with orjson unless it would read them differently; rows reach the job history a few
thousand per statement. Each shortcut is checked against the general path it skips.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.results.answers import Answer, FieldRules, check_row, from_chat_completion
from app.core.results.rowmap import RowMapper, map_answer
from app.core.run.store import MERGE_ROWS_PER_STATEMENT, ROW_COLUMNS, Store, row_record
from app.core.spec import FieldSpec
from tests.test_answers import FIELDS as ANSWER_FIELDS

#: test_answers' fields, with the quote one that must be copied from the text
FIELDS = [*ANSWER_FIELDS[:-1], FieldSpec(name="quote", type="text", verbatim_quote=True)]
GOOD = {"tone": "positive", "score": 0.5, "stars": 4, "price": False, "topics": ["quality"], "quote": "nice"}


def chat(content: str) -> dict:
    return {"choices": [{"message": {"content": content}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 3}}


@pytest.mark.parametrize(
    "change, expected",
    [
        ({}, []),
        ({"tone": "mixed"}, ['tone: "mixed" is not one of positive, negative']),
        ({"tone": ["positive"]}, ["tone: \"['positive']\" is not one of positive, negative"]),
        ({"score": True}, ["score: true is not a number"]),
        ({"score": float("nan")}, ["score: NaN is not a number"]),
        ({"score": float("inf")}, ["score: Infinity is not a number"]),
        ({"score": "0.5"}, ['score: "0.5" is not a number']),
        ({"score": 2}, ["score: 2 is above the maximum 1"]),
        ({"stars": 2.5, "price": "yes"}, ["stars: 2.5 is not a whole number", 'price: "yes" is not yes/no (true or false)']),
        ({"stars": 0}, ["stars: 0 is below the minimum 1"]),
        ({"topics": ["colour"]}, ['topics: "colour" is not one of quality, price']),
        ({"quote": 3}, ["quote: expected text, got 3"]),
    ],
)
def test_an_answer_with_exactly_the_fields_is_judged_value_by_value(change: dict, expected: list[str]) -> None:
    rules = FieldRules(FIELDS)
    answer = GOOD | change
    assert rules.problems(answer) == expected
    assert check_row(FIELDS, answer) == expected
    assert (rules.valid_values(answer) is None) == bool(expected)


def test_missing_and_unknown_keys_are_named_before_the_values_in_field_order() -> None:
    answer = {"extra": 1, **GOOD, "tone": "x", "other": 2}
    del answer["quote"]
    assert FieldRules(FIELDS).problems(answer) == [
        "quote: missing",
        "extra: not an output field",
        "other: not an output field",
        'tone: "x" is not one of positive, negative',
    ]


def test_values_come_in_field_order_without_the_row_id_whatever_the_answer_order() -> None:
    rules = FieldRules(FIELDS, ("id",))
    shuffled = {"quote": "nice", "id": "r1", **{k: v for k, v in reversed(GOOD.items())}}
    assert list(rules.valid_values(shuffled)) == [f.name for f in FIELDS]
    assert rules.valid_values(GOOD) == GOOD  # the row id may be absent
    assert rules.valid_values({**GOOD, "id": "r1", "x": 1}) is None
    assert rules.valid_values(["not", "an", "object"]) is None


def test_one_mapper_for_many_answers_judges_each_like_a_fresh_one() -> None:
    mapper = RowMapper(FIELDS, multi=True)
    answers = [
        Answer("ok", data={"results": [{"id": "a", **GOOD}, {"id": "b", **GOOD, "stars": 9}]}),
        Answer("ok", data={"results": [{"id": "b", **GOOD}, {"id": "zzz", **GOOD}, {"id": "b", **GOOD}]}),
        Answer("truncated", "cut"),
    ]
    for answer in answers:
        assert mapper.map(("a", "b"), answer) == map_answer(FIELDS, ["a", "b"], answer, True)
    outcomes, anomalies = mapper.map(("a", "b"), answers[1])
    assert [(o.row_id, o.status) for o in outcomes] == [("a", "missing"), ("b", "coded")]
    assert [a.kind for a in anomalies] == ["invented_id", "duplicate_id"]


@pytest.mark.parametrize(
    "text, status, data",
    [
        ('{"score": NaN}', "ok", None),  # the standard library reads NaN; the check then rejects it
        ('{"quote": "\\ud800"}', "ok", {"quote": "\ud800"}),  # a lone surrogate orjson refuses
        ('{"stars": 123456789012345678901234567890}', "ok", {"stars": 123456789012345678901234567890}),
        ('{"stars": -9223372036854775809}', "ok", {"stars": -9223372036854775809}),
        ('{"tone": "positive",}', "invalid", None),
    ],
)
def test_answer_texts_orjson_reads_differently_are_read_as_before(text: str, status: str, data: dict | None) -> None:
    answer = from_chat_completion(chat(text))
    assert answer.status == status
    if data is not None:
        assert answer.data == data and type(next(iter(answer.data.values()))) is type(next(iter(data.values())))
    if status == "invalid":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            assert answer.reason == f"the answer is not valid JSON ({exc.msg})"
    if "NaN" in text:
        [row], _ = map_answer(FIELDS, ["r1"], answer, False)
        assert row.status == "invalid" and "score: NaN is not a number" in row.reason


def make_store(folder: Path, rows: int) -> Store:
    store = Store(folder / "history.sqlite3")
    store.add_job({"id": "j", "name": "n", "provider": "openai", "model": "m", "endpoint": "chat", "state": "s", "folder": "f"})
    store.add_job({"id": "other", "name": "n", "provider": "openai", "model": "m", "endpoint": "chat", "state": "s", "folder": "f"})
    for job in ("j", "other"):
        store.add_rows(job, ((f"r{i}", i) for i in range(rows)))
    return store


def test_rows_are_merged_a_few_thousand_per_statement_with_every_column(tmp_path: Path) -> None:
    count = 2 * MERGE_ROWS_PER_STATEMENT + 3
    store = make_store(tmp_path, count + 5)
    statuses = ("coded", "invalid", "failed", "missing", "refused", "truncated")
    records = [
        (f"r{i}", statuses[i % 6], f"reason {i}" if i % 6 else "", f"c{i // 5}", 2, 7,
         json.dumps({"tone": "positive", "n": i}) if i % 6 < 2 else None, f"a/b.jsonl:{i * 10}",
         i if i % 3 else None, 2 * i, i / 3 if i % 4 else None)
        for i in range(count)
    ]
    store.set_rows("j", iter(records))  # any iterable, consumed once
    stored = {r["row_id"]: tuple(r[c] for c in ROW_COLUMNS) for r in store.rows("j", None, 0, count + 5)}
    assert [stored[r[0]] for r in records] == records
    assert {stored[f"r{count + k}"][1] for k in range(5)} == {"pending"}
    assert store.status_counts("other") == {"pending": count + 5}  # another job's rows with the same IDs are untouched
    assert store.row_count("j", "coded") == len([r for r in records if r[1] == "coded"])


def test_a_record_of_the_wrong_width_is_refused_and_nothing_is_merged(tmp_path: Path) -> None:
    store = make_store(tmp_path, 10)
    records = [row_record(f"r{i}", "coded") for i in range(9)] + [("r9", "coded")]
    with pytest.raises(ValueError, match="11 values"):
        store.set_rows("j", records)
    assert store.status_counts("j") == {"pending": 10}
    store.set_rows("j", [row_record("r3", "missing", "no answer")])
    assert (store.row("j", "r3")["status"], store.row("j", "r3")["reason"], store.row("j", "r3")["attempt"]) == ("missing", "no answer", 0)
