"""Request building for both providers and both OpenAI endpoints, checked against the SDKs' own types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from anthropic.types.messages.batch_create_params import (
    Request as AnthropicBatchRequest,
)
from openai.types.batch_create_params import BatchCreateParams
from openai.types.chat.completion_create_params import (
    CompletionCreateParamsNonStreaming,
)
from openai.types.responses.response_create_params import (
    ResponseCreateParamsNonStreaming,
)

from app.core.build.batchfiles import BatchLimits, SplitWriter, dumps_line
from app.core.build.models import REASONING_HEADROOM
from app.core.build.requests import (
    MAX_AUTO_ROWS,
    OVERHEAD_TARGET,
    RequestBuilder,
    RowInput,
    is_reasoning_model,
    output_tokens_per_row,
    resolved_rows_per_request,
)
from app.core.build.rowformat import compact_rows, read_compact
from app.core.build.schema import SCHEMA_NAME, output_schema
from app.core.errors import SpecError
from app.core.spec import FieldSpec, parse_spec
from tests.sdk_types import problems

ROOT = Path(__file__).resolve().parents[1]
ALL_FIELDS = [
    {"name": "sentiment", "type": "category", "choices": ["positive", "neutral", "negative"], "description": "tone"},
    {"name": "confidence", "type": "number", "minimum": 0, "maximum": 1},
    {"name": "stars", "type": "integer", "minimum": 1, "maximum": 5},
    {"name": "mentions_price", "type": "boolean"},
    {"name": "topics", "type": "list", "choices": ["quality", "price", "service"]},
    {"name": "keywords", "type": "list"},
    {"name": "quote", "type": "text", "description": "shortest supporting quote"},
]
ROWS = [RowInput("r1", "Título: Ça va\nGood value"), RowInput("r2", 'He said "fine" {really}')]


def make_spec(**changes: object):
    raw = json.loads((ROOT / "examples" / "reviews-openai.json").read_text())
    raw.update(data=str(ROOT / "resources" / "sample" / "reviews.csv"), fields=ALL_FIELDS, rows_per_request=1)
    if changes.get("provider") == "anthropic":
        raw.pop("endpoint")
    raw.update(changes)
    return parse_spec(raw, ROOT)


def test_every_field_type_becomes_a_strict_schema() -> None:
    schema = output_schema([FieldSpec(**f) for f in ALL_FIELDS], 1)
    props = schema["properties"]
    assert schema["additionalProperties"] is False and schema["required"] == [f["name"] for f in ALL_FIELDS]
    assert props["sentiment"] == {"type": "string", "enum": ["positive", "neutral", "negative"], "description": "tone"}
    assert props["confidence"] == {"type": "number", "minimum": 0, "maximum": 1}
    assert props["stars"] == {"type": "integer", "minimum": 1, "maximum": 5}
    assert props["mentions_price"] == {"type": "boolean"}
    assert props["topics"] == {"type": "array", "items": {"type": "string", "enum": ["quality", "price", "service"]}}
    assert props["keywords"] == {"type": "array", "items": {"type": "string"}}
    assert props["quote"]["type"] == "string"


def test_a_verbatim_quote_field_tells_the_model_to_quote() -> None:
    quote = FieldSpec("quote", "text", description="shortest supporting quote", verbatim_quote=True)
    described = output_schema([quote], 1)["properties"]["quote"]["description"]
    assert described.startswith("shortest supporting quote") and "verbatim quote" in described
    assert "description" not in output_schema([FieldSpec("note", "text")], 1)["properties"]["note"]


def test_multi_row_schema_lists_results_with_ids() -> None:
    schema = output_schema([FieldSpec(name="tone", type="text")], 5)
    assert schema["required"] == ["results"] and schema["additionalProperties"] is False
    item = schema["properties"]["results"]["items"]
    assert item["required"] == ["id", "tone"] and item["additionalProperties"] is False


def test_openai_chat_line_fits_the_sdk_types() -> None:
    builder = RequestBuilder(make_spec())
    line = builder.batch_line("req-000001", ROWS[:1])
    assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
    body = line["body"]
    assert problems(body, CompletionCreateParamsNonStreaming) == []
    assert body["messages"][0] == {"role": "system", "content": builder.spec.instructions}
    assert body["messages"][1] == {"role": "user", "content": ROWS[0].text}
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["name"] == SCHEMA_NAME and fmt["json_schema"]["schema"] == builder.schema
    assert problems({"completion_window": "24h", "endpoint": line["url"], "input_file_id": "f"}, BatchCreateParams) == []


def test_openai_responses_line_fits_the_sdk_types() -> None:
    builder = RequestBuilder(make_spec(endpoint="responses", max_output_tokens=400))
    line = builder.batch_line("req-000001", ROWS[:1])
    assert line["url"] == "/v1/responses"
    body = line["body"]
    assert problems(body, ResponseCreateParamsNonStreaming) == []
    assert body["instructions"] == builder.spec.instructions
    assert body["text"]["format"] == {"type": "json_schema", "name": SCHEMA_NAME, "strict": True, "schema": builder.schema}
    assert body["max_output_tokens"] == 400 and "temperature" not in body


def test_anthropic_request_uses_json_outputs_and_fits_the_sdk_types() -> None:
    builder = RequestBuilder(make_spec(provider="anthropic", model="claude-haiku-4-5"))
    line = builder.batch_line("req-000001", ROWS[:1])
    assert problems(line, AnthropicBatchRequest) == []
    params = line["params"]
    assert params["system"] == [
        {"type": "text", "text": builder.spec.instructions, "cache_control": {"type": "ephemeral"}}
    ]
    assert "tool_choice" not in params and "tools" not in params and "thinking" not in params
    schema = params["output_config"]["format"]["schema"]
    assert params["output_config"]["format"]["type"] == "json_schema"
    # Anthropic's JSON outputs take no numeric bounds: they move into the description.
    assert schema["properties"]["stars"] == {"type": "integer", "description": "Must be at least 1 and at most 5"}
    assert schema["properties"]["confidence"]["description"] == "Must be at least 0 and at most 1"
    assert schema["properties"]["sentiment"] == builder.schema["properties"]["sentiment"]
    assert params["max_tokens"] >= 1024
    assert any("output budget" in n for n in builder.notes)
    assert any("below claude-haiku-4-5's minimum of 4,096 tokens" in n for n in builder.notes)


def test_older_claude_keeps_the_forced_tool() -> None:
    builder = RequestBuilder(make_spec(provider="anthropic", model="claude-sonnet-4-0"))
    params = builder.body(ROWS[:1])
    assert params["tool_choice"] == {"type": "tool", "name": SCHEMA_NAME}
    assert params["tools"][0]["input_schema"] == builder.schema and "output_config" not in params


@pytest.mark.parametrize("model", ["claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5"])
def test_claude_5_5_gets_no_forced_tool_no_sampling_and_the_lowest_effort(model: str) -> None:
    builder = RequestBuilder(make_spec(provider="anthropic", model=model, temperature=0.0))
    params = builder.body(ROWS[:1])
    assert problems({"custom_id": "x", "params": params}, AnthropicBatchRequest) == []
    assert "tool_choice" not in params and "temperature" not in params
    assert params["output_config"]["effort"] == "low"
    assert params.get("thinking") in (None, {"type": "between_tools"})
    assert params.get("thinking", {}).get("type") != "disabled"
    assert any(f"Temperature 0 is left out: {model} rejects temperature" in n for n in builder.notes)
    # The budget covers thinking, so answers are not cut off.
    assert params["max_tokens"] >= 1024 + (4096 if model != "claude-sonnet-5-5" else 0)


def test_claude_4_temperature_is_dropped_for_the_api_version_not_the_sdk() -> None:
    builder = RequestBuilder(make_spec(provider="anthropic", model="claude-haiku-4-5", temperature=0.0))
    params = builder.batch_line("x", ROWS[:1])["params"]
    assert "temperature" not in params
    assert any("API version BatchLab sends (2026-10-21)" in n for n in builder.notes)


def test_a_long_shared_prompt_is_cached_for_an_hour() -> None:
    builder = RequestBuilder(make_spec(provider="anthropic", model="claude-sonnet-5-5", instructions="Code it. " * 400))
    assert builder.shared_prompt_tokens >= 512 and builder.cache_ttl == "1h"
    assert builder.body(ROWS[:1])["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert any("cached for 1 hour" in n for n in builder.notes)


@pytest.mark.parametrize(("model", "effort"), [("o3", "low"), ("o4-mini", "low"), ("gpt-5", "minimal")])
def test_reasoning_models_drop_temperature_and_use_max_completion_tokens(model: str, effort: str) -> None:
    assert is_reasoning_model(model)
    builder = RequestBuilder(make_spec(model=model, temperature=0.2, max_output_tokens=500))
    body = builder.body(ROWS[:1])
    assert problems(body, CompletionCreateParamsNonStreaming) == []
    assert "temperature" not in body and "max_tokens" not in body
    assert body["max_completion_tokens"] == 500 and body["reasoning_effort"] == effort
    assert any("reasoning model" in n for n in builder.notes)


def test_gpt_5_4_mini_keeps_temperature_only_at_effort_none() -> None:
    at_none = RequestBuilder(make_spec(temperature=0.0))
    assert at_none.body(ROWS[:1])["reasoning_effort"] == "none" and at_none.body(ROWS[:1])["temperature"] == 0
    assert any("Temperature 0 is kept" in n for n in at_none.notes)
    at_low = RequestBuilder(make_spec(temperature=0.0, reasoning_effort="low"))
    body = at_low.body(ROWS[:1])
    assert "temperature" not in body and body["reasoning_effort"] == "low"
    assert any('only at reasoning effort "none"; this job uses "low"' in n for n in at_low.notes)


def test_an_effort_the_model_lacks_becomes_the_next_one_up() -> None:
    builder = RequestBuilder(make_spec(model="gpt-5", reasoning_effort="none"))
    assert builder.body(ROWS[:1])["reasoning_effort"] == "minimal"
    assert any('does not take reasoning effort "none"' in n for n in builder.notes)
    responses = RequestBuilder(make_spec(model="o3", endpoint="responses", reasoning_effort="xhigh"))
    assert responses.body(ROWS[:1])["reasoning"] == {"effort": "high"}


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-4.1", "gpt-5-chat-latest"])
def test_other_models_keep_temperature(model: str) -> None:
    assert not is_reasoning_model(model)
    body = RequestBuilder(make_spec(model=model, temperature=0.2)).body(ROWS[:1])
    assert body["temperature"] == 0.2 and "reasoning_effort" not in body
    assert problems(body, CompletionCreateParamsNonStreaming) == []


def test_reasoning_model_at_temperature_one_keeps_it() -> None:
    assert RequestBuilder(make_spec(model="o3", temperature=1)).body(ROWS[:1])["temperature"] == 1


def test_unknown_model_gets_careful_rules_and_a_note() -> None:
    builder = RequestBuilder(make_spec(model="gpt-99-zeta", temperature=0.5))
    body = builder.body(ROWS[:1])
    assert "temperature" not in body and "reasoning_effort" not in body
    assert any('no rules for "gpt-99-zeta"' in n for n in builder.notes)


def test_schema_limits_are_checked_before_anything_is_sent() -> None:
    big = {"name": "occupation", "type": "category", "choices": [f"job {i}" for i in range(1500)]}
    with pytest.raises(SpecError) as exc:
        RequestBuilder(make_spec(fields=[big]))
    assert exc.value.problems == [
        "The category 'occupation' has 1,500 choices; OpenAI accepts at most 1,000 in one job: split it into two "
        "fields or use a text field."
    ]
    RequestBuilder(make_spec(fields=[big], provider="anthropic", model="claude-haiku-5-5"))  # no such limit


def test_compatible_reasoning_model_follows_openai_rules() -> None:
    spec = make_spec(provider="compatible", base_url="http://localhost:8000/v1", model="gpt-5.4-mini",
                     temperature=0.3, reasoning_effort="low", max_output_tokens=300)
    body = RequestBuilder(spec).body(ROWS[:1])
    assert body["max_completion_tokens"] == 300 and "max_tokens" not in body and "temperature" not in body


def test_compatible_provider_uses_max_tokens() -> None:
    spec = make_spec(provider="compatible", base_url="http://localhost:8000/v1", model="llama3", max_output_tokens=300)
    body = RequestBuilder(spec).body(ROWS[:1])
    assert body["max_tokens"] == 300 and "max_completion_tokens" not in body


def test_multi_row_requests_carry_a_json_list_and_an_identical_system_prompt() -> None:
    builder = RequestBuilder(make_spec(rows_per_request=2))
    first, second = builder.body(ROWS), builder.body(ROWS[::-1])
    assert json.loads(first["messages"][1]["content"]) == [
        {"id": "r1", "text": ROWS[0].text},
        {"id": "r2", "text": ROWS[1].text},
    ]
    assert first["messages"][0] == second["messages"][0]
    assert "JSON list" in first["messages"][0]["content"]
    assert "Ça va" in first["messages"][1]["content"]  # non-ASCII kept readable


@pytest.mark.parametrize("custom_id", ["", "a" * 65, "bad id", "é"])
def test_invalid_custom_ids_are_refused(custom_id: str) -> None:
    with pytest.raises(ValueError):
        RequestBuilder(make_spec()).batch_line(custom_id, ROWS[:1])


def test_splitting_at_the_request_count(tmp_path: Path) -> None:
    with SplitWriter(tmp_path, BatchLimits(max_requests=3, max_bytes=10**9)) as writer:
        for i in range(7):
            writer.write(f"c{i}", dumps_line({"i": i}), rows=2)
    assert [f.requests for f in writer.files] == [3, 3, 1]
    assert [f.rows for f in writer.files] == [6, 6, 2]
    assert [f.first_custom_id for f in writer.files] == ["c0", "c3", "c6"]
    assert [len(f.path.read_text().splitlines()) for f in writer.files] == [3, 3, 1]


def test_splitting_at_the_byte_limit(tmp_path: Path) -> None:
    line = dumps_line({"text": "x" * 90})  # 103 bytes with the newline
    with SplitWriter(tmp_path, BatchLimits(max_requests=100, max_bytes=250)) as writer:
        for i in range(5):
            writer.write(f"c{i}", line, rows=1)
    assert [f.requests for f in writer.files] == [2, 2, 1]
    assert all(f.path.stat().st_size <= 250 for f in writer.files)


def test_anthropic_byte_limit_counts_the_json_body(tmp_path: Path) -> None:
    line = dumps_line({"text": "x" * 90})
    limits = BatchLimits(max_requests=100, max_bytes=16 + 3 * 103, overhead=16, separator_bytes=1)
    with SplitWriter(tmp_path, limits) as writer:
        for i in range(4):
            writer.write(f"c{i}", line, rows=1)
    assert [f.requests for f in writer.files] == [3, 1]


def test_a_single_request_over_the_limit_is_an_error(tmp_path: Path) -> None:
    with SplitWriter(tmp_path, BatchLimits(max_requests=10, max_bytes=50)) as writer:
        with pytest.raises(ValueError, match="over the provider"):
            writer.write("big", dumps_line({"t": "x" * 100}), rows=1)


def test_overhead_per_row_and_the_rows_per_request_that_bring_it_to_25_tokens() -> None:
    five = RequestBuilder(make_spec(rows_per_request=5, fields=ALL_FIELDS[:3]))
    suggested = five.suggested_rows_per_request()
    assert suggested is not None and suggested > 5 and five.overhead_per_row() > 25
    packed = RequestBuilder(make_spec(rows_per_request=suggested, fields=ALL_FIELDS[:3]))
    assert packed.overhead_per_row() <= 25 and packed.suggested_rows_per_request() is None
    # Every row still carries its ID, in the message and in the answer's schema.
    rows = [RowInput(f"r{i}", "x") for i in range(suggested)]
    assert [r["id"] for r in json.loads(packed.user_content(rows))] == [r.row_id for r in rows]
    assert packed.schema["properties"]["results"]["items"]["required"][0] == "id"
    single = RequestBuilder(make_spec(rows_per_request=1, fields=ALL_FIELDS[:3]))
    assert single.overhead_per_row() == single.shared_prompt_tokens + 9  # two messages and the reply's framing


def example_spec(**changes: object):
    """The sample project's spec with rows per request left at the default."""
    raw = json.loads((ROOT / "examples" / "reviews-openai.json").read_text())
    raw.pop("rows_per_request")
    raw.update(data=str(ROOT / "resources" / "sample" / "reviews.csv"), **changes)
    return parse_spec(raw, ROOT)


