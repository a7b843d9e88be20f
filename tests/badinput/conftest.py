"""The bad-input corpus: every wrong spec, data file, argument and broken environment a person can
hand BatchLab must end in one plain message and a non-zero exit, with nothing written half.

The command line runs in-process through ``app.cli.main`` (fast); ``test_processes.py`` repeats a
few cases as real processes, where an uncaught exception would show as a traceback on stderr.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CSV = ROOT / "resources" / "sample" / "reviews.csv"

#: A Python exception's class name (KeyError, sqlite3.OperationalError…), a traceback or an errno:
#: none of these may reach a person.
_TECHNICAL = re.compile(r"Traceback|File \"|\b[A-Z][a-zA-Z]*(Error|Exception)\b|Errno|errno|sqlite3\.|NoneType")
#: What the command line says when it meets a bug instead of a bad input.
_UNEXPECTED = "unexpected problem"


@dataclass
class Outcome:
    """What one command did: its exit status and what it printed."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """Run ``python -m app ARGS…`` in this process and capture its exit status and output."""

    def run(*argv: str | Path) -> Outcome:
        capsys.readouterr()
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def assert_plain_failure(outcome: Outcome, *words: str) -> None:
    """Non-zero exit, one plain message on stderr naming ``words``, no traceback or exception name."""
    assert outcome.code != 0, f"exit 0 for a bad input; printed:\n{outcome.text}"
    assert outcome.err.strip(), "failed without saying why"
    assert not _TECHNICAL.search(outcome.text), f"technical words in the message:\n{outcome.text}"
    assert _UNEXPECTED not in outcome.text, f"reached the bug handler instead of a plain message:\n{outcome.text}"
    for word in words:
        assert word.lower() in outcome.err.lower(), f"{word!r} not in the message:\n{outcome.err}"


def files_under(root: Path) -> dict[str, int]:
    """Every file below ``root`` with its size: compared before and after a failed command."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()}


def assert_nothing_half(root: Path) -> None:
    """No temporary or partial file was left behind anywhere under ``root``."""
    leftovers = [p for p in root.rglob("*") if p.suffix in (".part", ".tmp")]
    assert not leftovers, f"half-written files left: {leftovers}"


def base_spec(data: str = "reviews.csv", **changes: Any) -> dict[str, Any]:
    """A valid spec for the sample reviews run by the offline demo provider."""
    spec: dict[str, Any] = {
        "name": "Bad input",
        "data": data,
        "id_column": "review_id",
        "instructions": "Code the review.",
        "input_template": "Title: {title}\nReview: {body}",
        "fields": [
            {"name": "sentiment", "type": "category", "choices": ["positive", "neutral", "negative"]},
            {"name": "confidence", "type": "number", "minimum": 0, "maximum": 1},
        ],
        "provider": "demo",
        "model": "demo-model",
        "rows_per_request": 5,
    }
    spec.update(changes)
    return spec


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder holding the sample data, where each case writes its spec and data files."""
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copy(SAMPLE_CSV, folder / "reviews.csv")
    return folder


def write_spec(folder: Path, spec: Any, name: str = "spec.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    return path
