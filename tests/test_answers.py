"""Reading answers of every wire shape, checking them against the fields, and mapping rows by ID."""

from __future__ import annotations

import json

from app.core.results.answers import (
    Answer,
    check_row,
    from_anthropic_message,
    from_chat_completion,
    from_response,
)
from app.core.results.rowmap import map_answer
from app.core.spec import FieldSpec

FIELDS = [
    FieldSpec(name="tone", type="category", choices=["positive", "negative"]),
    FieldSpec(name="score", type="number", minimum=0, maximum=1),
    FieldSpec(name="stars", type="integer", minimum=1, maximum=5),
    FieldSpec(name="price", type="boolean"),
    FieldSpec(name="topics", type="list", choices=["quality", "price"]),
    FieldSpec(name="quote", type="text"),
]
GOOD = {"tone": "positive", "score": 0.5, "stars": 4, "price": False, "topics": ["quality"], "quote": "nice"}


def chat(content: str | None, finish: str = "stop", refusal: str | None = None) -> dict:
    return {
        "choices": [{"message": {"content": content, "refusal": refusal}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "prompt_tokens_details": {"cached_tokens": 60}},
    }


def test_chat_completion_outcomes() -> None:
    ok = from_chat_completion(chat(json.dumps(GOOD)))
    assert ok.status == "ok" and ok.data == GOOD
    assert (ok.usage.input_tokens, ok.usage.cached_input_tokens, ok.usage.output_tokens) == (100, 60, 20)
    assert from_chat_completion(chat(None, refusal="I can't help")).status == "refused"
    assert from_chat_completion(chat('{"tone": "pos', finish="length")).status == "truncated"
    bad = from_chat_completion(chat("not json"))
    assert bad.status == "invalid" and "not valid JSON" in bad.reason
    assert from_chat_completion(chat("")).status == "invalid"
    assert from_chat_completion(chat(None, finish="content_filter")).status == "refused"


def test_responses_outcomes() -> None:
    message = {"type": "message", "content": [{"type": "output_text", "text": json.dumps(GOOD)}]}
    ok = from_response({"status": "completed", "output": [{"type": "reasoning"}, message], "usage": {"input_tokens": 9, "output_tokens": 3}})
    assert ok.status == "ok" and ok.data == GOOD and ok.usage.input_tokens == 9
    refused = from_response({"output": [{"type": "message", "content": [{"type": "refusal", "refusal": "no"}]}]})
    assert refused.status == "refused"
    cut = from_response({"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}, "output": []})
    assert cut.status == "truncated" and "max output tokens" in cut.reason


def test_anthropic_outcomes() -> None:
    usage = {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 90, "cache_creation_input_tokens": 0}
    tool = {"type": "tool_use", "name": "record_coding", "input": GOOD, "id": "t"}
    ok = from_anthropic_message({"content": [tool], "stop_reason": "tool_use", "usage": usage})
    assert ok.status == "ok" and ok.data == GOOD and ok.usage.input_tokens == 100 and ok.usage.cached_input_tokens == 90
    assert from_anthropic_message({"content": [], "stop_reason": "refusal"}).status == "refused"
    assert from_anthropic_message({"content": [tool], "stop_reason": "max_tokens"}).status == "truncated"
    text_only = from_anthropic_message({"content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"})
    assert text_only.status == "invalid"


def test_check_row_names_every_violation() -> None:
    assert check_row(FIELDS, GOOD) == []
    bad = {**GOOD, "tone": "mixed", "score": 2, "stars": 2.5, "price": "yes", "topics": ["colour"], "extra": 1}
    del bad["quote"]
    problems = check_row(FIELDS, bad)
    joined = "; ".join(problems)
    for part in ('"mixed" is not one of positive, negative', "above the maximum 1", "not a whole number",
                 "not yes/no", '"colour" is not one of', "quote: missing", "extra: not an output field"):
        assert part in joined, part
    assert check_row(FIELDS, ["not", "an", "object"]) == ["the answer is not an object with the output fields"]
    assert "not a number" in check_row([FIELDS[1]], {"score": True})[0]


def test_single_row_mapping() -> None:
    [coded], _ = map_answer(FIELDS, ["r1"], Answer("ok", data=GOOD), multi=False)
    assert coded.status == "coded" and coded.values == GOOD
    [invalid], _ = map_answer(FIELDS, ["r1"], Answer("ok", data={**GOOD, "tone": "x"}), multi=False)
    assert invalid.status == "invalid" and "tone" in invalid.reason
    [refused], _ = map_answer(FIELDS, ["r1"], Answer("refused", "no"), multi=False)
    assert (refused.status, refused.reason) == ("refused", "no")


def test_multi_row_mapping_by_id_never_by_order() -> None:
    items = [
        {"id": "b", **GOOD, "tone": "negative"},
        {"id": "a", **GOOD},
        {"id": "zzz", **GOOD},  # invented
        {"id": "a", **GOOD, "tone": "negative"},  # duplicate: the first answer is kept
        {**GOOD},  # no id
        {"id": "c", **GOOD, "stars": 9},  # invalid
    ]
    outcomes, anomalies = map_answer(FIELDS, ["a", "b", "c", "d"], Answer("ok", data={"results": items}), multi=True)
    by_id = {o.row_id: o for o in outcomes}
    assert [o.row_id for o in outcomes] == ["a", "b", "c", "d"]
    assert by_id["a"].status == "coded" and by_id["a"].values["tone"] == "positive"
    assert by_id["b"].values["tone"] == "negative"
    assert by_id["c"].status == "invalid" and "stars" in by_id["c"].reason
    assert by_id["d"].status == "missing"
    assert sorted(a.kind for a in anomalies) == ["duplicate_id", "invented_id", "no_id"]
    assert "id" not in by_id["a"].values


def test_multi_row_mapping_without_results_list_or_with_a_whole_request_failure() -> None:
    outcomes, _ = map_answer(FIELDS, ["a", "b"], Answer("ok", data=GOOD), multi=True)
    assert {o.status for o in outcomes} == {"invalid"}
    outcomes, _ = map_answer(FIELDS, ["a", "b"], Answer("truncated", "cut"), multi=True)
    assert [(o.row_id, o.status) for o in outcomes] == [("a", "truncated"), ("b", "truncated")]
    outcomes, _ = map_answer(FIELDS, ["a"], Answer("ok", data={"results": [{"id": 7, **GOOD}]}), multi=True)
    assert outcomes[0].status == "missing"  # an id of another type is not silently coerced onto a row


def test_ids_with_surrounding_spaces_still_match_when_unambiguous() -> None:
    items = [{"id": "b", **GOOD}, {"id": "x", **GOOD}]
    outcomes, anomalies = map_answer(FIELDS, [" b ", "x "], Answer("ok", data={"results": items}), multi=True)
    assert [(o.row_id, o.status) for o in outcomes] == [(" b ", "coded"), ("x ", "coded")]
    assert anomalies == []


def test_anthropic_json_outputs_are_read_after_thinking_and_still_checked() -> None:
    message = {
        "content": [
            {"type": "thinking", "thinking": "", "signature": "sig"},
            {"type": "text", "text": json.dumps(GOOD | {"score": 3})},
        ],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 50, "cache_creation_input_tokens": 900, "cache_read_input_tokens": 0,
                  "output_tokens": 300},
    }
    answer = from_anthropic_message(message)
    assert answer.status == "ok" and answer.data["score"] == 3
    assert (answer.usage.input_tokens, answer.usage.cache_write_tokens) == (950, 900)
    assert answer.usage.raw is message["usage"]
    # JSON outputs cannot enforce the bound (it travels in the description): BatchLab's check does.
    outcomes, _ = map_answer(FIELDS, ["r1"], answer, False)
    assert outcomes[0].status == "invalid" and "score: 3 is above the maximum 1" in outcomes[0].reason
