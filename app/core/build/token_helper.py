"""Counting tokens in a helper process, so that building the tokenizer is off the critical path.

Building tiktoken's tokenizer (unmarshalling its ranks, then ``CoreBPE``) takes ~0.15 s that hold
Python's lock: a third of a 100k-row ``prepare``, and a thread cannot overlap it. The command line's
``prepare`` therefore starts this helper first (:func:`app.core.build.tokens.counting_helper`;
forked on Linux, a new Python process elsewhere): it builds the job's tokenizer while the parent
imports Arrow and reads the rows, then counts the texts the parent sends (the shared prompt, the
token sample, as it is drawn), with the same tiktoken, so the counts are the same as in-process.

The window keeps its tokenizer in-process (built once, for many previews). Where no helper can be
started (a frozen bundle, whose ``sys.executable`` is the app itself) or it stops answering, the
parent counts in-process instead.

The protocol is a JSON line each way: ``[tokenizer, [text, …]]`` in, ``[count, …]`` back.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    import tiktoken

#: The tokenizers a helper builds, by the names the parent asks for them.
CL100K, O200K = "cl100k", "o200k"
#: Seconds to wait for an answer before giving up on the helper (counting 4 MB of text takes ~0.5 s).
PATIENCE = 120


class TokenHelper:
    """The parent's end of a helper process; start it with :meth:`start`.

    Requests go through the pipe one at a time, on a thread of their own, so the parent can ask
    for counts ahead (:meth:`RemoteEncoding.count_ahead`) and go on reading rows meanwhile.
    """

    def __init__(self, process: subprocess.Popen[bytes] | _Forked) -> None:
        self._process: subprocess.Popen[bytes] | _Forked | None = process
        self._pipe = ThreadPoolExecutor(1, thread_name_prefix="token-helper")

    @classmethod
    def start(cls, provider: str, model: str) -> TokenHelper | None:
        """A helper building the tokenizer ``model`` counts with; None where none can be started.

        On Linux, in a process running no other thread (the command line), it is forked: that
        skips starting Python and importing BatchLab again. Elsewhere it is a new Python process,
        except in a frozen bundle (PyInstaller), whose executable runs the app, not Python.
        """
        try:
            if sys.platform == "linux" and single_threaded():
                return cls(_Forked(provider, model))
            if getattr(sys, "frozen", False) or not sys.executable:
                return None
            root = str(Path(__file__).resolve().parents[3])  # the folder holding the app package
            code = (
                f"import os, sys; sys.path.insert(0, {root!r}); from app.core.build.token_helper import serve; "
                "serve(sys.stdin.buffer, sys.stdout.buffer, *sys.argv[1:3]); os._exit(0)"  # no teardown
            )
            return cls(subprocess.Popen(
                [sys.executable, "-c", code, provider, model],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            ))  # fmt: skip
        except OSError:
            return None

    @property
    def alive(self) -> bool:
        return self._process is not None

    def counts(self, tokenizer: str, texts: Sequence[str]) -> Future[list[int] | None]:
        """Tokens in each text, to come; None when the helper cannot answer (it is then let go)."""
        try:
            return self._pipe.submit(self._exchange, tokenizer, list(texts))
        except RuntimeError:  # closed
            done: Future[list[int] | None] = Future()
            done.set_result(None)
            return done

    def _exchange(self, tokenizer: str, texts: list[str]) -> list[int] | None:
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            return None
        try:
            process.stdin.write(orjson.dumps([tokenizer, texts], option=orjson.OPT_APPEND_NEWLINE))
            process.stdin.flush()
            counts = orjson.loads(process.stdout.readline())
        except (OSError, ValueError, TypeError):  # a broken pipe, no answer (EOF), a text orjson refuses
            counts = None
        if not isinstance(counts, list) or len(counts) != len(texts):
            self.close()
            return None
        return counts

    def answer(self, counts: Future[list[int] | None]) -> list[int] | None:
        """The counts asked for, once they come; None (and the helper stopped) if they do not."""
        try:
            return counts.result(timeout=PATIENCE)
        except TimeoutError:
            self.close(stop=True)
            return None

    def close(self, stop: bool = False) -> None:
        """Let the helper go: it exits once its input closes (the parent does not wait for it);
        ``stop`` ends it at once (it stopped answering)."""
        self._pipe.shutdown(wait=False, cancel_futures=True)
        process, self._process = self._process, None
        if process is None:
            return
        if stop:
            process.kill()
        try:
            if process.stdin is not None:
                process.stdin.close()
        except OSError:
            pass


class RemoteEncoding:
    """Counts with a helper's tokenizer; in-process (``build`` it) once the helper is gone.

    Counts are kept by text: the shared prompt is asked for again and again, and texts counted
    ahead are then at hand.
    """

    def __init__(self, helper: TokenHelper, name: str, build: Callable[[], tiktoken.Encoding]) -> None:
        self.helper, self.name, self._build = helper, name, build
        self._local: tiktoken.Encoding | None = None
        self._known: dict[str, int] = {}
        self._ahead: list[tuple[list[str], Future[list[int] | None]]] = []
        self._asked: set[str] = set()  # texts counted ahead

    def count(self, text: str) -> int:
        return self.count_many([text])[0]

    def count_ahead(self, texts: Sequence[str]) -> None:
        """Start counting texts that will probably be asked for; returns at once."""
        if self._local is not None:
            return
        new = [text for text in dict.fromkeys(texts) if text not in self._asked and text not in self._known]
        if new:
            self._asked.update(new)
            self._ahead.append((new, self.helper.counts(self.name, new)))

    def count_many(self, texts: Sequence[str]) -> list[int]:
        for asked, counts in self._ahead:
            if (answer := self.helper.answer(counts)) is not None:
                self._known.update(zip(asked, answer))
        self._ahead.clear()
        if missing := [text for text in dict.fromkeys(texts) if text not in self._known]:
            self._known.update(zip(missing, self._counts(missing)))
        return [self._known[text] for text in texts]

    def _counts(self, texts: list[str]) -> list[int]:
        if self._local is None:
            if (counts := self.helper.answer(self.helper.counts(self.name, texts))) is not None:
                return counts
            self._local = self._build()
        encode = self._local.encode_ordinary
        return [len(encode(text)) for text in texts]


def single_threaded() -> bool:
    """Whether this process runs one thread, native ones included (Qt's, OpenBLAS's): only then
    is forking it safe. Linux lists a process's threads in /proc."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