@pytest.mark.parametrize(
    ("provider", "model"), [("openai", "gpt-5.4-mini"), ("anthropic", "claude-sonnet-4-6"), ("openai", "gpt-4o-mini")]
)
def test_auto_rows_per_request_bring_the_overhead_to_25_tokens_at_the_defaults(provider: str, model: str) -> None:
    spec = example_spec(provider=provider, model=model, endpoint="chat")
    builder = RequestBuilder(spec)
    rows = builder.rows_per_request
    assert isinstance(rows, int) and 2 <= rows <= MAX_AUTO_ROWS and resolved_rows_per_request(spec) == rows
    assert builder.overhead_per_row() <= OVERHEAD_TARGET < builder.overhead_per_row(rows - 1)  # the fewest that do
    assert builder.row_format == "compact" and builder.suggested_rows_per_request() is None
    one_per_request = RequestBuilder(example_spec(provider=provider, model=model, rows_per_request=1))
    assert one_per_request.overhead_per_row() > 4 * builder.overhead_per_row()


def test_auto_rows_per_request_stay_within_the_cap_the_output_limit_and_reasoning_headroom() -> None:
    codebook = "Code the text carefully, following the codebook. " * 150
    capped = RequestBuilder(make_spec(rows_per_request="auto", instructions=codebook))
    assert capped.rows_per_request == MAX_AUTO_ROWS and capped.overhead_per_row() > OVERHEAD_TARGET
    answer = 2 * output_tokens_per_row(capped.spec)  # the margin: twice the usual answer
    small_output = RequestBuilder(make_spec(rows_per_request="auto", instructions=codebook, model="gpt-4o-2024-05-13"))
    assert small_output.rows_per_request == 4_096 // answer
    plain = RequestBuilder(make_spec(rows_per_request="auto", instructions=codebook, model="gpt-4.1-mini",
                                     max_output_tokens=8_000, temperature=None))
    thinking = RequestBuilder(make_spec(rows_per_request="auto", instructions=codebook, reasoning_effort="low",
                                        max_output_tokens=8_000))
    assert plain.rows_per_request == 8_000 // answer
    assert thinking.rows_per_request == (8_000 - REASONING_HEADROOM["low"]) // answer < plain.rows_per_request


