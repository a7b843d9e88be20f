"""Verbatim quotes checked against each row's text; validation figures saved for a paper."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.errors import SpecError, UsageError
from app.core.research.columns import quote_columns
from app.core.research.figures import confusion_figure, f1_figure
from app.core.research.quotes import quote_flags, quote_in_text
from app.core.research.validate import validate_job
from app.core.spec import parse_spec
from tests.research.test_validate_cli import SAMPLE, model_answers, make_job


@pytest.mark.parametrize(
    ("answer", "text", "ok"),
    [
        ("Motor burnt out", "Review: Motor burnt out on day eight.", True),
        ("motor   BURNT\nout", "Review: Motor burnt out on day eight.", True),
        ("Motor burned out", "Review: Motor burnt out on day eight.", False),
        ("day eight. Great", "Review: Motor burnt out on day eight.", False),
        ("", "anything", True),
    ],
)
def test_quote_in_text_ignores_case_and_runs_of_whitespace(answer: str, text: str, ok: bool) -> None:
    assert quote_in_text(answer, text) is ok


def test_quote_flags_and_export_columns_for_every_coded_row() -> None:
    engine, job_id = make_job()
    flags = quote_flags(engine, job_id)
    answers = model_answers()
    coded = {rid: values for rid, (status, values) in answers.items() if status == "coded"}
    assert set(flags) == {"quote"} and set(flags["quote"]) == set(coded)
    invented = {rid for rid, values in coded.items() if values["quote"] == "words the author never wrote"}
    assert invented and {rid for rid, ok in flags["quote"].items() if not ok} == invented
    columns = quote_columns(engine, job_id)
    assert set(columns) == {"quote__quote_ok"}
    assert {rid for rid, flag in columns["quote__quote_ok"].items() if flag == "no"} == invented
    assert set(columns["quote__quote_ok"].values()) == {"yes", "no"}


def test_fields_not_marked_verbatim_are_not_checked() -> None:
    engine, job_id = make_job(verbatim=False)
    assert quote_flags(engine, job_id) == {} and quote_columns(engine, job_id) == {}


def test_validation_counts_quotes_not_in_the_text_and_shows_the_models_quote() -> None:
    engine, job_id = make_job()
    answers = model_answers()
    gold = {rid: {"sentiment": "positive"} for rid in answers}
    result = validate_job(engine, job_id, gold, resamples=0)
    quote = result.fields["quote"]
    coded = [values for status, values in answers.values() if status == "coded"]
    assert quote["quotes_checked"] == len(coded)
    assert quote["quotes_not_in_text"] == sum(v["quote"] == "words the author never wrote" for v in coded)
    shown = {d["row_id"]: d for d in result.disagreements if d["field"] == "sentiment"}
    for row_id, entry in shown.items():
        assert entry["quote"] == answers[row_id][1]["quote"]
        assert entry["quote_ok"] is (entry["quote"] != "words the author never wrote")


def test_verbatim_quote_is_a_text_field_setting() -> None:
    raw = {
        "name": "n", "data": str(SAMPLE / "reviews.csv"), "instructions": "i", "input_template": "{body}",
        "provider": "openai", "model": "gpt-5.4-mini",
        "fields": [{"name": "quote", "type": "text", "verbatim_quote": True}],
    }
    spec = parse_spec(raw, SAMPLE)
    assert spec.fields[0].verbatim_quote and spec.fields[0].to_dict()["verbatim_quote"] is True
    raw["fields"] = [{"name": "tone", "type": "category", "choices": ["a", "b"], "verbatim_quote": True}]
    with pytest.raises(SpecError, match='"verbatim_quote" only applies to "text" fields'):
        parse_spec(raw, SAMPLE)


def test_figures_are_saved_as_png_or_svg(tmp_path: Path) -> None:
    engine, job_id = make_job()
    gold = {rid: {"sentiment": "positive", "topics": ["price"]} for rid in model_answers()}
    result = validate_job(engine, job_id, gold, resamples=0)
    png = confusion_figure(result.fields["sentiment"], tmp_path / "figs" / "confusion.png", "sentiment")
    assert png.read_bytes().startswith(b"\x89PNG")
    svg = f1_figure(result.fields["topics"], tmp_path / "f1.svg")
    assert "<svg" in svg.read_text(encoding="utf-8")[:500]
    with pytest.raises(UsageError, match=".png or .svg"):
        f1_figure(result.fields["sentiment"], tmp_path / "f1.pdf")
    with pytest.raises(UsageError, match="no confusion matrix"):
        confusion_figure(result.fields["confidence"], tmp_path / "c.png")


def test_the_export_has_a_quote_flag_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    from app.cli import main

    engine, job_id = make_job()
    assert main(["export", job_id, "--out", str(tmp_path / "coded.csv")]) == 0, capsys.readouterr().err
    frame = pd.read_csv(tmp_path / "coded.csv", dtype=str, keep_default_na=False).set_index("review_id")
    flags = quote_flags(engine, job_id)["quote"]
    assert {rid: frame.loc[rid, "quote__quote_ok"] for rid in flags} == {rid: "yes" if ok else "no" for rid, ok in flags.items()}
    assert frame.loc["R005", "quote__quote_ok"] == ""  # refused: nothing to check
