"""Batch prices, model limits and default model lists, all offline.

Prices come from genai-prices, the maintained price database bundled with BatchLab. Where it
lists a model's batch price (Anthropic and most current OpenAI models) that price is used as is;
otherwise the list price is halved, as both providers document for batches. A model it does not
know gets no price at all: a guessed cost would be worse than an honest "unknown".
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import genai_prices
from genai_prices import data_snapshot
from genai_prices.types import ModelInfo, ModelPrice, TieredPrices

from app.core.build.models import rules_for

BATCH_DISCOUNT = 0.5
_BATCH = {"processing": "batch"}  # genai-prices' price variant for batch processing
PRICED_PROVIDERS = ("openai", "anthropic")


@dataclass(frozen=True)
class Rates:
    """Batch prices per million tokens for one prompt-length tier."""

    input: float
    output: float
    cache_read: float
    cache_write_5m: float
    cache_write_1h: float


@dataclass(frozen=True)
class Price:
    """Batch price per million tokens; ``cached_input_per_mtok`` None means cached input costs as much as input.

    Cache writes are Anthropic's: 1.25× input for the 5-minute cache and 2× for the 1-hour cache
    unless genai-prices lists them; ``tiers`` are the long-prompt prices as (prompt tokens above
    which they apply, rates).
    """

    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None
    source: str
    currency: str = "USD"
    cache_write_5m_per_mtok: float | None = None
    cache_write_1h_per_mtok: float | None = None
    tiers: tuple[tuple[int, Rates], ...] = ()

    def rates(self, prompt_tokens: int = 0) -> Rates:
        """The rates for a request with this many input tokens (cached or not)."""
        for start, rates in reversed(self.tiers):
            if prompt_tokens > start:
                return rates
        return Rates(
            self.input_per_mtok,
            self.output_per_mtok,
            self.input_per_mtok if self.cached_input_per_mtok is None else self.cached_input_per_mtok,
            self.cache_write_5m_per_mtok if self.cache_write_5m_per_mtok is not None else self.input_per_mtok,
            self.cache_write_1h_per_mtok if self.cache_write_1h_per_mtok is not None else self.input_per_mtok,
        )


@dataclass(frozen=True)
class ModelLimits:
    """Largest input+output a request may have, and largest output; None where unknown."""

    context_window: int | None
    max_output_tokens: int | None


DEMO_PRICE = Price(0.0, 0.0, 0.0, "simulated (the demo service charges nothing)")
#: Anthropic prompt caching: writes cost 1.25× input (5-minute cache) or 2× (1-hour), reads 0.1×
#: (Anthropic prompt-caching page, as summarised by appam's caching.rs on docs.rs and portkey's
#: "Prompt caching" page). Used only where genai-prices lists no cache price for a Claude model.
CACHE_WRITE_5M, CACHE_WRITE_1H, CACHE_READ = 1.25, 2.0, 0.1


def _find_model(provider: str, model: str) -> ModelInfo | None:
    """genai-prices' entry for the model, matching its snapshot ids (gpt-4o-mini-2024-07-18, …)."""
    if provider not in PRICED_PROVIDERS:
        return None
    try:
        _, info = data_snapshot.get_snapshot().find_provider_model(model, None, provider, None)
    except LookupError:
        return None
    return info


def _base(value: Decimal | TieredPrices | None) -> float | None:
    """The price of the first tier (requests below the long-prompt threshold)."""
    if isinstance(value, TieredPrices):
        return float(value.base)
    return None if value is None else float(value)


def _at(value: Decimal | TieredPrices | None, start: int) -> float | None:
    """The price that applies above ``start`` prompt tokens."""
    if isinstance(value, TieredPrices):
        return float(next((t.price for t in reversed(value.tiers) if t.start <= start), value.base))
    return None if value is None else float(value)


def _has_batch_price(info: ModelInfo, now: dt.datetime) -> bool:
    return any(
        v.when == _BATCH and (v.constraint is None or v.constraint.active(now)) for v in info.price_variants or ()
    )