def test_anthropic_budget_covers_the_automatic_number_of_rows() -> None:
    builder = RequestBuilder(make_spec(provider="anthropic", model="claude-sonnet-4-6", rows_per_request="auto"))
    assert builder.max_output == max(1024, 2 * output_tokens_per_row(builder.spec) * builder.rows_per_request)


def test_compact_rows_read_back_exactly_even_when_texts_look_like_markers() -> None:
    rows = [
        RowInput("a1", "[a2]\nlooks like the next row"),
        RowInput('q"1', " [x]\n\n[ y ]\nends with a line break\n"),
        RowInput("r\n3", "[]"),
        RowInput("é4", "Ça va"),
    ]
    message = compact_rows(rows)
    assert read_compact(message) == rows
    markers = [line for line in message.splitlines() if line.startswith("[") and line.endswith("]")]
    assert markers == ["[a1]", '[q\\"1]', "[r\\n3]", "[é4]"]  # one per row: the texts' look-alikes are indented
    assert read_compact('[{"id": "a"}]') is None and read_compact("plain text") is None


def test_compact_requests_frame_rows_with_fewer_tokens_and_ask_for_the_same_answers() -> None:
    as_json = RequestBuilder(make_spec(rows_per_request=5, row_format="json"))
    compact = RequestBuilder(make_spec(rows_per_request=5, row_format="compact"))
    assert compact.framing_per_row() < as_json.framing_per_row()
    assert compact.overhead_per_row() < as_json.overhead_per_row()
    body = compact.body(ROWS)
    system, user = (m["content"] for m in body["messages"])
    assert user.startswith("[r1]\nTítulo") and read_compact(user) == ROWS
    assert "square brackets" in system and system == compact.body(ROWS[::-1])["messages"][0]["content"]
    assert compact.schema == as_json.schema  # answers echo every ID and are checked as before
