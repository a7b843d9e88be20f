"""Batch prices, model limits and default model lists, all offline.

Prices come from genai-prices, the maintained price database bundled with BatchLab. Where it
lists a model's batch price (Anthropic and most current OpenAI models) that price is used as is;
otherwise the list price is halved, as both providers document for batches. A model it does not
know gets no price at all: a guessed cost would be worse than an honest "unknown".

Importing genai-prices takes longer than the rest of a small ``prepare``, so what it lists for a
model (:mod:`app.core.build.price_list` reads it) is kept in BatchLab's cache folder, in a file
named for the installed genai-prices (so another version starts afresh), until the day
genai-prices lists a price change for that model; prices that vary by the time of day are never
kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.build import cache
from app.core.build.models import rules_for

PRICED_PROVIDERS = ("openai", "anthropic")
_PRICES = "prices-"  # the price cache's file names, in BatchLab's cache folder


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
        return self._base_rates

    @functools.cached_property
    def _base_rates(self) -> Rates:
        """Built once: every request of a job is priced through here (a million times for a big job)."""
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


@dataclass(frozen=True)
class Listing:
    """What genai-prices lists for one model on one day (``price`` None: no per-token price)."""

    price: Price | None
    context_window: int | None
    #: The first later day from which genai-prices lists another price (None: no change ahead).
    changes_on: dt.date | None = None
    #: False when the price depends on the time of day, so it may not be kept.
    keep: bool = True


DEMO_PRICE = Price(0.0, 0.0, 0.0, "simulated (the demo service charges nothing)")


@functools.lru_cache(maxsize=256)
def batch_price(provider: str, model: str) -> Price | None:
    """The batch price of ``model``, or None when no price is published for it (never a guess)."""
    if provider == "demo":
        return DEMO_PRICE
    return _listing(provider, model).price


@functools.lru_cache(maxsize=256)
def _listing(provider: str, model: str) -> Listing:
    """genai-prices' listing of the model, from the price cache when it holds a current one."""
    if provider not in PRICED_PROVIDERS:
        return Listing(None, None)
    now = dt.datetime.now(dt.timezone.utc)
    name, key = _price_cache_name(), f"{provider}/{model}"
    kept = _kept_listings(name)
    if (found := _decode(kept.get(key), now.date())) is not None:
        return found
    from app.core.build.price_list import listing

    found = listing(provider, model, now)
    if found.keep:
        kept[key] = _encode(found, now.date())
        cache.write(name, json.dumps(kept, sort_keys=True).encode(), replaces=_PRICES)
    return found


def _price_cache_name() -> str:
    """The price cache of the installed genai-prices and this BatchLab's price code.

    Named by a digest of their files' sizes and modification times, so installing another
    genai-prices version (or editing either) replaces the cache. Found without importing
    genai-prices, or importlib.metadata, which alone costs more than a cache hit saves.
    """
    stamp = [(path.name, info.st_size, info.st_mtime_ns) for path in _price_sources() for info in [path.stat()]]
    return f"{_PRICES}{hashlib.sha256(repr(stamp).encode()).hexdigest()[:16]}.json"


def _price_sources() -> list[Path]:
    """The files whose change makes kept prices stale: genai-prices' modules and this price code.

    A packaged BatchLab (PyInstaller) holds no source files, only compiled ones inside its
    executable: there the executable itself stands for them (a new bundle is a new file).
    """
    spec = importlib.util.find_spec("genai_prices")
    package = sorted(Path(spec.origin).parent.glob("*.py")) if spec and spec.origin else []
    sources = [*package, Path(__file__), Path(__file__).with_name("price_list.py")]
    return [path for path in sources if path.is_file()] or [Path(sys.executable)]


def _kept_listings(name: str) -> dict[str, Any]:
    stored = cache.read(name)
    try:
        kept = json.loads(stored) if stored else {}
    except ValueError:
        return {}
    return kept if isinstance(kept, dict) else {}


def _encode(found: Listing, since: dt.date) -> dict[str, Any]:
    return {
        "price": None if found.price is None else dataclasses.asdict(found.price),
        "context_window": found.context_window,
        "since": since.isoformat(),
        "changes_on": found.changes_on.isoformat() if found.changes_on else None,
    }


def _decode(entry: Any, today: dt.date) -> Listing | None:
    """A kept listing if it holds ``today`` (listed on or before, and before its next price change)."""
    if not isinstance(entry, dict):
        return None
    try:
        changes_on = dt.date.fromisoformat(entry["changes_on"]) if entry["changes_on"] else None
        if today < dt.date.fromisoformat(entry["since"]) or (changes_on and today >= changes_on):
            return None
        price = entry["price"]
        if price is not None:
            tiers = tuple((int(start), Rates(**rates)) for start, rates in price["tiers"])
            price = Price(**{**price, "tiers": tiers})
        return Listing(price, entry["context_window"], changes_on)
    except (KeyError, TypeError, ValueError):
        return None


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
    rules = rules_for(provider, model)
    context = _listing(provider, model).context_window or rules.context
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