def _rates(prices: ModelPrice, at: Callable[[Any], float | None], factor: float, claude: bool) -> Rates | None:
    inp, out = at(prices.input_mtok), at(prices.output_mtok)
    if inp is None or out is None:
        return None
    read, write_5m, write_1h = at(prices.cache_read_mtok), at(prices.cache_write_mtok), at(prices.cache_write_1h_mtok)
    if claude:
        read = inp * CACHE_READ if read is None else read
        write_5m = inp * CACHE_WRITE_5M if write_5m is None else write_5m
        write_1h = inp * CACHE_WRITE_1H if write_1h is None else write_1h
    return Rates(
        inp * factor,
        out * factor,
        (inp if read is None else read) * factor,
        (inp if write_5m is None else write_5m) * factor,
        (inp if write_1h is None else write_1h) * factor,
    )


@functools.lru_cache(maxsize=256)
def batch_price(provider: str, model: str) -> Price | None:
    """The batch price of ``model``, or None when no price is published for it (never a guess)."""
    if provider == "demo":
        return DEMO_PRICE
    info = _find_model(provider, model)
    if info is None:
        return None
    now = dt.datetime.now(dt.timezone.utc)
    label = f"genai-prices {genai_prices.__version__}"
    if _has_batch_price(info, now):
        prices, factor, how = info.get_prices(now, _BATCH), 1.0, "batch price list"
    else:
        prices, factor, how = info.get_prices(now), BATCH_DISCOUNT, "list price × 50% batch discount"
    claude = provider == "anthropic"
    base = _rates(prices, _base, factor, claude)
    if base is None:
        return None  # priced per image, second or character: not a token price
    raw = (prices.input_mtok, prices.output_mtok, prices.cache_read_mtok)
    starts = sorted({t.start for v in raw if isinstance(v, TieredPrices) for t in v.tiers})
    tiers = tuple((start, _rates(prices, functools.partial(_at, start=start), factor, claude)) for start in starts)
    if starts:
        how += f"; prompts over {starts[0]:,} tokens cost more"
    return Price(
        input_per_mtok=base.input,
        output_per_mtok=base.output,
        cached_input_per_mtok=base.cache_read if prices.cache_read_mtok is not None or claude else None,
        source=f"{label} ({how})",
        cache_write_5m_per_mtok=base.cache_write_5m,
        cache_write_1h_per_mtok=base.cache_write_1h,
        tiers=tuple((start, rates) for start, rates in tiers if rates is not None),
    )


def estimate_cost(
    provider: str, model: str, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0
) -> float | None:
    """Cost in the price's currency; ``input_tokens`` includes ``cached_input_tokens``. None: price unknown.

    Linear in the tokens, so totals over many requests are fine; the long-prompt tier some models
    have is per request, see :func:`usage_cost` and :func:`job_cost`.
    """
    price = batch_price(provider, model)
    if price is None:
        return None
    rates = price.rates()
    cached = min(cached_input_tokens, input_tokens)
    return ((input_tokens - cached) * rates.input + cached * rates.cache_read + output_tokens * rates.output) / 1e6


def actual_cost(
    provider: str, model: str, input_tokens: int, cached_input_tokens: int, output_tokens: int
) -> float | None:
    """Cost of usage a provider reported (same arithmetic as the estimate, argument order as in results)."""
    return estimate_cost(provider, model, input_tokens, output_tokens, cached_input_tokens)


def usage_cost(model: str, usage: dict[str, Any], provider: str) -> float | None:
    """What one request cost, from every usage field the provider returned; None: price unknown.

    Anthropic (Messages usage): ``input_tokens`` is the uncached part; ``cache_creation_input_tokens``
    are written at the 5-minute or, per ``cache_creation.ephemeral_1h_input_tokens``, the 1-hour rate;
    ``cache_read_input_tokens`` at the read rate; ``output_tokens`` includes thinking. OpenAI (Chat:
    ``prompt_tokens``/``completion_tokens``; Responses: ``input_tokens``/``output_tokens``): input
    includes the cached tokens, output includes reasoning. The long-prompt tier is chosen from this
    request's total input, as the providers bill it.
    """
    price = batch_price(provider, model)
    if price is None:
        return None
    if provider == "anthropic":
        read = usage.get("cache_read_input_tokens") or 0
        written = usage.get("cache_creation_input_tokens") or 0
        split = usage.get("cache_creation") or {}
        hour = min(split.get("ephemeral_1h_input_tokens") or 0, written)
        uncached = usage.get("input_tokens") or 0
        rates = price.rates(uncached + read + written)
        dollars = (uncached * rates.input + read * rates.cache_read + (written - hour) * rates.cache_write_5m
                   + hour * rates.cache_write_1h + (usage.get("output_tokens") or 0) * rates.output)
        return dollars / 1e6
    total_in = usage.get("prompt_tokens", usage.get("input_tokens")) or 0
    details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    cached = min(details.get("cached_tokens") or 0, total_in)
    output = usage.get("completion_tokens", usage.get("output_tokens")) or 0
    rates = price.rates(total_in)
    return ((total_in - cached) * rates.input + cached * rates.cache_read + output * rates.output) / 1e6


