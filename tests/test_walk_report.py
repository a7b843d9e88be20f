"""The methods report's example rows write numbers as the exports do: 10^12 as 1000000000000
whether the model gave 1e12 or 1000000000000, 1e-7 as 0.0000001, -0.0 as 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.research.test_validate_cli import make_job, run_cli


def test_example_rows_write_numbers_plainly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine, job_id = make_job()
    for row_id, value in (("R001", "1e12"), ("R002", "1000000000000"), ("R003", "1e-7"), ("R004", "-0.0")):
        engine.store.db.execute(
            f"UPDATE rows SET values_json = json_set(values_json, '$.confidence', {value}) WHERE job_id = ? AND row_id = ?", (job_id, row_id)
        )
    report = tmp_path / "report.md"
    assert run_cli(capsys, "report", job_id, "--out", str(report), "--examples", "4")[0] == 0
    rows = [line for line in report.read_text(encoding="utf-8").splitlines() if line.startswith("| R00")]
    assert [line.split("confidence: ")[1].split(";")[0] for line in rows] == ["1000000000000", "1000000000000", "0.0000001", "0"]
