"""Batch prices, model limits and default model lists, all offline.

Prices come from genai-prices, the maintained price database bundled with BatchLab. Where it
lists a model's batch price (Anthropic and most current OpenAI models) that price is used as is;
otherwise the list price is halved, as both providers document for batches. A model it does not
know gets no price at all: a guessed cost would be worse than an honest "unknown".
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal

import genai_prices
from genai_prices import data_snapshot
from genai_prices.types import ModelInfo, TieredPrices

BATCH_DISCOUNT = 0.5
_BATCH = {"processing": "batch"}  # genai-prices' price variant for batch processing
PRICED_PROVIDERS = ("openai", "anthropic")


@dataclass(frozen=True)
class Price:
    """Batch price per million tokens; ``cached_input_per_mtok`` None means cached input costs as much as input."""

    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None
    source: str
    currency: str = "USD"


@dataclass(frozen=True)
class ModelLimits:
    """Largest input+output a request may have, and largest output; None where unknown."""

    context_window: int | None
    max_output_tokens: int | None


DEMO_PRICE = Price(0.0, 0.0, 0.0, "simulated (the demo service charges nothing)")


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


def _has_batch_price(info: ModelInfo, now: dt.datetime) -> bool:
    return any(
        v.when == _BATCH and (v.constraint is None or v.constraint.active(now)) for v in info.price_variants or ()
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
    raw = (prices.input_mtok, prices.output_mtok, prices.cache_read_mtok)
    inp, out, cached = (_base(v) for v in raw)
    if inp is None or out is None:
        return None  # priced per image, second or character: not a token price
    tiers = [t.start for v in raw if isinstance(v, TieredPrices) for t in v.tiers]
    if tiers:
        how += f"; prompts over {min(tiers):,} tokens cost more"
    return Price(
        input_per_mtok=inp * factor,
        output_per_mtok=out * factor,
        cached_input_per_mtok=None if cached is None else cached * factor,
        source=f"{label} ({how})",
    )


def estimate_cost(
    provider: str, model: str, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0
) -> float | None:
    """Cost in the price's currency; ``input_tokens`` includes ``cached_input_tokens``. None: price unknown.

    Linear in the tokens, so totals over many requests are fine; the long-prompt surcharge some
    models have (see ``Price.source``) is per request and not applied.
    """
    price = batch_price(provider, model)
    if price is None:
        return None
    cached = min(cached_input_tokens, input_tokens)
    cached_rate = price.input_per_mtok if price.cached_input_per_mtok is None else price.cached_input_per_mtok
    return (
        (input_tokens - cached) * price.input_per_mtok + cached * cached_rate + output_tokens * price.output_per_mtok
    ) / 1e6


def actual_cost(
    provider: str, model: str, input_tokens: int, cached_input_tokens: int, output_tokens: int
) -> float | None:
    """Cost of usage a provider reported (same arithmetic as the estimate, argument order as in results)."""
    return estimate_cost(provider, model, input_tokens, output_tokens, cached_input_tokens)


def describe_missing_price(provider: str, model: str) -> str:
    """Why there is no cost figure, in plain words."""
    if provider == "compatible":
        return (
            f'BatchLab does not know the prices of OpenAI-compatible servers, so the cost of "{model}" '
            "cannot be estimated."
        )
    return f'No published price is known for "{model}"; the cost cannot be estimated.'


# ---- limits -----------------------------------------------------------------------------------
_DATE = r"(-\d{4}-\d{2}-\d{2})?"
_ADATE = r"(-\d{8}|-latest)?"
#: Context window and output limit from the providers' model pages (read 2025), for the families
#: genai-prices gives no output limit for. Newer models are left out rather than guessed.
KNOWN_LIMITS: list[tuple[re.Pattern[str], int, int]] = [
    (re.compile(p + r"$"), context, output)
    for p, context, output in [
        (r"gpt-4o-2024-05-13", 128_000, 4_096),
        (r"gpt-4o(-mini)?" + _DATE, 128_000, 16_384),
        (r"gpt-4\.1(-mini|-nano)?" + _DATE, 1_047_576, 32_768),
        (r"gpt-5(\.\d)?-chat-latest", 128_000, 16_384),
        (r"gpt-5(-mini|-nano)?" + _DATE, 400_000, 128_000),
        (r"gpt-5\.[12]" + _DATE, 400_000, 128_000),
        (r"(o1|o3|o3-mini|o4-mini)" + _DATE, 200_000, 100_000),
        (r"claude-(haiku|sonnet|opus)-4-5" + _ADATE, 200_000, 64_000),
        (r"claude-sonnet-4(-0)?" + _ADATE, 200_000, 64_000),
        (r"claude-opus-4(-0|-1)?" + _ADATE, 200_000, 32_000),
        (r"claude-3-7-sonnet" + _ADATE, 200_000, 64_000),
        (r"claude-3-5-(haiku|sonnet)" + _ADATE, 200_000, 8_192),
        (r"claude-3-(haiku|opus)" + _ADATE, 200_000, 4_096),
    ]
]


@functools.lru_cache(maxsize=256)
def model_limits(provider: str, model: str) -> ModelLimits:
    """Context window (genai-prices first) and output limit (the table above); None where unknown."""
    info = _find_model(provider, model)
    bare = model.rsplit("/", 1)[-1].lower()
    known = next(((c, o) for pattern, c, o in KNOWN_LIMITS if pattern.match(bare)), (None, None))
    context = info.context_window if info is not None and info.context_window else known[0]
    return ModelLimits(context, known[1])


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