def job_cost(
    provider: str,
    model: str,
    *,
    requests: int,
    batches: int,
    input_tokens: int,
    shared_tokens: int,
    output_tokens: int,
    reasoning_tokens: int,
    cache_ttl: str | None,
) -> dict[str, Any] | None:
    """The estimate's cost breakdown, billed as :func:`usage_cost` bills each request; None: price unknown.

    ``input`` includes cache writes and reads, ``output`` includes the hidden reasoning; the parts
    are given separately too.

    Anthropic with a cacheable shared prefix: the first request of each batch writes it to the cache
    and the others read it (Anthropic bills batches' cache use like any other request; hits are best
    effort, so this is the cheapest case). The tier is chosen from the average request.
    """
    price = batch_price(provider, model)
    if price is None:
        return None
    rates = price.rates(input_tokens // max(requests, 1))
    written = read = 0
    if provider == "anthropic" and cache_ttl is not None and shared_tokens:
        written = shared_tokens * min(batches, requests)
        read = shared_tokens * max(requests - batches, 0)
    write_rate = rates.cache_write_1h if cache_ttl == "1h" else rates.cache_write_5m
    parts = {
        "uncached_input": (input_tokens - written - read) * rates.input / 1e6,
        "cache_writes": written * write_rate / 1e6,
        "cache_reads": read * rates.cache_read / 1e6,
        "answers": output_tokens * rates.output / 1e6,
        "reasoning": reasoning_tokens * rates.output / 1e6,
    }
    return {
        "input": round(parts["uncached_input"] + parts["cache_writes"] + parts["cache_reads"], 4),
        "output": round(parts["answers"] + parts["reasoning"], 4),
        **{k: round(v, 4) for k, v in parts.items()},
        "total": round(sum(parts.values()), 4),
        "currency": price.currency,
        "source": price.source,
        "cache_write_tokens": written,
        "cache_read_tokens": read,
    }


def describe_missing_price(provider: str, model: str) -> str:
    """Why there is no cost figure, in plain words."""
    if provider == "compatible":
        return (
            f'BatchLab does not know the prices of OpenAI-compatible servers, so the cost of "{model}" '
            "cannot be estimated."
        )
    return f'No published price is known for "{model}"; the cost cannot be estimated.'


# ---- limits -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def model_limits(provider: str, model: str) -> ModelLimits:
    """Context window (genai-prices first, then the model registry) and output limit (the registry)."""
    info = _find_model(provider, model)
    rules = rules_for(provider, model)
    context = info.context_window if info is not None and info.context_window else rules.context
    return ModelLimits(context, rules.max_output)


# ---- model picker -----------------------------------------------------------------------------
_DEFAULT_MODELS = {
    "openai": [
        "gpt-5.4-mini",
        "gpt-5.4-nano",
        "gpt-5.4",
        "gpt-5.5",
        "gpt-6.1-terra",
        "gpt-6.1-sol",
        "gpt-6-luna",
        "gpt-4.1-mini",
        "gpt-4.1",
        "gpt-4o-mini",
        "gpt-4o",
    ],
    "anthropic": [
        "claude-haiku-4-5",
        "claude-sonnet-4-6",
        "claude-opus-4-6",
        "claude-haiku-5-5",
        "claude-sonnet-5-5",
        "claude-opus-5-5",
    ],
    "demo": ["demo-model"],
}


def default_models(provider: str) -> list[str]:
    """Offline model list for the picker, recommended cheap default first; empty for compatible servers."""
    return list(_DEFAULT_MODELS.get(provider, []))
