"""The price cache: what genai-prices lists is kept in BatchLab's folder, exactly, and only while it holds."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices.types import (
    ClauseEquals,
    ConditionalPrice,
    ModelInfo,
    ModelPrice,
    StartDateConstraint,
    TimeOfDateConstraint,
)

from app.core.build import cache, price_list, pricing
from app.core.build.pricing import Listing, Price, batch_price, job_cost, model_limits

ROOT = Path(__file__).resolve().parents[1]
NOW = dt.datetime.now(dt.timezone.utc)
MODELS = [
    ("openai", "gpt-5.4-mini"),
    ("openai", "gpt-5.4"),  # long-prompt tiers
    ("openai", "gpt-4o-mini-2024-07-18"),  # a snapshot id
    ("openai", "gpt-3.5-turbo-1106"),
    ("openai", "gpt-5.3-chat-latest"),  # list price halved
    ("openai", "gpt-9-ultra"),  # unknown
    ("anthropic", "claude-haiku-4-5"),
    ("anthropic", "claude-haiku-5-5"),
    ("anthropic", "claude-sonnet-5-5"),
]


def _forget() -> None:
    for cached in (pricing.batch_price, pricing.model_limits, pricing._listing):
        cached.cache_clear()


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    _forget()
    yield
    _forget()


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every time genai-prices is consulted (the cache missed)."""
    seen: list[tuple[str, str]] = []
    real = price_list.listing

    def spy(provider: str, model: str, now: dt.datetime) -> Listing:
        seen.append((provider, model))
        return real(provider, model, now)

    monkeypatch.setattr(price_list, "listing", spy)
    return seen


def _cache_files() -> list[Path]:
    return sorted(cache.cache_file("x").parent.glob("prices-*.json"))  # type: ignore[union-attr]


def test_cached_prices_equal_genai_prices_own(lookups: list[tuple[str, str]]) -> None:
    fresh = {m: (batch_price(*m), model_limits(*m)) for m in MODELS}
    assert lookups == MODELS and len(_cache_files()) == 1
    for provider, model in MODELS:
        listed = price_list.listing(provider, model, NOW)
        assert fresh[provider, model][0] == listed.price
    _forget()
    lookups.clear()
    kept = {m: (batch_price(*m), model_limits(*m)) for m in MODELS}
    assert lookups == [] and kept == fresh
    assert isinstance(kept["openai", "gpt-5.4"][0], Price) and kept["openai", "gpt-5.4"][0].tiers  # tiers survive


