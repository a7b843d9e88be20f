"""Batch prices from genai-prices, honest gaps for unknown models, model limits and default lists."""

from __future__ import annotations

import pytest
from genai_prices import Usage, calc_price

from app.core.build.pricing import (
    ModelLimits,
    Price,
    actual_cost,
    batch_price,
    default_models,
    describe_missing_price,
    estimate_cost,
    job_cost,
    model_limits,
    usage_cost,
)

MTOK = 1_000_000


def list_price(provider: str, model: str, **usage: int) -> float:
    return float(calc_price(Usage(**usage), model, provider_id=provider).total_price)


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("openai", "gpt-4o-mini"),
        ("openai", "gpt-4.1-mini"),
        ("openai", "gpt-5.4-mini"),
        ("openai", "gpt-4"),
        ("anthropic", "claude-haiku-4-5"),
        ("anthropic", "claude-sonnet-4-6"),
        ("anthropic", "claude-opus-4-6"),
    ],
)
def test_known_models_cost_half_the_list_price(provider: str, model: str) -> None:
    price = batch_price(provider, model)
    assert price is not None and price.currency == "USD" and "genai-prices" in price.source
    assert price.input_per_mtok == pytest.approx(list_price(provider, model, input_tokens=MTOK) * 0.5)
    assert price.output_per_mtok == pytest.approx(list_price(provider, model, output_tokens=MTOK) * 0.5)


def test_batch_prices_match_the_reference_table() -> None:
    # batch-apis.md B.9: Opus 4.6 $2.50/$12.50, Sonnet 4.6 $1.50/$7.50, Haiku 4.5 $0.50/$2.50 per MTok.
    for model, expected in {
        "claude-opus-4-6": (2.5, 12.5),
        "claude-sonnet-4-6": (1.5, 7.5),
        "claude-haiku-4-5": (0.5, 2.5),
    }.items():
        price = batch_price("anthropic", model)
        assert price is not None and (price.input_per_mtok, price.output_per_mtok) == expected


def test_genai_prices_own_batch_table_is_preferred() -> None:
    price = batch_price("openai", "gpt-4o-mini")
    batch = calc_price(
        Usage(input_tokens=MTOK), "gpt-4o-mini", provider_id="openai", price_context={"processing": "batch"}
    )
    assert price is not None and price.input_per_mtok == float(batch.total_price)
    assert price.source.endswith("(batch price list)")
    # genai-prices notes OpenAI's batch table lists this model at its standard rates: no halving.
    legacy = batch_price("openai", "gpt-3.5-turbo-1106")
    assert legacy is not None and (legacy.input_per_mtok, legacy.output_per_mtok) == (1.0, 2.0)


def test_models_without_a_batch_entry_get_half_the_list_price() -> None:
    price = batch_price("openai", "gpt-5.3-chat-latest")
    assert price is not None and "list price × 50% batch discount" in price.source
    assert price.input_per_mtok == pytest.approx(list_price("openai", "gpt-5.3-chat-latest", input_tokens=MTOK) / 2)
    assert price.cached_input_per_mtok == pytest.approx(
        list_price("openai", "gpt-5.3-chat-latest", input_tokens=MTOK, cache_read_tokens=MTOK) / 2
    )


def test_long_prompt_surcharge_is_mentioned() -> None:
    price = batch_price("openai", "gpt-5.4")
    assert price is not None and "prompts over 272,000 tokens cost more" in price.source
    assert price.input_per_mtok == 1.25  # the base tier


@pytest.mark.parametrize(
    ("provider", "snapshot", "alias"),
    [
        ("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai", "gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
        ("openai", "gpt-5-2025-08-07", "gpt-5"),
        ("anthropic", "claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        ("anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ],
)
def test_snapshot_ids_price_like_their_alias(provider: str, snapshot: str, alias: str) -> None:
    assert batch_price(provider, snapshot) == batch_price(provider, alias) is not None


def test_the_older_gpt_4o_snapshot_keeps_its_own_price() -> None:
    old, current = batch_price("openai", "gpt-4o-2024-05-13"), batch_price("openai", "gpt-4o")
    assert old is not None and current is not None and old.input_per_mtok > current.input_per_mtok


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("openai", "gpt-9-ultra"),
        ("anthropic", "claude-mythos-5-1"),
        ("openai", "claude-haiku-4-5"),
        ("compatible", "gpt-4o"),
    ],
)
def test_unknown_models_have_no_price(provider: str, model: str) -> None:
    assert batch_price(provider, model) is None
    assert estimate_cost(provider, model, 1000, 100) is None
    assert actual_cost(provider, model, 1000, 0, 100) is None
    assert f'"{model}"' in describe_missing_price(provider, model)


def test_missing_price_message() -> None:
    assert describe_missing_price("openai", "gpt-9-ultra") == (
        'No published price is known for "gpt-9-ultra"; the cost cannot be estimated.'
    )
    assert "OpenAI-compatible servers" in describe_missing_price("compatible", "llama3")


def test_demo_is_free_and_says_it_is_simulated() -> None:
    price = batch_price("demo", "demo-model")
    assert price == Price(0.0, 0.0, 0.0, price.source) and "simulated" in price.source
    assert estimate_cost("demo", "demo-model", 10_000, 5_000) == 0.0


