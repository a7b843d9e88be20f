"""The job spec: every key that works, and every bad-spec case with its plain-language message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.errors import SpecError
from app.core.spec import FieldSpec, JobSpec, load_spec, parse_spec, rows_per_request_text, spec_warnings

ROOT = Path(__file__).resolve().parents[1]


def good_spec(**changes: object) -> dict:
    spec = json.loads((ROOT / "examples" / "reviews-openai.json").read_text())
    spec["data"] = str(ROOT / "resources" / "sample" / "reviews.csv")
    spec.update(changes)
    return spec


def problems_of(raw: object, base: Path = ROOT) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(raw, base)
    return info.value.problems


def test_example_spec_loads_with_every_key() -> None:
    spec = load_spec(ROOT / "examples" / "reviews-openai.json")
    assert spec.name == "Review sentiment"
    assert spec.data == (ROOT / "resources" / "sample" / "reviews.csv").resolve()
    assert [f.type for f in spec.fields] == ["category", "number", "boolean", "list", "text"]
    assert spec.fields[0].choices == ["positive", "neutral", "negative"]
    assert spec.fields[1].minimum == 0 and spec.fields[1].maximum == 1
    assert (spec.provider, spec.model, spec.endpoint, spec.rows_per_request) == ("openai", "gpt-5.4-mini", "chat", 5)
    assert spec.max_output_tokens is None and spec.temperature is None and spec.sheet is None


def test_integer_field_and_defaults() -> None:
    raw = good_spec(fields=[{"name": "year", "type": "integer", "minimum": 1900}])
    for key in ("sheet", "endpoint", "rows_per_request", "max_output_tokens", "temperature"):
        raw.pop(key, None)
    spec = parse_spec(raw, ROOT)
    assert spec.fields == [FieldSpec(name="year", type="integer", minimum=1900)]
    assert spec.endpoint == "chat" and spec.rows_per_request == "auto"
    assert spec.multi_row and spec.effective_row_format == "compact"  # auto rows travel compactly


def test_rows_per_request_auto_and_row_format_round_trip(tmp_path: Path) -> None:
    spec = parse_spec(good_spec(rows_per_request="auto", row_format="json"), ROOT)
    assert (spec.rows_per_request, spec.row_format, spec.effective_row_format) == ("auto", "json", "json")
    spec.save(tmp_path / "job.json")
    saved = json.loads((tmp_path / "job.json").read_text())
    assert (saved["rows_per_request"], saved["row_format"]) == ("auto", "json")
    assert load_spec(tmp_path / "job.json") == spec
    numbered = parse_spec(good_spec(rows_per_request=1), ROOT)
    assert not numbered.multi_row and numbered.effective_row_format == "json"
    assert "row_format" not in numbered.to_dict()  # left out, as specs written before it


def test_rows_per_request_in_words() -> None:
    assert rows_per_request_text(5) == "5 rows per request" and rows_per_request_text(1) == "1 row per request"
    assert rows_per_request_text("auto", 12) == "auto: 12 rows per request"
    assert rows_per_request_text("auto") == "automatic"


def test_data_path_resolves_relative_to_the_spec_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.csv").write_text("a\nx\n")
    spec_file = tmp_path / "job.json"
    spec_file.write_text(json.dumps(good_spec(data="sub/d.csv")))
    assert load_spec(spec_file).data == (tmp_path / "sub" / "d.csv").resolve()


def test_save_and_reload_round_trip(tmp_path: Path) -> None:
    spec = parse_spec(good_spec(), ROOT)
    (tmp_path / "reviews.csv").write_bytes(spec.data.read_bytes())
    spec.data = tmp_path / "reviews.csv"
    spec.save(tmp_path / "job.json")
    saved = json.loads((tmp_path / "job.json").read_text())
    assert saved["data"] == "reviews.csv"
    assert load_spec(tmp_path / "job.json") == spec


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"colour": "red"}, 'unknown setting "colour"'),
        ({"feilds": []}, 'did you mean "fields"?'),
        ({"rows_per_request": "5"}, '"rows_per_request" must be a whole number'),
        ({"rows_per_request": 0}, '"rows_per_request" must be at least 1'),
        ({"rows_per_request": True}, '"rows_per_request" must be a whole number or "auto"'),
        ({"rows_per_request": "five"}, '"rows_per_request" must be a whole number or "auto", not "five"'),
        ({"rows_per_request": 2.5}, '"rows_per_request" must be a whole number or "auto", not 2.5'),
        ({"row_format": "xml"}, '"row_format" must be one of json, compact'),
        ({"provider": "gemini"}, '"provider" must be one of openai, anthropic, compatible, demo'),
        ({"endpoint": "completions"}, '"endpoint" must be "chat" or "responses"'),
        ({"provider": "anthropic", "endpoint": "responses"}, "applies to OpenAI only"),
        ({"provider": "compatible"}, 'needs "base_url"'),
        ({"base_url": "ftp://x"}, "must start with http"),
        ({"temperature": 3}, "between 0 and 2"),
        ({"max_output_tokens": 0}, "at least 1"),
        ({"name": "  "}, '"name" is empty'),
        ({"data": "nowhere.csv"}, 'data file "nowhere.csv" was not found'),
        ({"fields": []}, "Add at least one output field"),
        ({"fields": "sentiment"}, '"fields" must be a list'),
        ({"fields": ["sentiment"]}, "must be an object with a name and a type"),
        ({"fields": [{"name": "tone", "type": "category"}]}, "a category needs a list of choices"),
        ({"fields": [{"name": "tone", "type": "colour"}]}, 'type "colour" is not one of'),
        ({"fields": [{"name": "a", "type": "text"}, {"name": "A", "type": "text"}]}, 'Two output fields are called "A"'),
        ({"fields": [{"name": "my field", "type": "text"}]}, "must start with a letter"),
        ({"fields": [{"name": "1st", "type": "text"}]}, "must start with a letter"),
        ({"fields": [{"name": "id", "type": "text"}]}, "used by BatchLab itself"),
        ({"fields": [{"name": "t", "type": "text", "choices": ["a"]}]}, "choices only apply"),
        ({"fields": [{"name": "t", "type": "category", "choices": ["a", "A"]}]}, "must be different"),
        ({"fields": [{"name": "t", "type": "category", "choices": ["a", ""]}]}, "non-empty text"),
        ({"fields": [{"name": "t", "type": "text", "minimum": 1}]}, "minimum and maximum only apply"),
        ({"fields": [{"name": "n", "type": "number", "minimum": 5, "maximum": 1}]}, "is larger than maximum"),
        ({"fields": [{"name": "n", "type": "number", "extra": 1}]}, 'unknown setting "extra"'),
        ({"fields": [{"type": "text"}]}, '"name" is missing'),
    ],
)
def test_bad_spec_messages(change: dict, expected: str) -> None:
    found = problems_of(good_spec(**change))
    assert any(expected in p for p in found), found


def test_missing_required_keys_are_all_listed() -> None:
    found = problems_of({"name": "x"})
    for key in ("data", "instructions", "input_template", "fields", "provider", "model"):
        assert any(f'"{key}" is missing' in p for p in found), (key, found)


def test_every_problem_in_one_error() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(good_spec(rows_per_request=0, provider="x", colour=1), ROOT, "job.json")
    err = info.value
    assert len(err.problems) == 3
    assert "Found 3 problems in job.json" in err.message
    assert err.hint


def test_not_an_object_and_not_json(tmp_path: Path) -> None:
    assert "must be a JSON object" in problems_of([1, 2])[0]
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x",}')
    with pytest.raises(SpecError, match="not valid JSON.*line 1"):
        load_spec(bad)
    with pytest.raises(SpecError, match="was not found"):
        load_spec(tmp_path / "none.json")


def test_spec_dataclass_keeps_base_url_out_unless_set() -> None:
    spec = parse_spec(good_spec(), ROOT)
    assert "base_url" not in spec.to_dict()
    compatible = parse_spec(good_spec(provider="compatible", base_url="http://localhost:8000/v1"), ROOT)
    assert isinstance(compatible, JobSpec) and compatible.to_dict()["base_url"] == "http://localhost:8000/v1"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_from_python_are_refused_with_their_key(value: float) -> None:
    """The GUI hands parse_spec Python objects: a NaN there must not reach a request file either."""
    raw = good_spec(temperature=value)
    raw["fields"][1]["maximum"] = value
    assert problems_of(raw) == [
        '"fields[2].maximum" is not a finite number (NaN and Infinity are not valid JSON); give a number.',
        '"temperature" is not a finite number (NaN and Infinity are not valid JSON); give a number.',
    ]


def test_no_warnings_for_the_example_spec() -> None:
    assert spec_warnings(load_spec(ROOT / "examples" / "reviews-openai.json")) == []


def test_warnings_name_each_setting_most_likely_not_meant() -> None:
    raw = good_spec(input_template="Code this.", model="claude-haiku-4-5", sheet="Sheet1", id_column="")
    warnings = spec_warnings(parse_spec(raw, ROOT))
    assert len(warnings) == 4
    assert "no {column} placeholder" in warnings[0]
    assert '"claude-haiku-4-5" is a Claude model but the provider is openai' in warnings[1]
    assert '"sheet" ("Sheet1") is ignored' in warnings[2]
    assert '"id_column" is empty' in warnings[3]