def test_a_new_genai_prices_version_starts_a_new_cache(
    lookups: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    installed = tmp_path / "genai_prices" / "data.py"
    installed.parent.mkdir()
    installed.write_text("version = '0.2.3'\n")
    monkeypatch.setattr(pricing, "_price_sources", lambda: [installed])
    batch_price("openai", "gpt-5.4-mini")
    _forget()
    batch_price("openai", "gpt-5.4-mini")
    assert len(lookups) == 1  # the second came from the cache
    [before] = _cache_files()
    installed.write_text("version = '0.2.4'  # an upgrade rewrites the package\n")
    _forget()
    batch_price("openai", "gpt-5.4-mini")
    assert len(lookups) == 2
    [after] = _cache_files()
    assert after != before  # the older version's cache is gone, not piling up


def test_a_packaged_app_without_source_files_still_keeps_prices(
    lookups: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # as in the PyInstaller bundle: no .py file of genai-prices or of BatchLab's price code on disk
    monkeypatch.setattr(pricing, "__file__", str(tmp_path / "bundle" / "pricing.py"))
    monkeypatch.setattr(pricing.importlib.util, "find_spec", lambda name: None)
    executable = tmp_path / "BatchLab"
    executable.write_bytes(b"bundle")
    monkeypatch.setattr(pricing.sys, "executable", str(executable))
    assert pricing._price_sources() == [executable]
    priced = batch_price("openai", "gpt-5.4-mini")
    _forget()
    assert batch_price("openai", "gpt-5.4-mini") == priced and len(lookups) == 1  # the second from the cache
    name = pricing._price_cache_name()
    executable.write_bytes(b"a newer bundle")  # installing another build starts a new cache
    assert pricing._price_cache_name() != name


def test_a_damaged_price_cache_is_read_again_from_genai_prices(lookups: list[tuple[str, str]]) -> None:
    expected = batch_price("anthropic", "claude-haiku-4-5")
    [path] = _cache_files()
    path.write_bytes(path.read_bytes()[:-5])
    _forget()
    assert batch_price("anthropic", "claude-haiku-4-5") == expected and len(lookups) == 2
    _forget()
    assert batch_price("anthropic", "claude-haiku-4-5") == expected and len(lookups) == 2  # rewritten whole


def _info(*prices: ConditionalPrice) -> ModelInfo:
    return ModelInfo(id="test-model", match=ClauseEquals(equals="test-model"), prices=list(prices))


def _listed(price: str) -> ModelPrice:
    return ModelPrice(input_mtok=Decimal(price), output_mtok=Decimal(price) * 4)


def test_a_listing_holds_until_the_next_listed_price_change(monkeypatch: pytest.MonkeyPatch) -> None:
    today = NOW.date()
    info = _info(
        ConditionalPrice(prices=_listed("2")),
        ConditionalPrice(constraint=StartDateConstraint(start_date=today - dt.timedelta(days=30)), prices=_listed("1")),
        ConditionalPrice(constraint=StartDateConstraint(start_date=today + dt.timedelta(days=9)), prices=_listed("3")),
    )
    monkeypatch.setattr(price_list, "_find_model", lambda provider, model: info)
    listed = price_list.listing("openai", "test-model", NOW)
    assert listed.keep and listed.changes_on == today + dt.timedelta(days=9)
    assert listed.price is not None and listed.price.input_per_mtok == 0.5  # today's price, halved for batches
    entry = pricing._encode(listed, today)
    assert pricing._decode(entry, today) == Listing(listed.price, None, listed.changes_on)
    assert pricing._decode(entry, today + dt.timedelta(days=8)) is not None
    assert pricing._decode(entry, today + dt.timedelta(days=9)) is None  # the new price applies
    assert pricing._decode(entry, today - dt.timedelta(days=1)) is None  # a clock set back


def test_prices_by_time_of_day_are_never_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    off_peak = TimeOfDateConstraint(start_time=dt.time(16, 30), end_time=dt.time(0, 30))
    info = _info(ConditionalPrice(prices=_listed("2")), ConditionalPrice(constraint=off_peak, prices=_listed("1")))
    monkeypatch.setattr(price_list, "_find_model", lambda provider, model: info)
    assert not price_list.listing("openai", "test-model", NOW).keep
    assert batch_price("openai", "test-model") is not None
    assert _cache_files() == []


CHILD = """
import sys
from app.core.build.pricing import batch_price, job_cost, model_limits
price = batch_price("openai", "gpt-5.4-mini")
limits = model_limits("openai", "gpt-5.4-mini")
cost = job_cost("openai", "gpt-5.4-mini", requests=10, batches=1, input_tokens=10_000, shared_tokens=500,
                output_tokens=2_000, reasoning_tokens=0, cache_ttl=None)
print(price.input_per_mtok, limits.context_window, cost["total"], "genai_prices" in sys.modules)
"""


def test_a_second_command_prices_a_job_without_importing_genai_prices() -> None:
    def child() -> list[str]:
        run = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, check=True)
        return run.stdout.split()

    first, second = child(), child()
    assert first[-1] == "True" and second[-1] == "False"
    assert first[:-1] == second[:-1]
    price = batch_price("openai", "gpt-5.4-mini")
    cost = job_cost("openai", "gpt-5.4-mini", requests=10, batches=1, input_tokens=10_000, shared_tokens=500,
                    output_tokens=2_000, reasoning_tokens=0, cache_ttl=None)
    assert price is not None and cost is not None
    assert second[:-1] == [str(price.input_per_mtok), str(model_limits("openai", "gpt-5.4-mini").context_window),
                           str(cost["total"])]
