"""Counting in a helper process (the command line's prepare) gives exactly the in-process counts,
and counting falls back to in-process wherever a helper cannot run or stops answering."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import orjson
import pytest

from app.core.build import token_helper, tokens
from app.core.build.prepare import prepare
from app.core.build.token_helper import RemoteEncoding, TokenHelper
from app.core.build.tokens import TokenTally, counting_helper, token_counter
from app.core.data.stream import rows_of
from app.core.data.table import LoadOptions
from app.core.spec import parse_spec
from tests.test_tokens import VARIED_TEXTS, _requests

MODELS = [("openai", "gpt-4"), ("openai", "gpt-5.4-mini"), ("demo", "demo-model")]


@pytest.fixture(params=["forked", "spawned"])
def started(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    """Helpers forked (Linux, no other thread running) or started as new Python processes."""
    if request.param == "spawned":
        monkeypatch.setattr(token_helper, "single_threaded", lambda: False)  # as if another thread ran
        return subprocess.Popen
    for thread in threading.enumerate():  # earlier helpers' pipe threads end once let go
        if thread.name.startswith("token-helper"):
            thread.join(timeout=10)
    if sys.platform != "linux" or not token_helper.single_threaded():
        pytest.skip("forked only on Linux, in a process running one thread (see test_a_forked_helper_counts_as_in_process)")
    return token_helper._Forked


@pytest.mark.skipif(sys.platform != "linux", reason="forked on Linux only")
def test_a_forked_helper_counts_as_in_process() -> None:
    """The command line's case: a process with one thread forks its helper (this test process runs
    other threads, so a fresh one does it)."""
    code = (
        "import json, sys; from app.core.build import token_helper, tokens; "
        "texts = json.loads(sys.argv[1]); "
        "alone = token_helper.single_threaded(); "
        "cm = tokens.counting_helper('openai', 'gpt-4'); cm.__enter__(); "
        "counter = tokens.token_counter('openai', 'gpt-4'); "
        "forked = isinstance(counter._encoding.helper._process, token_helper._Forked); "
        "counts = counter.count_many(texts); helped = counter._encoding._local is None; cm.__exit__(None, None, None); "
        "print(json.dumps([alone, forked, helped, counts]))"
    )
    ran = subprocess.run([sys.executable, "-c", code, json.dumps(VARIED_TEXTS)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=120, check=True)
    alone, forked, helped, counts = json.loads(ran.stdout)
    assert alone and forked and helped
    assert counts == token_counter("openai", "gpt-4").count_many(VARIED_TEXTS)


def _remote(counter: tokens.TokenCounter) -> RemoteEncoding:
    encoding = counter._encoding
    assert isinstance(encoding, RemoteEncoding)
    return encoding


@pytest.mark.parametrize(("provider", "model"), MODELS)
def test_helper_counts_equal_in_process_counts(provider: str, model: str, started: type) -> None:
    local = token_counter(provider, model)
    expected = [local.count(text) for text in VARIED_TEXTS]
    with counting_helper(provider, model):
        counter = token_counter(provider, model)
        remote = _remote(counter)
        assert isinstance(remote.helper._process, started)
        assert counter.count_many(VARIED_TEXTS) == expected
        assert [counter.count(text) for text in VARIED_TEXTS] == expected
        assert (counter.exact, counter.method) == (local.exact, local.method)
        assert remote.helper.alive and remote._local is None  # counted by the helper, not here
    assert token_counter(provider, model)._encoding is local._encoding  # in-process again after the block


def test_the_helper_ends_with_the_block(started: type) -> None:
    with counting_helper("openai", "gpt-4"):
        process = _remote(token_counter("openai", "gpt-4")).helper._process
        assert process is not None and token_counter("openai", "gpt-4").count("Hello world") == 2
    assert process.wait(timeout=30) == 0


def test_counting_falls_back_in_process_when_the_helper_dies(started: type) -> None:
    expected = token_counter("openai", "gpt-4").count_many(VARIED_TEXTS)
    with counting_helper("openai", "gpt-4"):
        counter = token_counter("openai", "gpt-4")
        remote = _remote(counter)
        remote.helper._process.kill()  # type: ignore[union-attr]
        remote.helper._process.wait()  # type: ignore[union-attr]
        assert counter.count_many(VARIED_TEXTS) == expected
        assert not remote.helper.alive and remote._local is not None


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="POSIX signals")
def test_a_helper_that_stops_answering_is_stopped(monkeypatch: pytest.MonkeyPatch, started: type) -> None:
    monkeypatch.setattr(token_helper, "PATIENCE", 0.5)
    expected = token_counter("openai", "gpt-4").count_many(VARIED_TEXTS)
    with counting_helper("openai", "gpt-4"):
        counter = token_counter("openai", "gpt-4")
        process = _remote(counter).helper._process
        assert process is not None
        os.kill(process.pid, signal.SIGSTOP)  # alive, but answers nothing
        assert counter.count_many(VARIED_TEXTS) == expected
        assert process.wait(timeout=30) == -signal.SIGKILL


def test_text_the_pipe_cannot_carry_is_counted_in_process() -> None:
    """A lone surrogate cannot be written as JSON: that text is counted here, as before."""
    text = "broken \ud800 surrogate"
    expected = token_counter("openai", "gpt-4").count(text)
    with counting_helper("openai", "gpt-4"):
        assert token_counter("openai", "gpt-4").count(text) == expected


def test_no_helper_process_in_a_frozen_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A PyInstaller bundle's executable is the app, not Python: where the helper cannot be forked
    (another thread runs, or not Linux), counting stays in-process."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(token_helper, "single_threaded", lambda: False)
    assert TokenHelper.start("openai", "gpt-4") is None
    with counting_helper("openai", "gpt-4"):
        assert not isinstance(token_counter("openai", "gpt-4")._encoding, RemoteEncoding)


@pytest.mark.parametrize(("provider", "model"), [("anthropic", "claude-haiku-4-5"), ("compatible", "llama-3.1-8b")])
def test_no_helper_for_counts_without_a_tokenizer(provider: str, model: str) -> None:
    with counting_helper(provider, model):
        assert tokens._helper is None
        counter = token_counter(provider, model)
        assert not counter.costly and counter.count("Hello world") > 0  # by its bytes


def test_serve_answers_each_request_line() -> None:
    """The helper's side of the protocol, run here: one JSON line of counts per request line."""
    requests = io.BytesIO(orjson.dumps(["cl100k", VARIED_TEXTS]) + b"\n" + orjson.dumps(["cl100k", ["a b"]]) + b"\n")
    answers = io.BytesIO()
    token_helper.serve(requests, answers, "openai", "gpt-4")
    encoding = tokens.cl100k()
    assert answers.getvalue().splitlines() == [
        orjson.dumps([len(encoding.encode_ordinary(t)) for t in VARIED_TEXTS]),
        orjson.dumps([len(encoding.encode_ordinary("a b"))]),
    ]


