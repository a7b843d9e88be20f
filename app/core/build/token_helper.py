"""Counting tokens in a helper process, so that building the tokenizer is off the critical path.

Building tiktoken's tokenizer (unmarshalling its ranks, then ``CoreBPE``) takes ~0.15 s that hold
Python's lock: a third of a 100k-row ``prepare``, and a thread cannot overlap it. The command line's
``prepare`` therefore starts this helper first (:func:`app.core.build.tokens.counting_helper`): it
builds the job's tokenizer while the parent imports Arrow and reads the rows, then counts the texts
the parent sends (the shared prompt, the token sample), with the same tiktoken, so the counts are
the same as in-process.

The window keeps its tokenizer in-process (built once, for many previews). Where no helper can be
started (a frozen bundle, whose ``sys.executable`` is the app itself) or it stops answering, the
parent counts in-process instead.

The protocol is a JSON line each way: ``[tokenizer, [text, …]]`` in, ``[count, …]`` back.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    import tiktoken

#: The tokenizers a helper builds, by the names the parent asks for them.
CL100K, O200K = "cl100k", "o200k"


class TokenHelper:
    """The parent's end of a helper process; start it with :meth:`start`."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process: subprocess.Popen[bytes] | None = process

    @classmethod
    def start(cls, provider: str, model: str) -> TokenHelper | None:
        """A helper building the tokenizer ``model`` counts with; None where none can be started."""
        if getattr(sys, "frozen", False):  # a PyInstaller bundle: sys.executable runs the app, not Python
            return None
        root = str(Path(__file__).resolve().parents[3])  # the folder holding the app package
        code = f"import sys; sys.path.insert(0, {root!r}); from app.core.build.token_helper import serve; serve()"
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", code, provider, model],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        except OSError:
            return None
        return cls(process)

    @property
    def alive(self) -> bool:
        return self._process is not None

    def counts(self, tokenizer: str, texts: Sequence[str]) -> list[int] | None:
        """Tokens in each text; None when the helper cannot answer (it is then closed)."""
        if self._process is None:
            return None
        try:
            request = orjson.dumps([tokenizer, list(texts)], option=orjson.OPT_APPEND_NEWLINE)
            assert self._process.stdin is not None and self._process.stdout is not None
            self._process.stdin.write(request)
            self._process.stdin.flush()
            counts = orjson.loads(self._process.stdout.readline())
        except (OSError, ValueError, TypeError):  # a broken pipe, no answer (EOF), a text orjson refuses
            counts = None
        if not isinstance(counts, list) or len(counts) != len(texts):
            self.close()
            return None
        return counts

    def close(self) -> None:
        """Let the helper go: it exits once its input closes (the parent does not wait for it)."""
        process, self._process = self._process, None
        if process is not None and process.stdin is not None:
            try:
                process.stdin.close()
            except OSError:
                pass


class RemoteEncoding:
    """Counts with a helper's tokenizer; in-process (``build`` it) once the helper is gone."""

    def __init__(self, helper: TokenHelper, name: str, build: Callable[[], tiktoken.Encoding]) -> None:
        self.helper, self.name, self._build = helper, name, build
        self._local: tiktoken.Encoding | None = None
        self._known: dict[str, int] = {}  # counts of the short texts asked for again and again

    def count(self, text: str) -> int:
        if (known := self._known.get(text)) is None:
            known = self._known[text] = self.count_many([text])[0]
        return known

    def count_many(self, texts: Sequence[str]) -> list[int]:
        if self._local is None:
            counts = self.helper.counts(self.name, texts)
            if counts is not None:
                return counts
            self._local = self._build()
        encode = self._local.encode_ordinary
        return [len(encode(text)) for text in texts]


def serve(stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> None:
    """The helper's side: build the tokenizer ``argv[1:3]`` (provider, model) counts with, then
    answer requests until the input closes."""
    from app.core.build import tokens

    builders = {CL100K: tokens.cl100k, O200K: tokens.cached_o200k}
    requests, answers = stdin or sys.stdin.buffer, stdout or sys.stdout.buffer
    if len(sys.argv) >= 3:
        tokens.token_counter(sys.argv[1], sys.argv[2])  # built before the first request comes
    for line in requests:
        name, texts = orjson.loads(line)
        encoding = builders[name]()
        assert encoding is not None  # the parent asks only for a tokenizer it found
        encode = encoding.encode_ordinary
        answers.write(orjson.dumps([len(encode(text)) for text in texts], option=orjson.OPT_APPEND_NEWLINE))
        answers.flush()
