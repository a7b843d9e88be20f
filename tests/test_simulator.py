"""The simulated batch service, driven only through the real ``openai`` and ``anthropic`` SDKs.

Every test talks HTTP to a loopback server, exactly as BatchLab does; nothing in the SDKs is
mocked. Retry hints are tiny so the SDKs' own retries keep the whole file fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from app.core.simulator import Scenario, SimulatedService
from app.core.simulator.schema_values import SIMULATED_PREFIX, generate

KEY = "sk-sim-test-key"
ROOT = Path(__file__).resolve().parents[1]
FIELDS: dict[str, Any] = {
    "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    "stars": {"type": "integer", "minimum": 1, "maximum": 5},
    "mentions_price": {"type": "boolean"},
    "topics": {"type": "array", "items": {"type": "string", "enum": ["quality", "price", "service"]}},
    "quote": {"type": "string"},
}


def strict(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


SCHEMA = strict(FIELDS)
MULTI_SCHEMA = strict({"results": {"type": "array", "items": strict({"id": {"type": "string"}} | FIELDS)}})
TERMINAL = {"completed", "failed", "expired", "cancelled"}


def conforms(value: Any, schema: dict[str, Any]) -> bool:
    """A small strict-schema check (types, enums, bounds, required, no extra keys)."""
    kind = schema.get("type")
    if "enum" in schema and value not in schema["enum"]:
        return False
    if kind == "object":
        props = schema["properties"]
        return (isinstance(value, dict) and set(value) == set(schema["required"]) <= set(props)
                and all(conforms(value[k], props[k]) for k in value))
    if kind == "array":
        return isinstance(value, list) and all(conforms(v, schema["items"]) for v in value)
    if kind in ("number", "integer"):
        ok_type = isinstance(value, int) if kind == "integer" else isinstance(value, (int, float))
        return (ok_type and not isinstance(value, bool) and schema.get("minimum", value) <= value
                and value <= schema.get("maximum", value))
    return {"string": str, "boolean": bool}.get(kind, object) is type(value) or kind is None


# ---- fixtures and helpers -------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    names = ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
    for name in names:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sim() -> Iterator[SimulatedService]:
    service = SimulatedService(api_key=KEY)
    service.start()
    yield service
    service.stop()


@pytest.fixture
def oai(sim: SimulatedService) -> openai.OpenAI:
    return openai.OpenAI(base_url=sim.openai_base_url, api_key=KEY, max_retries=0)


@pytest.fixture
def claude(sim: SimulatedService) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key=KEY, max_retries=0)


def chat_body(text: str, schema: dict[str, Any] = SCHEMA, model: str = "gpt-5.4-mini") -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "system", "content": "Code the review."}, {"role": "user", "content": text}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "record_coding", "strict": True, "schema": schema},
        },
        "max_completion_tokens": 300,
    }


def responses_body(text: str, schema: dict[str, Any] = SCHEMA) -> dict[str, Any]:
    return {
        "model": "gpt-5.4-mini",
        "instructions": "Code the review.",
        "input": [{"role": "user", "content": text}],
        "text": {"format": {"type": "json_schema", "name": "record_coding", "strict": True, "schema": schema}},
        "max_output_tokens": 300,
    }


#: Long enough to be cached: Anthropic caches nothing below the model's minimum (1,024 tokens for Sonnet 4.6).
CACHEABLE_INSTRUCTIONS = "Code the review, carefully and briefly. " * 120


def claude_params(text: str, schema: dict[str, Any] = SCHEMA) -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-6",
        "max_tokens": 300,
        "system": [
            {"type": "text", "text": CACHEABLE_INSTRUCTIONS, "cache_control": {"type": "ephemeral"}}
        ],
        "messages": [{"role": "user", "content": text}],
        "tools": [{"name": "record_coding", "description": "Record the coding.", "input_schema": schema}],
        "tool_choice": {"type": "tool", "name": "record_coding"},
    }


def rows_text(*ids: str) -> str:
    return json.dumps([{"id": i, "text": f"Row {i}: the service was slow but the price fair."} for i in ids])


def jsonl(bodies: dict[str, dict[str, Any]], url: str = "/v1/chat/completions") -> bytes:
    lines = [{"custom_id": cid, "method": "POST", "url": url, "body": body} for cid, body in bodies.items()]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def submit(client: openai.OpenAI, data: bytes, endpoint: str = "/v1/chat/completions", **extra: Any) -> Any:
    uploaded = client.files.create(file=("requests.jsonl", data), purpose="batch")
    return client.batches.create(input_file_id=uploaded.id, endpoint=endpoint, completion_window="24h", **extra)


def poll_openai(client: openai.OpenAI, batch_id: str) -> tuple[Any, list[str]]:
    """Retrieve until the batch ends; returns it and the statuses seen."""
    seen = []
    for _ in range(20):
        batch = client.batches.retrieve(batch_id)
        seen.append(batch.status)
        if batch.status in TERMINAL:
            return batch, seen
    raise AssertionError(f"batch never ended: {seen}")


def file_lines(client: openai.OpenAI, file_id: str | None) -> dict[str, dict[str, Any]]:
    if file_id is None:
        return {}
    return {(line := json.loads(raw))["custom_id"]: line for raw in client.files.content(file_id).text.splitlines()}


def run_openai(client: openai.OpenAI, data: bytes, endpoint: str = "/v1/chat/completions") -> tuple[Any, dict, dict]:
    batch, _ = poll_openai(client, submit(client, data, endpoint).id)
    return batch, file_lines(client, batch.output_file_id), file_lines(client, batch.error_file_id)


def poll_claude(client: anthropic.Anthropic, batch_id: str) -> Any:
    for _ in range(20):
        batch = client.messages.batches.retrieve(batch_id)
        if batch.processing_status == "ended":
            return batch
    raise AssertionError("batch never ended")


def run_claude(client: anthropic.Anthropic, params: dict[str, dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    created = client.messages.batches.create(requests=[{"custom_id": c, "params": p} for c, p in params.items()])
    batch = poll_claude(client, created.id)
    return batch, {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}


def control(sim: SimulatedService, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(f"{sim.url}/__control/{path}", data=data, method="GET" if data is None else "POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def answer_of(line: dict[str, Any]) -> Any:
    return json.loads(line["response"]["body"]["choices"][0]["message"]["content"])


# ---- OpenAI batches -------------------------------------------------------------------------------
def test_openai_chat_batch_lifecycle_and_files(sim: SimulatedService, oai: openai.OpenAI) -> None:
    texts = {f"row-{i}": f"Review {i}: lovely hotel, friendly staff, fair price." for i in range(6)}
    created = submit(oai, jsonl({c: chat_body(t) for c, t in texts.items()}), metadata={"batchlab_job": "job-1"})
    assert created.status == "validating" and created.request_counts.total == 0
    batch, seen = poll_openai(oai, created.id)
    assert seen == ["in_progress", "in_progress", "finalizing", "completed"]
    assert batch.request_counts.model_dump() == {"total": 6, "completed": 6, "failed": 0}
    assert batch.metadata == {"batchlab_job": "job-1"} and batch.model == "gpt-5.4-mini"
    assert batch.in_progress_at <= batch.finalizing_at <= batch.completed_at and batch.error_file_id is None

    raw = oai.files.content(batch.output_file_id).text
    order = [json.loads(line)["custom_id"] for line in raw.splitlines()]
    assert sorted(order) == sorted(texts) and order != list(texts)  # shuffled, all present
    tokens = 0
    for cid, line in file_lines(oai, batch.output_file_id).items():
        body = line["response"]["body"]
        assert line["response"]["status_code"] == 200 and line["error"] is None
        assert body["model"] == "gpt-5.4-mini" and body["system_fingerprint"] == "batchlab-simulator"
        answer = answer_of(line)
        assert conforms(answer, SCHEMA), answer
        assert answer["quote"].startswith(SIMULATED_PREFIX) and cid.split("-")[1] in answer["quote"]
        tokens += body["usage"]["total_tokens"]
    assert batch.usage.total_tokens == tokens > 0

    output = oai.files.retrieve(batch.output_file_id)
    assert output.purpose == "batch_output" and output.bytes == len(raw.encode())
    assert {f.id for f in oai.files.list(purpose="batch_output")} == {batch.output_file_id}
    oai.files.delete(batch.output_file_id)
    with pytest.raises(openai.NotFoundError):
        oai.files.content(batch.output_file_id)


def test_openai_answers_are_deterministic_and_follow_any_schema(oai: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "$defs": {"level": {"type": "string", "enum": ["low", "high"]}},
        "properties": {
            "level": {"$ref": "#/$defs/level"},
            "score": {"type": "number", "minimum": -5, "maximum": -2},
            "note": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 20}]},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 3},
        },
        "required": ["level", "score", "note", "tags"],
        "additionalProperties": False,
    }
    _, out, _ = run_openai(oai, jsonl({"a": chat_body("same text", schema), "b": chat_body("same text", schema)}))
    first, second = answer_of(out["a"]), answer_of(out["b"])
    assert first == second and first["level"] in ("low", "high") and -5 <= first["score"] <= -2
    assert first["note"].startswith("[simulated]") and len(first["note"]) <= 20 and 2 <= len(first["tags"]) <= 3


def test_openai_responses_endpoint_batch(oai: openai.OpenAI) -> None:
    batch, out, errors = run_openai(oai, jsonl({"r1": responses_body("Great breakfast.")}, "/v1/responses"),
                                    "/v1/responses")
    body = out["r1"]["response"]["body"]
    assert batch.status == "completed" and not errors and body["object"] == "response" and body["status"] == "completed"
    text = body["output"][0]["content"][0]
    assert text["type"] == "output_text" and conforms(json.loads(text["text"]), SCHEMA)
    assert batch.usage.input_tokens == body["usage"]["input_tokens"] > 0


def test_openai_per_request_outcomes(sim: SimulatedService, oai: openai.OpenAI) -> None:
    single = ["success", "refusal", "truncated", "malformed", "error_400", "server_error", "expired", "cancelled"]
    multi = ["missing_id", "invented_id", "duplicate_id"]
    sim.scenario.outcomes = {name: name for name in single + multi}
    bodies = {name: chat_body(f"Text for {name}.") for name in single}
    bodies |= {name: chat_body(rows_text("a1", "a2", "a3"), MULTI_SCHEMA) for name in multi}
    batch, out, err = run_openai(oai, jsonl(bodies))
    assert batch.request_counts.model_dump() == {"total": 11, "completed": 7, "failed": 4}

    assert conforms(answer_of(out["success"]), SCHEMA)
    refused = out["refusal"]["response"]["body"]["choices"][0]
    assert refused["message"]["content"] is None and "can't help" in refused["message"]["refusal"]
    cut = out["truncated"]["response"]["body"]["choices"][0]
    assert cut["finish_reason"] == "length" and cut["message"]["content"].startswith("{")
    for broken in ("truncated", "malformed"):
        with pytest.raises(json.JSONDecodeError):
            answer_of(out[broken])
    ids = {name: [a["id"] for a in answer_of(out[name])["results"]] for name in multi}
    assert ids["missing_id"] == ["a1", "a2"]
    assert set(ids["invented_id"]) - {"a1", "a2", "a3"} and len(ids["invented_id"]) == 4
    assert len(ids["duplicate_id"]) == 4 and len(set(ids["duplicate_id"])) == 3

    bad = err["error_400"]["response"]
    assert bad["status_code"] == 400 and bad["body"]["error"]["type"] == "invalid_request_error"
    assert err["error_400"]["error"] is None
    assert err["server_error"]["response"]["status_code"] == 500
    assert err["expired"]["response"] is None and err["expired"]["error"]["code"] == "batch_expired"
    assert err["cancelled"]["error"]["code"] == "batch_cancelled"


def test_text_rules_script_outcomes_by_content(sim: SimulatedService, oai: openai.OpenAI) -> None:
    control(sim, "scenario", {"text_rules": [{"contains": "#refuse", "outcome": "refusal"}],
                              "default_outcome": "success"})
    _, out, _ = run_openai(oai, jsonl({"x": chat_body("ok text"), "y": chat_body("please #refuse this")}))
    assert out["x"]["response"]["body"]["choices"][0]["message"]["refusal"] is None
    assert out["y"]["response"]["body"]["choices"][0]["message"]["refusal"]


@pytest.mark.parametrize(
    ("lines", "code", "line_no"),
    [
        ([b"not json"], "invalid_json_line", 1),
        ([jsonl({"a": chat_body("x")}), jsonl({"a": chat_body("y")})], "duplicate_custom_id", 2),
        ([jsonl({"a": chat_body("x")}, url="/v1/responses")], "url_mismatch", 1),
        ([jsonl({"a": chat_body("x")}), jsonl({"b": chat_body("y", model="gpt-5.4")})], "model_mismatch", 2),
        ([b"\n"], "empty_file", None),
        ([b"{}\n" * 50_001], "too_many_tasks", None),
    ],
)
def test_openai_bad_input_fails_after_create(
    oai: openai.OpenAI, lines: list[bytes], code: str, line_no: int | None
) -> None:
    data = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)
    created = submit(oai, data)
    assert created.status == "validating"
    batch, _ = poll_openai(oai, created.id)
    assert batch.status == "failed" and batch.failed_at and batch.output_file_id is None
    assert [(e.code, e.line) for e in batch.errors.data] == [(code, line_no)]


def test_openai_create_rejects_bad_requests(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as unknown:
        oai.batches.create(input_file_id="file-nope", endpoint="/v1/chat/completions", completion_window="24h")
    assert unknown.value.param == "input_file_id" and unknown.value.request_id
    uploaded = oai.files.create(file=("a.jsonl", jsonl({"a": chat_body("x")})), purpose="batch")
    with pytest.raises(openai.BadRequestError):
        oai.batches.create(input_file_id=uploaded.id, endpoint="/v1/embeddings", completion_window="24h")
    with pytest.raises(openai.BadRequestError, match="jsonl"):
        oai.files.create(file=b"{}", purpose="batch")  # filename "upload"


@pytest.mark.parametrize(
    ("fate", "status", "counts", "files"),
    [
        ("validation_failed", "failed", (0, 0, 0), (False, False)),
        ("token_limit", "failed", (0, 0, 0), (False, False)),
        ("expire", "expired", (4, 2, 2), (True, True)),
        ("only_error_file", "completed", (4, 0, 4), (False, True)),
    ],
)
def test_openai_batch_outcomes(sim: SimulatedService, oai: openai.OpenAI, fate: str, status: str,
                               counts: tuple[int, int, int], files: tuple[bool, bool]) -> None:
    sim.scenario.batch_outcome = fate
    batch, out, err = run_openai(oai, jsonl({f"r{i}": chat_body(f"text {i}") for i in range(4)}))
    assert batch.status == status
    assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == counts
    assert (batch.output_file_id is not None, batch.error_file_id is not None) == files
    if fate == "token_limit":
        assert batch.errors.data[0].code == "token_limit_exceeded"
    if fate == "expire":
        assert batch.expired_at and {line["error"]["code"] for line in err.values()} == {"batch_expired"}
        assert set(out) | set(err) == {"r0", "r1", "r2", "r3"}
    if fate == "only_error_file":
        assert {line["response"]["status_code"] for line in err.values()} == {400}


def test_openai_cancel_keeps_partial_output(oai: openai.OpenAI) -> None:
    created = submit(oai, jsonl({f"r{i}": chat_body(f"text {i}") for i in range(4)}))
    oai.batches.retrieve(created.id)
    running = oai.batches.retrieve(created.id)
    assert running.status == "in_progress" and running.request_counts.completed == 2
    cancelling = oai.batches.cancel(created.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at
    batch = oai.batches.retrieve(created.id)
    assert batch.status == "cancelled" and batch.cancelled_at >= batch.cancelling_at
    out, err = file_lines(oai, batch.output_file_id), file_lines(oai, batch.error_file_id)
    assert len(out) == 2 and {line["error"]["code"] for line in err.values()} == {"batch_cancelled"}
    assert set(out) | set(err) == {"r0", "r1", "r2", "r3"}
    with pytest.raises(openai.BadRequestError):
        oai.batches.cancel(created.id)


def test_openai_list_paginates_newest_first_with_metadata(sim: SimulatedService, oai: openai.OpenAI) -> None:
    data = jsonl({"a": chat_body("x")})
    ids = [submit(oai, data, metadata={"n": str(i)}).id for i in range(5)]
    listed = list(oai.batches.list(limit=2))
    assert [b.id for b in listed] == ids[::-1] and [b.metadata["n"] for b in listed] == ["4", "3", "2", "1", "0"]
    first_page = oai.batches.list(limit=2)
    assert first_page.has_more and len(first_page.data) == 2
    assert [f.filename for f in oai.files.list(limit=2)] == ["requests.jsonl"] * 5
    assert sim.stats()["openai_batches"] == 5


# ---- Anthropic batches ----------------------------------------------------------------------------
def test_anthropic_batch_lifecycle_and_results(sim: SimulatedService, claude: anthropic.Anthropic) -> None:
    texts = {f"job1-r{i}": f"Review {i}: great food." for i in range(4)}
    requests = [{"custom_id": c, "params": claude_params(t)} for c, t in texts.items()]
    created = claude.messages.batches.create(requests=requests)
    assert created.processing_status == "in_progress" and created.results_url is None
    assert created.request_counts.processing == 4
    with pytest.raises(anthropic.BadRequestError):
        claude.messages.batches.delete(created.id)
    batch = poll_claude(claude, created.id)
    assert batch.results_url.startswith(sim.url + "/v1/messages/batches/") and batch.ended_at
    assert batch.request_counts.succeeded == 4 and batch.request_counts.processing == 0
    results = list(claude.messages.batches.results(batch.id))
    assert sorted(r.custom_id for r in results) == sorted(texts) and [r.custom_id for r in results] != list(texts)
    reads = []
    for result in results:
        message = result.result.message
        block = message.content[0]
        assert result.result.type == "succeeded" and message.stop_reason == "tool_use"
        assert block.type == "tool_use" and block.name == "record_coding" and conforms(block.input, SCHEMA)
        assert message.model == "claude-sonnet-4-6" and message.usage.service_tier == "batch"
        reads.append((message.usage.cache_creation_input_tokens, message.usage.cache_read_input_tokens))
    assert reads[0][0] > 0 and reads[0][1] == 0 and all(c == 0 and r > 0 for c, r in reads[1:])
    assert claude.messages.batches.delete(batch.id).type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        claude.messages.batches.retrieve(batch.id)


def test_anthropic_per_request_outcomes(sim: SimulatedService, claude: anthropic.Anthropic) -> None:
    single = ["success", "refusal", "truncated", "malformed", "error_400", "server_error", "expired", "cancelled"]
    multi = ["missing_id", "invented_id", "duplicate_id"]
    sim.scenario.outcomes = {name.replace("_", "-"): name for name in single + multi}
    params = {n.replace("_", "-"): claude_params(f"Text for {n}.") for n in single}
    params |= {n.replace("_", "-"): claude_params(rows_text("b1", "b2"), MULTI_SCHEMA) for n in multi}
    batch, results = run_claude(claude, params)
    assert batch.request_counts.model_dump() == {"processing": 0, "succeeded": 7, "errored": 2, "canceled": 1,
                                                 "expired": 1}
    assert conforms(results["success"].message.content[0].input, SCHEMA)
    assert results["refusal"].message.stop_reason == "refusal"
    assert results["truncated"].message.stop_reason == "max_tokens"
    broken = results["malformed"].message.content[0].input
    assert set(broken) < set(SCHEMA["required"]) and len(broken) == len(FIELDS) - 1
    assert results["error-400"].error.error.type == "invalid_request_error"
    assert results["server-error"].error.error.type == "api_error" and results["server-error"].error.request_id
    assert results["expired"].type == "expired" and results["cancelled"].type == "canceled"
    ids = {n: [a["id"] for a in results[n.replace("_", "-")].message.content[0].input["results"]] for n in multi}
    assert ids["missing_id"] == ["b1"] and len(ids["invented_id"]) == 3 and ids["invented_id"][2] not in ("b1", "b2")
    assert sorted(ids["duplicate_id"]) == ["b1", "b1", "b2"]


@pytest.mark.parametrize(
    ("fate", "expected"),
    [("expire", {"succeeded": 2, "expired": 2}), ("only_error_file", {"errored": 4})],
)
def test_anthropic_batch_outcomes(sim: SimulatedService, claude: anthropic.Anthropic, fate: str,
                                  expected: dict[str, int]) -> None:
    sim.scenario.batch_outcome = fate
    batch, results = run_claude(claude, {f"r{i}": claude_params(f"text {i}") for i in range(4)})
    counts = {k: v for k, v in batch.request_counts.model_dump().items() if v}
    assert counts == expected and len(results) == 4


def test_anthropic_rejected_batches(sim: SimulatedService, claude: anthropic.Anthropic) -> None:
    def create(*requests: dict[str, Any]) -> Any:
        return claude.messages.batches.create(requests=list(requests))

    with pytest.raises(anthropic.BadRequestError, match="custom_id"):
        create({"custom_id": "bad id!", "params": claude_params("x")})
    with pytest.raises(anthropic.BadRequestError, match="Duplicate"):
        create({"custom_id": "a", "params": claude_params("x")}, {"custom_id": "a", "params": claude_params("y")})
    with pytest.raises(anthropic.BadRequestError, match="max_tokens: Field required"):
        create({"custom_id": "a", "params": {k: v for k, v in claude_params("x").items() if k != "max_tokens"}})
    with pytest.raises(anthropic.BadRequestError, match="temperature: Extra inputs are not permitted") as exc:
        create({"custom_id": "a", "params": claude_params("x") | {"temperature": 0}})
    assert exc.value.body["type"] == "error" and exc.value.request_id
    old = claude.with_options(default_headers={"anthropic-version": "2023-06-01"})
    with_temperature = {"custom_id": "a", "params": claude_params("x") | {"temperature": 0}}
    assert old.messages.batches.create(requests=[with_temperature]).id
    sim.scenario.batch_outcome = "validation_failed"
    with pytest.raises(anthropic.BadRequestError):
        create({"custom_id": "a", "params": claude_params("x")})
    sim.scenario.batch_outcome = "token_limit"
    retrying = claude.with_options(max_retries=2)
    started = time.monotonic()
    with pytest.raises(anthropic.RateLimitError):
        retrying.messages.batches.create(requests=[{"custom_id": "a", "params": claude_params("x")}])
    assert time.monotonic() - started < 1 and sim.stats()["anthropic_batches"] == 1


def test_anthropic_cancel_and_list_pagination(claude: anthropic.Anthropic) -> None:
    ids = [claude.messages.batches.create(requests=[{"custom_id": f"job{i}-r1", "params": claude_params("x")}]).id
           for i in range(5)]
    assert [b.id for b in claude.messages.batches.list(limit=2)] == ids[::-1]
    page = claude.messages.batches.list(limit=2, before_id=ids[0])
    assert [b.id for b in page.data] == ids[2:0:-1] and page.has_more and page.first_id == ids[2]
    canceling = claude.messages.batches.cancel(ids[0])
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at
    ended = claude.messages.batches.retrieve(ids[0])
    assert ended.processing_status == "ended" and ended.request_counts.canceled == 1
    assert [r.result.type for r in claude.messages.batches.results(ids[0])] == ["canceled"]


def test_anthropic_results_need_an_ended_batch(sim: SimulatedService, claude: anthropic.Anthropic) -> None:
    created = claude.messages.batches.create(requests=[{"custom_id": "r1", "params": claude_params("x")}])
    raw = urllib.request.Request(f"{sim.url}/v1/messages/batches/{created.id}/results",
                                 headers={"x-api-key": KEY, "anthropic-version": "2026-10-21"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(raw, timeout=5)
    assert exc.value.code == 400 and json.loads(exc.value.read())["error"]["type"] == "invalid_request_error"
    with pytest.raises(anthropic.AnthropicError, match="results_url"):
        list(claude.messages.batches.results(created.id))


# ---- auth, headers, base URLs ---------------------------------------------------------------------
def test_auth_styles_and_wrong_keys(sim: SimulatedService) -> None:
    old_style = anthropic.Anthropic(base_url=sim.anthropic_base_url, max_retries=0,
                                    default_headers={"X-Api-Key": KEY, "anthropic-version": "2023-06-01"})
    sent = old_style.messages.batches.with_raw_response.list()
    assert sent.http_request.headers["x-api-key"] == KEY and "authorization" not in sent.http_request.headers
    assert sent.parse().data == []
    new_style = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key=KEY, max_retries=0)
    assert new_style.messages.batches.list().data == []

    with pytest.raises(anthropic.AuthenticationError) as claude_exc:
        anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="wrong", max_retries=0).messages.batches.list()
    assert claude_exc.value.body["error"]["type"] == "authentication_error" and claude_exc.value.request_id
    with pytest.raises(openai.AuthenticationError) as openai_exc:
        openai.OpenAI(base_url=sim.openai_base_url, api_key="sk-wrong-key-123", max_retries=0).batches.list()
    assert openai_exc.value.code == "invalid_api_key" and openai_exc.value.request_id
    assert "sk-wrong-key-123" not in openai_exc.value.message
    assert sim.stats()["auth_failures"] == 2


def test_sdk_env_var_base_urls(sim: SimulatedService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", sim.openai_base_url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", sim.anthropic_base_url)
    assert [m.id for m in openai.OpenAI(api_key=KEY).models.list()][0].startswith("gpt-")
    models = anthropic.Anthropic(api_key=KEY).models.list()
    assert models.data[0].id.startswith("claude-") and models.data[0].type == "model"


# ---- direct calls ---------------------------------------------------------------------------------
def test_direct_endpoints_share_the_responder(sim: SimulatedService, oai: openai.OpenAI,
                                               claude: anthropic.Anthropic) -> None:
    chat = oai.chat.completions.create(**chat_body(rows_text("c1", "c2"), MULTI_SCHEMA))
    assert [r["id"] for r in json.loads(chat.choices[0].message.content)["results"]] == ["c1", "c2"]
    assert chat.system_fingerprint == "batchlab-simulator" and chat.usage.prompt_tokens > 0

    response = oai.responses.create(**responses_body("Clean rooms."))
    assert response.status == "completed" and conforms(json.loads(response.output_text), SCHEMA)

    first = claude.messages.create(**claude_params("Nice view."))
    second = claude.messages.create(**claude_params("Loud street."))
    assert first.content[0].type == "tool_use" and conforms(first.content[0].input, SCHEMA)
    assert first.usage.cache_read_input_tokens == 0 and second.usage.cache_read_input_tokens > 0

    sim.scenario.text_rules = Scenario.from_dict({"text_rules": [
        {"contains": "refuse", "outcome": "refusal"}, {"contains": "cut", "outcome": "truncated"},
        {"contains": "fail", "outcome": "error_400"}]}).text_rules
    refused = oai.responses.create(**responses_body("refuse me"))
    assert refused.output[0].content[0].type == "refusal"
    cut = oai.responses.create(**responses_body("cut me"))
    assert cut.status == "incomplete" and cut.incomplete_details.reason == "max_output_tokens"
    assert claude.messages.create(**claude_params("refuse me")).stop_reason == "refusal"
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(**chat_body("fail me"))
    with pytest.raises(anthropic.BadRequestError):
        claude.messages.create(**claude_params("fail me"))
    assert sim.stats()["direct_calls"] == 9


# ---- faults ---------------------------------------------------------------------------------------
def test_rate_limit_and_server_errors_are_retried(sim: SimulatedService) -> None:
    sim.scenario = sim.scenario.merged({"faults": [
        {"method": "POST", "path_prefix": "/v1/files", "status": 429, "times": 2, "retry_after": 0.01},
        {"method": "GET", "path_prefix": "/v1/batches", "status": 500, "times": 1, "retry_after": 0.01},
        {"method": "POST", "path_prefix": "/v1/messages/batches", "status": 529, "times": 1, "retry_after": 0.01},
    ]})
    started = time.monotonic()
    client = openai.OpenAI(base_url=sim.openai_base_url, api_key=KEY, max_retries=2)
    batch = submit(client, jsonl({"a": chat_body("x")}))
    assert client.batches.retrieve(batch.id).status == "in_progress"
    claude = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key=KEY, max_retries=1)
    assert claude.messages.batches.create(requests=[{"custom_id": "a", "params": claude_params("x")}]).id
    assert time.monotonic() - started < 1.5 and sim.stats()["faults_fired"] == 4

    sim.scenario.faults = Scenario.from_dict({"faults": [{"status": 429, "times": 1}]}).faults
    with pytest.raises(openai.RateLimitError) as exc:
        openai.OpenAI(base_url=sim.openai_base_url, api_key=KEY, max_retries=0).batches.list()
    assert exc.value.response.headers["retry-after-ms"] == "50" and exc.value.code == "rate_limit_exceeded"


def test_dropped_connections(sim: SimulatedService) -> None:
    drop_upload = {"method": "POST", "path_prefix": "/v1/files", "status": "drop", "times": 1}
    data = jsonl({f"r{i}": chat_body(f"text {i} " * 50) for i in range(20)})
    no_retry = openai.OpenAI(base_url=sim.openai_base_url, api_key=KEY, max_retries=0)
    one_retry = no_retry.with_options(max_retries=1)

    sim.scenario.faults = Scenario.from_dict({"faults": [drop_upload]}).faults
    with pytest.raises(openai.APIConnectionError):
        no_retry.files.create(file=("requests.jsonl", data), purpose="batch")
    sim.scenario.faults = Scenario.from_dict({"faults": [drop_upload]}).faults
    uploaded = one_retry.files.create(file=("requests.jsonl", data), purpose="batch")
    assert no_retry.files.content(uploaded.id).content == data

    drop_download = {"method": "GET", "path_prefix": f"/v1/files/{uploaded.id}/content", "status": "drop"}
    sim.scenario.faults = Scenario.from_dict({"faults": [drop_download]}).faults
    with pytest.raises(openai.APIConnectionError):
        no_retry.files.content(uploaded.id)
    sim.scenario.faults = Scenario.from_dict({"faults": [drop_download]}).faults
    assert one_retry.files.content(uploaded.id).content == data
    assert sim.stats()["faults_fired"] == 4 and sim.stats()["openai_files"] == 1


# ---- progress, persistence, control ---------------------------------------------------------------
def test_polls_per_step(sim: SimulatedService, oai: openai.OpenAI) -> None:
    sim.scenario.polls_per_step = 2
    created = submit(oai, jsonl({"a": chat_body("x")}))
    statuses = [oai.batches.retrieve(created.id).status for _ in range(8)]
    assert statuses == ["validating", "in_progress", "in_progress", "in_progress", "in_progress",
                        "finalizing", "finalizing", "completed"]
    assert oai.batches.list().data[0].status == "completed"  # listing shows state without advancing it


def test_time_progress_moves_without_polls(sim: SimulatedService, oai: openai.OpenAI,
                                           claude: anthropic.Anthropic) -> None:
    sim.scenario.progress, sim.scenario.seconds_per_step = "time", 0.05
    batch = submit(oai, jsonl({"a": chat_body("x")}))
    message_batch = claude.messages.batches.create(requests=[{"custom_id": "a", "params": claude_params("x")}])
    time.sleep(0.3)
    done = oai.batches.list().data[0]
    assert done.id == batch.id and done.status == "completed"
    assert batch.created_at <= done.in_progress_at <= done.finalizing_at <= done.completed_at
    assert claude.messages.batches.retrieve(message_batch.id).processing_status == "ended"


def test_state_survives_a_restart(tmp_path: Path) -> None:
    first = SimulatedService(state_dir=tmp_path, api_key=KEY)
    first.start()
    oai = openai.OpenAI(base_url=first.openai_base_url, api_key=KEY, max_retries=0)
    claude = anthropic.Anthropic(base_url=first.anthropic_base_url, api_key=KEY, max_retries=0)
    polled = submit(oai, jsonl({"a": chat_body("x"), "b": chat_body("y")}), metadata={"job": "p"})
    oai.batches.retrieve(polled.id)
    message_batch = claude.messages.batches.create(requests=[{"custom_id": "job9-r1", "params": claude_params("x")}])
    first.scenario.progress, first.scenario.seconds_per_step = "time", 0.05
    timed = submit(oai, jsonl({"c": chat_body("z")}))
    first.stop()
    time.sleep(0.3)

    second = SimulatedService(state_dir=tmp_path, api_key=KEY)
    second.start()
    oai = openai.OpenAI(base_url=second.openai_base_url, api_key=KEY, max_retries=0)
    claude = anthropic.Anthropic(base_url=second.anthropic_base_url, api_key=KEY, max_retries=0)
    assert second.url != first.url and second.stats()["openai_batches"] == 2
    assert oai.batches.retrieve(timed.id).status == "completed"  # finished while the service was down
    batch, seen = poll_openai(oai, polled.id)
    assert seen[0] == "in_progress" and batch.metadata == {"job": "p"}
    assert set(file_lines(oai, batch.output_file_id)) == {"a", "b"}
    ended = poll_claude(claude, message_batch.id)
    assert ended.results_url.startswith(second.url)
    assert [r.custom_id for r in claude.messages.batches.results(ended.id)] == ["job9-r1"]
    second.stop()


def test_control_endpoints(sim: SimulatedService, oai: openai.OpenAI) -> None:
    submit(oai, jsonl({"a": chat_body("x")}))
    stats = control(sim, "stats")
    assert stats["openai_files"] == 1 and stats["openai_batches"] == 1 and stats["http_requests"] == 2
    merged = control(sim, "scenario", {"default_outcome": "refusal", "progress": "time"})
    assert merged["default_outcome"] == "refusal" and merged["api_key"] == KEY and sim.scenario.progress == "time"
    replaced = control(sim, "scenario?replace=true", {"batch_outcome": "expire"})
    assert replaced["default_outcome"] == "success" and control(sim, "scenario")["batch_outcome"] == "expire"
    with pytest.raises(urllib.error.HTTPError) as exc:
        control(sim, "scenario", {"default_outcome": "nonsense"})
    assert exc.value.code == 400
    reset = control(sim, "reset", {})
    assert reset["openai_batches"] == reset["openai_files"] == 0 and sim.scenario.batch_outcome == "normal"
    assert oai.batches.list().data == [] and sim.scenario.api_key == KEY


def test_errors_have_each_providers_shape(oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    with pytest.raises(openai.NotFoundError) as openai_exc:
        oai.batches.retrieve("batch_missing")
    assert openai_exc.value.body["type"] == "invalid_request_error" and openai_exc.value.request_id.startswith("req_")
    with pytest.raises(anthropic.NotFoundError) as claude_exc:
        claude.messages.batches.cancel("msgbatch_missing")
    assert claude_exc.value.body["error"]["type"] == "not_found_error"
    assert claude_exc.value.request_id == claude_exc.value.body["request_id"]


def test_scenario_json_round_trip() -> None:
    scenario = Scenario.from_dict({
        "progress": "time", "seconds_per_step": 0.5, "outcomes": {"r1": "refusal"},
        "text_rules": [{"contains": "x", "outcome": "malformed"}],
        "faults": [{"status": "drop", "path_prefix": "/v1/files"}], "batch_outcome": "expire",
    })
    assert Scenario.from_dict(json.loads(json.dumps(scenario.to_dict()))) == scenario
    assert scenario.outcome_for("r1", "x") == "refusal" and scenario.outcome_for("r2", "has x") == "malformed"
    for bad in ({"outcomes": {"a": "boom"}}, {"progress": "never"}, {"speed": 1}, {"faults": [{"status": 200}]}):
        with pytest.raises((ValueError, TypeError)):
            Scenario.from_dict(bad)


def test_schema_walker_is_generic() -> None:
    value = generate({"type": "object", "properties": {
        "when": {"type": "string", "format": "date"},
        "n": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 2},
        "pick": {"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 2},
        "maybe": {"type": ["boolean", "null"]},
    }}, "some text")
    assert len(value["when"]) == 10 and value["n"] == 1 and sorted(value["pick"]) == ["a", "b"]
    assert isinstance(value["maybe"], bool)
    next_node = {"anyOf": [{"$ref": "#"}, {"type": "null"}]}
    linked = {"type": "object", "properties": {"v": {"type": "integer"}, "next": next_node}}
    node, depth = generate(linked, "chain"), 0
    while node is not None:  # a recursive schema still ends
        node, depth = node["next"], depth + 1
    assert 1 <= depth < 10


def test_run_standalone_serves_until_stopped(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from app.core.simulator import run_standalone; "
            "run_standalone(0, Path(sys.argv[1]), 'k')")
    process = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = line.split(" at ")[1].split()[0]
        client = openai.OpenAI(base_url=url + "/v1", api_key="k", max_retries=0)
        assert client.files.create(file=("a.jsonl", b"{}\n"), purpose="batch").bytes == 3
        assert (tmp_path / "index.json").exists()
    finally:
        process.terminate()
        process.wait(timeout=5)