@pytest.mark.parametrize("rows_per_request", ["auto", 1])  # counted whole; on a sample of 3,000 requests
def test_prepare_gives_the_same_manifest_with_the_helper(tmp_path: Path, rows_per_request: int | str) -> None:
    data = tmp_path / "data.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows([f"r{i}", f"{VARIED_TEXTS[i % len(VARIED_TEXTS)][:300]} {i}"] for i in range(3000))
    spec = parse_spec(
        {
            "name": "helper", "data": str(data), "id_column": "id", "instructions": "Code the texts.",
            "input_template": "Text: {text}", "provider": "openai", "model": "gpt-4",
            "rows_per_request": rows_per_request,
            "fields": [{"name": "tone", "type": "category", "choices": ["a", "b"]}],
        },  # fmt: skip
        tmp_path,
    )
    here = prepare(spec, tmp_path / "here").manifest
    with counting_helper(spec.provider, spec.model):
        beside = prepare(spec, tmp_path / "beside").manifest
        assert _remote(token_counter(spec.provider, spec.model))._local is None  # the helper counted
    for manifest in (here, beside):
        manifest.pop("created_at")
        manifest["files"] = [{k: v for k, v in f.items() if k != "path"} for f in manifest["files"]]
    assert json.dumps(beside, sort_keys=True).replace("beside", "here") == json.dumps(here, sort_keys=True)
    assert (here["tokens"]["input_counted_requests"] < here["requests"]) == (rows_per_request == 1)
    for name in ("batch-001.jsonl", "index.jsonl"):
        assert (tmp_path / "beside" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


def test_a_sample_counted_ahead_gives_the_same_figures() -> None:
    """Counting ahead (in the helper) the requests likely to stay drawn changes no figure; little
    more than the sample is counted, and little of it is left for the end."""
    requests = _requests(12_000, seed=4)

    def tally(ahead: bool) -> TokenTally:
        made = TokenTally(token_counter("openai", "gpt-4"))
        for first in range(0, len(requests), 500):
            ids, texts = zip(*requests[first : first + 500])
            made.add_many(ids, texts)
            if ahead:
                made.count_ahead((first + 500) / len(requests))
        made.finish()
        return made

    here = tally(ahead=False)
    with counting_helper("openai", "gpt-4"):
        remote = _remote(token_counter("openai", "gpt-4"))
        asked: list[int] = []
        counts = remote.helper.counts
        def counted(name: str, texts: list[str]):  # noqa: ANN202 - the helper's own return type
            asked.append(len(texts))
            return counts(name, texts)

        remote.helper.counts = counted  # type: ignore[method-assign]
        beside = tally(ahead=True)
    figures = ("total", "margin", "counted", "max_tokens", "max_custom_id", "requests", "chars")
    assert [getattr(beside, f) for f in figures] == [getattr(here, f) for f in figures]
    assert tokens.TOKEN_SAMPLE < sum(asked) < 1.5 * tokens.TOKEN_SAMPLE
    assert len(asked) > 10 and asked[-1] < 0.05 * tokens.TOKEN_SAMPLE  # at the end: the last few drawn


def test_share_of_a_file_handed_out(tmp_path: Path) -> None:
    """A file's chunks say about how much of it they hold (not the reading position, far ahead)."""
    data = tmp_path / "data.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        rows = [[f"r{i}", "some words, quoted " * (i % 7)] for i in range(60_000)]
        csv.writer(handle).writerows([["id", "text"], *rows])
    source = rows_of(data, LoadOptions())
    shares: list[float] = []
    source.feed(lambda columns: None, lambda chunk: shares.append(source.share))
    assert len(shares) > 3 and shares == sorted(shares)
    assert shares[0] < 0.5 and 0.95 < shares[-1] <= 1.0
