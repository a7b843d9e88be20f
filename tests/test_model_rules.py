"""The model registry, end to end: every default model's requests fit the SDKs and code every row.

Jobs run through the lifecycle engine against the simulated service, which rejects what the real
APIs reject for each model (forced tool choice, disabled thinking, sampling parameters, oversized
schemas), so a request-building regression fails here rather than at the provider.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming
from openai.types.responses.response_create_params import ResponseCreateParamsNonStreaming

from app.core.build.models import FORCED_TOOL, JSON_OUTPUTS, STRICT_SCHEMA, can_code, rules_for
from app.core.build.pricing import batch_price, default_models, usage_cost
from app.core.build.requests import RequestBuilder, RowInput
from app.core.results.answers import from_anthropic_message
from app.core.run.engine import Engine, manifest_of
from app.core.simulator import SimulatedService
from app.core.spec import JobSpec, parse_spec
from tests.sdk_types import problems
from tests.test_lifecycle import KEY, engine, sim  # noqa: F401 - fixtures

MTOK = 1_000_000
FIELDS = [
    {"name": "tone", "type": "category", "choices": ["positive", "neutral", "negative"]},
    {"name": "score", "type": "number", "minimum": 0, "maximum": 1},
    {"name": "quote", "type": "text"},
]
CASES = [("openai", m, e) for m in default_models("openai") for e in ("chat", "responses")] + [
    ("anthropic", m, "chat") for m in default_models("anthropic")
]
SDK_TYPES = {
    ("openai", "chat"): CompletionCreateParamsNonStreaming,
    ("openai", "responses"): ResponseCreateParamsNonStreaming,
    ("anthropic", "chat"): MessageCreateParamsNonStreaming,
}



def make_spec(tmp_path: Path, provider: str, model: str, endpoint: str = "chat", rows: int = 4,
              **changes: Any) -> JobSpec:
    data = tmp_path / "texts.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["doc", "text"])
        writer.writerows([f"d{i}", f"Review {i}: friendly staff, but the room was noisy."] for i in range(1, rows + 1))
    raw: dict[str, Any] = {
        "name": f"{model} job", "data": str(data), "id_column": "doc", "instructions": "Code the review.",
        "input_template": "{text}", "fields": FIELDS, "provider": provider, "model": model, "rows_per_request": 2,
    }
    if provider == "openai":
        raw["endpoint"] = endpoint
    return parse_spec(raw | changes, tmp_path)


def test_every_default_model_has_its_own_rules() -> None:
    for provider, model, _ in CASES:
        rules = rules_for(provider, model)
        assert not rules.unknown_note, model
        assert rules.max_output and batch_price(provider, model) is not None
    assert {rules_for("anthropic", m).structured for m in default_models("anthropic")} == {JSON_OUTPUTS}
    assert {rules_for("openai", m).structured for m in default_models("openai")} == {STRICT_SCHEMA}
    assert rules_for("anthropic", "claude-3-5-sonnet-20241022").structured == FORCED_TOOL
    assert rules_for("anthropic", "claude-sonnet-5-5").tokenizer_factor == 1.3
    assert rules_for("anthropic", "claude-haiku-4-5").tokenizer_factor == 1.0


def test_unknown_models_get_conservative_rules() -> None:
    claude = rules_for("anthropic", "claude-nova-7")
    assert claude.unknown_note and not claude.forced_tool and not claude.sampling and claude.structured == JSON_OUTPUTS
    gpt = rules_for("openai", "gpt-99")
    assert gpt.unknown_note and not gpt.accepts_temperature(0.0, None) and not gpt.efforts
    azure = rules_for("compatible", "my-deployment/gpt-5.4-mini")
    assert azure.budget_key == "max_completion_tokens" and not azure.accepts_temperature(0.2, "low")
    assert rules_for("compatible", "llama3").budget_key == "max_tokens"


def test_refreshed_lists_keep_only_models_that_can_code() -> None:
    listed = ["gpt-5.4-mini", "text-embedding-3-small", "whisper-1", "omni-moderation-latest", "gpt-image-1",
              "tts-1", "gpt-4o-realtime-preview", "claude-sonnet-5-5"]
    assert [m for m in listed if can_code(m)] == ["gpt-5.4-mini", "claude-sonnet-5-5"]


@pytest.mark.parametrize(("provider", "model", "endpoint"), CASES)
def test_request_bodies_fit_the_sdk_types(tmp_path: Path, provider: str, model: str, endpoint: str) -> None:
    builder = RequestBuilder(make_spec(tmp_path, provider, model, endpoint, temperature=0.0))
    body = builder.body([RowInput("r1", "Quiet and clean."), RowInput("r2", "Dirty towels.")])
    assert problems(body, SDK_TYPES[provider, endpoint]) == []
    if provider == "anthropic":
        assert "tool_choice" not in body and body["output_config"]["format"]["type"] == "json_schema"


@pytest.mark.parametrize(("provider", "model", "endpoint"), CASES)
def test_every_default_model_codes_every_row(
    sim: SimulatedService, engine: Engine, tmp_path: Path, provider: str, model: str, endpoint: str
) -> None:
    job_id = engine.create_job(make_spec(tmp_path, provider, model, endpoint))
    job = engine.run(job_id)
    assert job.state == "done" and job.status_counts.get("coded") == 4, job.status_counts
    assert all(0 <= r.values["score"] <= 1 for r in engine.rows(job_id))


@pytest.mark.parametrize(("provider", "model", "changes"), [
    ("anthropic", "claude-sonnet-5-5", {}),
    ("anthropic", "claude-opus-5-5", {}),
    ("openai", "gpt-5.4-mini", {"reasoning_effort": "low"}),
])
def test_temperature_zero_is_dropped_with_a_reason_and_every_row_is_coded(
    sim: SimulatedService, engine: Engine, tmp_path: Path, provider: str, model: str, changes: dict[str, Any]
) -> None:
    spec = make_spec(tmp_path, provider, model, temperature=0.0, **changes)
    job_id = engine.create_job(spec)
    notes = manifest_of(engine.job(job_id).folder)["notes"]
    assert any(n.startswith(f"Temperature 0 is left out: {model}") for n in notes), notes
    job = engine.run(job_id)
    assert job.state == "done" and job.status_counts.get("coded") == 4


def test_the_simulated_service_rejects_what_the_model_rejects(sim: SimulatedService) -> None:
    claude = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key=KEY, max_retries=0)
    base = {"model": "claude-sonnet-5-5", "max_tokens": 200, "messages": [{"role": "user", "content": "hi"}]}
    tool = {"tools": [{"name": "t", "input_schema": {"type": "object", "properties": {}}}],
            "tool_choice": {"type": "tool", "name": "t"}}
    for extra, match in [(tool, "forced tool use"), ({"thinking": {"type": "disabled"}}, "thinking.type")]:
        with pytest.raises(anthropic.BadRequestError, match=match):
            claude.messages.create(**base, **extra)
    bounded = {"format": {"type": "json_schema", "schema": {"type": "number", "minimum": 0}}}
    with pytest.raises(anthropic.BadRequestError, match="minimum"):
        claude.messages.create(**base, output_config=bounded)
    gpt = openai.OpenAI(base_url=sim.openai_base_url, api_key=KEY, max_retries=0)
    chat = {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(openai.BadRequestError, match="'temperature' does not support 0"):
        gpt.chat.completions.create(**chat, temperature=0)
    with pytest.raises(openai.BadRequestError, match="'none' is not supported with the 'gpt-5' model"):
        gpt.chat.completions.create(**chat, reasoning_effort="none")
    huge = {"type": "object", "properties": {"job": {"type": "string", "enum": [f"j{i}" for i in range(1500)]}},
            "required": ["job"], "additionalProperties": False}
    with pytest.raises(openai.BadRequestError, match="1500 enum values exceeds limit of 1000"):
        gpt.chat.completions.create(model="gpt-4.1", messages=chat["messages"], response_format={
            "type": "json_schema", "json_schema": {"name": "record_coding", "strict": True, "schema": huge}})


def test_thinking_comes_before_the_answer_and_the_answer_is_read_from_the_text(sim: SimulatedService) -> None:
    claude = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key=KEY, max_retries=0)
    schema = {"type": "object", "properties": {"tone": {"type": "string", "enum": ["good", "bad"]}},
              "required": ["tone"], "additionalProperties": False}
    message = claude.messages.create(
        model="claude-opus-5-5", max_tokens=3000, messages=[{"role": "user", "content": "Lovely."}],
        output_config={"effort": "low", "format": {"type": "json_schema", "schema": schema}},
    )
    assert [b.type for b in message.content] == ["thinking", "text"]
    answer = from_anthropic_message(message.model_dump())
    assert answer.status == "ok" and answer.data["tone"] in ("good", "bad")
    assert answer.usage.output_tokens > 250  # the thinking is billed as output


def test_anthropic_cache_costs_match_a_hand_calculation(sim: SimulatedService, engine: Engine, tmp_path: Path) -> None:
    instructions = "Code the review for tone, a score and a supporting quote. " * 60
    spec = make_spec(tmp_path, "anthropic", "claude-sonnet-5-5", rows=6, instructions=instructions)
    builder = RequestBuilder(spec)
    assert builder.cache_ttl == "1h"
    job_id = engine.create_job(spec)
    job = engine.run(job_id)
    assert job.state == "done" and job.status_counts.get("coded") == 6
    # Sonnet 5.5 at batch prices (genai-prices; Anthropic pricing page): input $1, 1-hour cache write $2,
    # cache read $0.05, output $5 per million tokens.
    usages = [m["usage"] for m in _anthropic_messages(sim)]
    written = sum(u["cache_creation"]["ephemeral_1h_input_tokens"] for u in usages)
    read = sum(u["cache_read_input_tokens"] for u in usages)
    assert written > 0 and read > 0 and sum(u["cache_creation"]["ephemeral_5m_input_tokens"] for u in usages) == 0
    by_hand = sum(u["input_tokens"] * 1 + u["cache_creation_input_tokens"] * 2 + u["cache_read_input_tokens"] * 0.05
                  + u["output_tokens"] * 5 for u in usages) / MTOK
    assert sum(usage_cost("claude-sonnet-5-5", u, "anthropic") for u in usages) == pytest.approx(by_hand)
    assert job.actual_cost == pytest.approx(by_hand)
    # The estimate bills the same way from its own token counts: one 1-hour cache write per batch,
    # reads for the other requests, the rest as input; the answers and thinking as output.
    manifest = manifest_of(job.folder)
    tokens, cost = manifest["tokens"], manifest["cost"]
    shared, requests = builder.shared_prompt_tokens, manifest["requests"]
    assert (cost["cache_write_tokens"], cost["cache_read_tokens"]) == (shared, (requests - 1) * shared)
    estimate_by_hand = ((tokens["input_total"] - requests * shared) * 1 + shared * 2 + (requests - 1) * shared * 0.05
                        + (tokens["output_estimate_total"] + tokens["reasoning_estimate_total"]) * 5) / MTOK
    assert cost["total"] == pytest.approx(estimate_by_hand, abs=1e-4)


def _anthropic_messages(sim: SimulatedService) -> list[dict[str, Any]]:
    """Every answered message of every Anthropic batch the service ran."""
    claude = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key=KEY, max_retries=0)
    return [
        result.result.message.model_dump()
        for batch in claude.messages.batches.list()
        for result in claude.messages.batches.results(batch.id)
        if result.result.type == "succeeded"
    ]


def test_json_outputs_move_unsupported_keywords_into_descriptions() -> None:
    from app.core.build.models import ANTHROPIC_JSON_LIMITS
    from app.core.build.schema import portable_schema

    schema = {"type": "object", "properties": {
        "minimum": {"type": "number", "minimum": 3, "description": "a score"},
        "tags": {"type": "array", "minItems": 2, "items": {"type": "string"}},
        "one": {"type": "array", "minItems": 1, "items": {"type": "string", "maxLength": 20}},
    }}
    out = portable_schema(schema, ANTHROPIC_JSON_LIMITS)
    props = out["properties"]
    assert props["minimum"] == {"type": "number", "description": "a score (must be at least 3)"}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "description": "Must be at least 2 items long"}
    assert props["one"]["minItems"] == 1 and props["one"]["items"] == {"type": "string",
                                                                     "description": "Must be at most 20 characters"}