def test_cost_arithmetic_with_cached_input() -> None:
    # Haiku 4.5 batch: input $0.50, cached input $0.05, output $2.50 per MTok.
    assert estimate_cost("anthropic", "claude-haiku-4-5", 1_000_000, 200_000, cached_input_tokens=400_000) == (
        pytest.approx(0.6 * 0.5 + 0.4 * 0.05 + 0.2 * 2.5)
    )
    assert actual_cost("anthropic", "claude-haiku-4-5", 1_000_000, 400_000, 200_000) == pytest.approx(0.82)
    # No cached price: cached tokens cost as much as other input.
    assert estimate_cost("openai", "gpt-3.5-turbo-1106", MTOK, 0, cached_input_tokens=MTOK // 2) == pytest.approx(1.0)


def test_model_limits() -> None:
    assert model_limits("openai", "gpt-4o-mini-2024-07-18") == ModelLimits(128_000, 16_384)
    assert model_limits("anthropic", "claude-haiku-4-5-20251001") == ModelLimits(200_000, 64_000)
    assert model_limits("openai", "gpt-5.4") == ModelLimits(1_050_000, 128_000)  # context from genai-prices
    assert model_limits("compatible", "gpt-4.1-mini") == ModelLimits(1_047_576, 32_768)  # the registry alone
    assert model_limits("openai", "gpt-9-ultra") == ModelLimits(None, None)
    assert model_limits("demo", "demo-model") == ModelLimits(None, None)


def test_default_models_are_priced_and_start_with_a_cheap_one() -> None:
    assert default_models("openai")[0] == "gpt-5.4-mini"
    assert default_models("anthropic")[0] == "claude-haiku-4-5"
    assert default_models("demo") == ["demo-model"]
    assert default_models("compatible") == []
    for provider in ("openai", "anthropic"):
        models = default_models(provider)
        assert len(set(models)) == len(models)
        assert all(batch_price(provider, m) is not None for m in models)
    default_models("openai").clear()
    assert default_models("openai")  # callers get a copy


def test_anthropic_usage_is_priced_as_billed() -> None:
    # Sonnet 5.5 batch (genai-prices): input $1, 5-min write $1.25, 1-hour write $2, read $0.05, output $5.
    usage = {
        "input_tokens": 300,
        "cache_creation_input_tokens": 2000,
        "cache_read_input_tokens": 5000,
        "cache_creation": {"ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 1500},
        "output_tokens": 400,
    }
    by_hand = (300 * 1 + 500 * 1.25 + 1500 * 2 + 5000 * 0.05 + 400 * 5) / MTOK
    assert usage_cost("claude-sonnet-5-5", usage, "anthropic") == pytest.approx(by_hand)
    # Without the split, writes are 5-minute writes; Claude's missing cache prices follow 1.25×/2×/0.1×.
    plain = {"input_tokens": 10, "cache_creation_input_tokens": 1000, "output_tokens": 0}
    assert usage_cost("claude-haiku-4-5", plain, "anthropic") == pytest.approx((10 * 0.5 + 1000 * 0.625) / MTOK)


def test_long_prompt_tier_applies_per_request() -> None:
    # Haiku 5.5 batch: $0.05/$0.25 up to 100,000 prompt tokens, $0.25/$1.25 above.
    short = usage_cost("claude-haiku-5-5", {"input_tokens": 100_000, "output_tokens": 1000}, "anthropic")
    long = usage_cost("claude-haiku-5-5", {"input_tokens": 100_001, "output_tokens": 1000}, "anthropic")
    assert short == pytest.approx((100_000 * 0.05 + 1000 * 0.25) / MTOK)
    assert long == pytest.approx((100_001 * 0.25 + 1000 * 1.25) / MTOK)


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": 1000, "prompt_tokens_details": {"cached_tokens": 400}, "completion_tokens": 300,
         "completion_tokens_details": {"reasoning_tokens": 200}},
        {"input_tokens": 1000, "input_tokens_details": {"cached_tokens": 400}, "output_tokens": 300,
         "output_tokens_details": {"reasoning_tokens": 200}},
    ],
)
def test_openai_usage_counts_cached_input_and_reasoning(usage: dict) -> None:
    price = batch_price("openai", "gpt-5.4-mini")
    assert price is not None and price.cached_input_per_mtok is not None
    by_hand = (600 * price.input_per_mtok + 400 * price.cached_input_per_mtok + 300 * price.output_per_mtok) / MTOK
    assert usage_cost("gpt-5.4-mini", usage, "openai") == pytest.approx(by_hand)


def test_job_cost_splits_cache_writes_reads_and_reasoning() -> None:
    cost = job_cost("anthropic", "claude-sonnet-5-5", requests=10, batches=2, input_tokens=30_000,
                    shared_tokens=1000, output_tokens=500, reasoning_tokens=2000, cache_ttl="1h")
    assert cost is not None and cost["cache_write_tokens"] == 2000 and cost["cache_read_tokens"] == 8000
    assert cost["cache_writes"] == pytest.approx(2000 * 2 / MTOK, abs=1e-4)
    assert cost["total"] == pytest.approx((20_000 * 1 + 2000 * 2 + 8000 * 0.05 + 2500 * 5) / MTOK, abs=1e-4)
    assert cost["input"] + cost["output"] == pytest.approx(cost["total"], abs=2e-4)
