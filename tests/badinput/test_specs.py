"""Bad job specs: each is refused by ``prepare`` and ``run`` with a message naming what is wrong,
and neither the --out folder nor the job history gets anything."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.badinput.conftest import Outcome, assert_nothing_half, assert_plain_failure, base_spec, files_under, write_spec

FIELD = {"name": "topic", "type": "category", "choices": ["a", "b"]}


def _without(key: str) -> dict[str, Any]:
    spec = base_spec()
    del spec[key]
    return spec


def _field(**changes: Any) -> dict[str, Any]:
    return base_spec(fields=[{**FIELD, **changes}])


def _field_without(key: str) -> dict[str, Any]:
    field = dict(FIELD)
    del field[key]
    return base_spec(fields=[field])


def _json_text(spec: dict[str, Any], old: str, new: str) -> str:
    text = json.dumps(spec)
    assert old in text
    return text.replace(old, new)


# id, the spec (a dict written as JSON, or the file's exact text), words the message must hold
SPECS: list[tuple[str, dict[str, Any] | str | bytes, tuple[str, ...]]] = [
    ("no-name", _without("name"), ('"name" is missing',)),
    ("empty-name", base_spec(name="  "), ('"name" is empty',)),
    ("name-number", base_spec(name=5), ('"name" must be text',)),
    ("no-data", _without("data"), ('"data" is missing',)),
    ("data-not-found", base_spec(data="nothere.csv"), ("nothere.csv", "not found")),
    ("no-instructions", _without("instructions"), ('"instructions" is missing',)),
    ("empty-instructions", base_spec(instructions=""), ('"instructions" is empty',)),
    ("no-template", _without("input_template"), ('"input_template" is missing',)),
    ("template-unknown-column", base_spec(input_template="{review} {title}"), ("review",)),
    ("no-fields", _without("fields"), ('"fields" is missing',)),
    ("fields-empty", base_spec(fields=[]), ("at least one output field",)),
    ("fields-not-list", base_spec(fields="sentiment"), ('"fields" must be a list',)),
    ("field-not-object", base_spec(fields=["sentiment"]), ("output field 1", "object")),
    ("field-no-type", _field_without("type"), ('"type" is missing',)),
    ("field-bad-type", _field(type="colour"), ('"colour"', "not one of")),
    ("field-bad-name", _field(name="2nd topic"), ("start with a letter",)),
    ("field-reserved-name", _field(name="id"), ("used by BatchLab itself",)),
    ("field-duplicate", base_spec(fields=[FIELD, {**FIELD, "name": "Topic"}]), ("two output fields",)),
    ("category-no-choices", _field_without("choices"), ("needs a list of choices",)),
    ("choices-on-number", _field(type="number"), ("choices only apply",)),
    ("choices-duplicate", _field(choices=["a", "A"]), ("different from each other",)),
    ("choice-empty", _field(choices=["a", ""]), ("non-empty text",)),
    ("min-over-max", base_spec(fields=[{"name": "n", "type": "number", "minimum": 5, "maximum": 1}]), ("larger than maximum",)),
    ("min-on-text", base_spec(fields=[{"name": "t", "type": "text", "minimum": 1}]), ("only apply",)),
    ("field-unknown-key", _field(choises=["a"]), ('"choises"', 'did you mean "choices"')),
    ("provider-unknown", base_spec(provider="gemini"), ('"gemini"',)),
    ("endpoint-unknown", base_spec(endpoint="completions"), ('"completions"',)),
    ("anthropic-endpoint", base_spec(provider="anthropic", model="claude-haiku-4-5", endpoint="responses"), ("openai only",)),
    ("compatible-no-url", base_spec(provider="compatible"), ('"base_url"',)),
    ("base-url-ftp", base_spec(provider="compatible", base_url="ftp://x/v1"), ("http://",)),
    ("rows-per-request-0", base_spec(rows_per_request=0), ("at least 1",)),
    ("rows-per-request-101", base_spec(rows_per_request=101), ("at most 100",)),
    ("rows-per-request-text", base_spec(rows_per_request="5"), ('"rows_per_request" must be a whole number',)),
    ("rows-per-request-fraction", base_spec(rows_per_request=2.5), ('"rows_per_request" must be a whole number',)),
    ("max-output-0", base_spec(max_output_tokens=0), ('"max_output_tokens" must be at least 1',)),
    ("temperature-3", base_spec(temperature=3), ("between 0 and 2",)),
    ("temperature-bool", base_spec(temperature=True), ('"temperature" must be',)),
    ("unknown-key", {**base_spec(), "modle": "x"}, ('"modle"', 'did you mean "model"')),
    ("empty-model", base_spec(model=""), ('"model" is empty',)),
    ("nan", _json_text(base_spec(temperature=0.5), "0.5", "NaN"), ('"temperature"', "not a finite number")),
    ("infinity", _json_text(base_spec(), '"maximum": 1', '"maximum": Infinity'), ('"fields[2].maximum"', "finite")),
    ("minus-infinity", _json_text(base_spec(), '"minimum": 0', '"minimum": -Infinity'), ('"fields[2].minimum"',)),
    ("overflowing-number", _json_text(base_spec(temperature=0.5), "0.5", "1e999"), ('"temperature"', "finite")),
    ("json-list", "[1, 2]", ("JSON object",)),
    ("json-null", "null", ("JSON object",)),
    ("json-truncated", json.dumps(base_spec())[:-20], ("not valid JSON", "line 1")),
    ("json-trailing-comma", '{"name": "x",}', ("not valid JSON",)),
    ("empty-file", "", ("not valid JSON",)),
    ("not-utf8", json.dumps(base_spec(name="Señor"), ensure_ascii=False).encode("cp1252"), ("not UTF-8",)),
    ("binary", bytes(range(256)) * 4, ("not UTF-8",)),
    ("id-column-missing", base_spec(id_column="respondent"), ("respondent",)),
    ("sheet-missing", base_spec(data="reviews.xlsx", sheet="Results"), ("Results",)),
]


def _write(workdir: Path, content: dict[str, Any] | str | bytes) -> Path:
    if isinstance(content, dict):
        return write_spec(workdir, content)
    path = workdir / "spec.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


@pytest.fixture
def xlsx(workdir: Path) -> None:
    """The sample reviews as a workbook too, for the sheet cases."""
    import pandas as pd

    pd.read_csv(workdir / "reviews.csv").to_excel(workdir / "reviews.xlsx", sheet_name="Reviews", index=False)


@pytest.mark.parametrize(("content", "words"), [c[1:] for c in SPECS], ids=[c[0] for c in SPECS])
def test_prepare_refuses_bad_spec(
    cli: Callable[..., Outcome], workdir: Path, xlsx: None, content: Any, words: tuple[str, ...]
) -> None:
    spec = _write(workdir, content)
    out = workdir / "out"
    assert_plain_failure(cli("prepare", spec, "--out", out), *words)
    assert not out.exists(), "a refused spec still created the --out folder"


RUN_CASES = ["no-fields", "nan", "json-truncated", "template-unknown-column", "id-column-missing"]


@pytest.mark.parametrize("case", RUN_CASES)
def test_run_refuses_bad_spec_without_a_job(
    cli: Callable[..., Outcome], workdir: Path, xlsx: None, tmp_path: Path, case: str
) -> None:
    content, words = next(c[1:] for c in SPECS if c[0] == case)
    spec = _write(workdir, content)
    home = tmp_path / "batchlab-home"
    assert_plain_failure(cli("run", spec, "--wait"), *words)
    assert files_under(home / "jobs") == {}, "a refused spec left a job folder"
    assert cli("status", "--no-refresh").out.startswith("No jobs yet")
    assert_nothing_half(tmp_path)


@pytest.mark.parametrize("make", [lambda w: w, lambda w: w / "missing.json"], ids=["folder", "missing"])
def test_spec_path_that_is_no_file(cli: Callable[..., Outcome], workdir: Path, make: Callable[[Path], Path]) -> None:
    path = make(workdir)
    outcome = cli("prepare", path, "--out", workdir / "out")
    assert_plain_failure(outcome, "is a folder" if path.is_dir() else "not found")


def test_data_that_is_a_folder(cli: Callable[..., Outcome], workdir: Path) -> None:
    (workdir / "answers.csv").mkdir()
    spec = write_spec(workdir, base_spec(data="answers.csv"))
    assert_plain_failure(cli("prepare", spec, "--out", workdir / "out"), "answers.csv", "folder")


# Allowed but most likely not meant: the command goes on and says so.
WARNINGS = [
    ("no-placeholder", base_spec(input_template="Code this review."), "no {column} placeholder"),
    ("claude-with-openai", base_spec(provider="openai", model="claude-sonnet-4-5"), "Claude model"),
    ("gpt-with-anthropic", base_spec(provider="anthropic", model="gpt-5.4-mini"), "OpenAI model"),
    ("sheet-for-csv", base_spec(sheet="Sheet1"), '"sheet"'),
    ("empty-id-column", base_spec(id_column=""), '"id_column" is empty'),
]


@pytest.mark.parametrize(("spec", "words"), [c[1:] for c in WARNINGS], ids=[c[0] for c in WARNINGS])
def test_warns_about_settings_most_likely_not_meant(
    cli: Callable[..., Outcome], workdir: Path, spec: dict[str, Any], words: str
) -> None:
    path = write_spec(workdir, spec)
    outcome = cli("prepare", path, "--out", workdir / "out")
    assert outcome.code == 0, outcome.text
    printed = [line for line in outcome.text.splitlines() if line.startswith("Warning: ")]
    assert len(printed) == 1 and words.lower() in printed[0].lower(), outcome.text
    manifest = json.loads((workdir / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert any(words.lower() in w.lower() for w in manifest["warnings"])  # what the GUI's preview shows
    pilot = cli("pilot", path, "--rows", "2") if spec["provider"] == "demo" else None
    assert pilot is None or (pilot.code == 0 and words.lower() in pilot.err.lower()), pilot


def test_unreadable_spec(cli: Callable[..., Outcome], workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No read permission (tests run as root, which reads anything, so the refusal is simulated)."""
    spec = write_spec(workdir, base_spec())
    spec.chmod(0o000)
    real_read = Path.read_bytes

    def refuse(path: Path) -> bytes:
        if path == spec:
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert_plain_failure(cli("prepare", spec, "--out", workdir / "out"), "cannot be read", "permission denied")
    assert not (workdir / "out").exists()