class _Forked:
    """A helper forked from this process, with what :class:`TokenHelper` uses of ``subprocess.Popen``.

    Only forked while no other thread runs (a lock another thread held, Python's or a library's,
    would stay held in the helper); it serves its pipes, then ends without returning into this
    process's code.
    """

    def __init__(self, provider: str, model: str) -> None:
        requests, self_requests = os.pipe()
        self_answers, answers = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            status = 1
            try:
                os.close(self_requests)
                os.close(self_answers)
                serve(os.fdopen(requests, "rb"), os.fdopen(answers, "wb"), provider, model)
                status = 0
            finally:
                os._exit(status)  # no teardown, no parent's code, no flushing the parent's buffers
        os.close(requests)
        os.close(answers)
        self.stdin: IO[bytes] | None = os.fdopen(self_requests, "wb")
        self.stdout: IO[bytes] | None = os.fdopen(self_answers, "rb")

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        """Its exit status (negative: the signal that ended it), within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout if timeout is not None else math.inf
        while not (ended := os.waitpid(self.pid, os.WNOHANG))[0]:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"token helper {self.pid}", timeout)
            time.sleep(0.01)
        return os.waitstatus_to_exitcode(ended[1])


def serve(requests: IO[bytes], answers: IO[bytes], provider: str | None = None, model: str | None = None) -> None:
    """The helper's side: build the tokenizer ``model`` at ``provider`` counts with (when given),
    then answer requests until the input closes."""
    from app.core.build import tokens

    builders = {CL100K: tokens.cl100k, O200K: tokens.cached_o200k}
    if provider and model:
        tokens.token_counter(provider, model)  # built before the first request comes
    for line in requests:
        name, texts = orjson.loads(line)
        encoding = builders[name]()
        assert encoding is not None  # the parent asks only for a tokenizer it found
        encode = encoding.encode_ordinary
        answers.write(orjson.dumps([len(encode(text)) for text in texts], option=orjson.OPT_APPEND_NEWLINE))
        answers.flush()
