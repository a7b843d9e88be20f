"""Validation of a job on messy answers: a number that overflows its squares (1e300) leaves RMSE
and α undefined ("—", null) instead of inf, with no warning printed; --json stays strict JSON and
large figures are written with four significant digits, never hundreds of digits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.research.test_validate_cli import make_job, run_cli, write_gold


def _no_constants(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_an_overflowing_number_leaves_figures_undefined_not_infinite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine, job_id = make_job()
    engine.store.db.execute(
        "UPDATE rows SET values_json = json_set(values_json, '$.confidence', 1e300) WHERE job_id = ? AND row_id = 'R002'", (job_id,)
    )
    gold = write_gold(tmp_path / "alice.csv")
    code, out, err = run_cli(capsys, "validate", job_id, "--gold", str(gold), "--json", "--resamples", "50")
    assert code == 0 and "Warning" not in err, err
    confidence = json.loads(out, parse_constant=_no_constants)["fields"]["confidence"]
    assert confidence["rmse"] is None and confidence["krippendorff_alpha"] is None and confidence["reading"] == "undefined"
    assert confidence["mae"] == pytest.approx(1e300 / confidence["n"], rel=1e-3)

    code, out, err = run_cli(capsys, "validate", job_id, "--resamples", "50")
    assert code == 0 and "Warning" not in err, err
    line = next(line for line in out.splitlines() if line.startswith("confidence"))
    assert f"MAE {1e300 / confidence['n']:.4g} [" in line and "RMSE —" in line and "α — (undefined)" in line
    assert len(line) < 300  # no run of hundreds of digits

    report = tmp_path / "report.md"
    assert run_cli(capsys, "report", job_id, "--out", str(report))[0] == 0
    row = next(line for line in report.read_text(encoding="utf-8").splitlines() if line.startswith("| confidence") and "MAE" in line)
    assert f"MAE {1e300 / confidence['n']:.4g} (95% CI" in row and len(row) < 300


def test_rows_a_field_leaves_out_are_counted_with_their_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine, job_id = make_job()  # the gold leaves row R008's confidence blank
    engine.store.db.execute(
        "UPDATE rows SET values_json = json_set(values_json, '$.confidence', json('null')) WHERE job_id = ? AND row_id = 'R003'", (job_id,)
    )
    gold = write_gold(tmp_path / "alice.csv")
    code, out, err = run_cli(capsys, "validate", job_id, "--gold", str(gold), "--json", "--resamples", "20")
    assert code == 0, err
    result = json.loads(out)
    confidence, sentiment = result["fields"]["confidence"], result["fields"]["sentiment"]
    assert (confidence["without_gold"], confidence["without_model_value"]) == (1, 1)
    assert confidence["n"] == result["rows_compared"] - 2 and sentiment["n"] == result["rows_compared"]
    assert (sentiment["without_gold"], sentiment["without_model_value"]) == (0, 0)

    out = run_cli(capsys, "validate", job_id, "--resamples", "20")[1]
    assert f"confidence (number, {confidence['n']} rows; left out: 1 without a hand-coded value, 1 without the model's):" in out
    assert f"sentiment (category, {sentiment['n']} rows):" in out

    report = tmp_path / "report.md"
    assert run_cli(capsys, "report", job_id, "--out", str(report))[0] == 0
    text = report.read_text(encoding="utf-8")
    assert f"| confidence | number | {confidence['n']} (1 without a hand-coded value, 1 without the model's left out) |" in text
    assert f"| sentiment | category | {sentiment['n']} |" in text


def test_a_workbook_of_one_sheet_per_coder_is_read_sheet_by_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    from app.core.research.gold_store import GoldStore

    engine, job_id = make_job()
    alice = pd.read_csv(write_gold(tmp_path / "alice.csv"), dtype=str, keep_default_na=False)
    bob = alice.assign(Sentiment="neutral")
    workbook = tmp_path / "coders.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        alice.to_excel(writer, sheet_name="Alice", index=False)
        bob.to_excel(writer, sheet_name="Bob", index=False)
    code, out, err = run_cli(capsys, "validate", job_id, "--gold", str(workbook), "--resamples", "20")
    assert code == 0, err
    assert "from coders.xlsx, sheet Alice (" in out and "also has the sheet(s) Bob: read another one with --sheet NAME" in out
    code, out, err = run_cli(capsys, "validate", job_id, "--gold", str(workbook), "--sheet", "Bob", "--resamples", "20")
    assert code == 0, err
    labels = GoldStore(engine.store).labels(job_id)
    assert sorted(labels) == ["coders (Alice)", "coders (Bob)"]  # the second sheet did not replace the first
    assert labels["coders (Bob)"]["R001"]["sentiment"] == "neutral" and labels["coders (Alice)"]["R001"]["sentiment"] == "positive"
    assert "People against each other (coders (Alice), coders (Bob))" in out
    code, out, err = run_cli(capsys, "validate", job_id, "--gold", str(workbook), "--sheet", "Carol")
    assert code == 2 and 'has no sheet named "Carol"' in err
    code, out, err = run_cli(capsys, "validate", job_id, "--gold", str(tmp_path / "alice.csv"), "--sheet", "Bob")
    assert code == 2 and "alice.csv is a text file" in err  # not read as if the sheet had been found
    assert sorted(GoldStore(engine.store).labels(job_id)) == ["coders (Alice)", "coders (Bob)"]
