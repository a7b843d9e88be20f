"""What genai-prices lists for one model: its batch price and context window, and until when.

The only module that imports genai-prices (about a quarter of a second, most of it building its
price database): :mod:`app.core.build.pricing` keeps what :func:`listing` returns in BatchLab's
cache folder and comes here only when that has nothing current for the model.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import genai_prices
from genai_prices import data_snapshot
from genai_prices.types import ModelInfo, ModelPrice, StartDateConstraint, TieredPrices

from app.core.build.pricing import Listing, Price, Rates

BATCH_DISCOUNT = 0.5
_BATCH = {"processing": "batch"}  # genai-prices' price variant for batch processing
#: Anthropic prompt caching: writes cost 1.25× input (5-minute cache) or 2× (1-hour), reads 0.1×
#: (Anthropic prompt-caching page, as summarised by appam's caching.rs on docs.rs and portkey's
#: "Prompt caching" page). Used only where genai-prices lists no cache price for a Claude model.
CACHE_WRITE_5M, CACHE_WRITE_1H, CACHE_READ = 1.25, 2.0, 0.1


def listing(provider: str, model: str, now: dt.datetime) -> Listing:
    """The model's batch price (None: not listed, or not per token) and context window at ``now``.

    Prices may change on a listed start date, or by the time of day; the listing says until which
    day it holds, or that it may not be kept at all.
    """
    info = _find_model(provider, model)
    if info is None:
        return Listing(None, None)
    conditional = info.prices if isinstance(info.prices, list) else []
    constraints = [c.constraint for c in [*conditional, *(info.price_variants or ())] if c.constraint is not None]
    later = [c.start_date for c in constraints if isinstance(c, StartDateConstraint) and c.start_date > now.date()]
    return Listing(
        _batch_price(provider, info, now),
        info.context_window or None,
        changes_on=min(later, default=None),
        keep=all(isinstance(c, StartDateConstraint) for c in constraints),
    )


def _find_model(provider: str, model: str) -> ModelInfo | None:
    """genai-prices' entry for the model, matching its snapshot ids (gpt-4o-mini-2024-07-18, …)."""
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


def _batch_price(provider: str, info: ModelInfo, now: dt.datetime) -> Price | None:
    """The batch price of a listed model at ``now``; None when it is not priced per token."""
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
