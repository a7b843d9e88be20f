"""`agreement` lists each run against the hand coding: a field whose α is undefined for one run
(an overflowing answer) shows "—" there instead of vanishing from that run's line."""

from __future__ import annotations

import pytest

from app.cli import main
from app.core.research.runs import ComparisonPlan, start_comparison
from app.core.run.engine import Engine
from tests.research.test_runs import engine, hand_code, run_sample  # noqa: F401 - pytest fixture


def test_an_undefined_alpha_shows_as_a_dash_per_run(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    job_id = run_sample(engine)
    [run] = start_comparison(engine, job_id, ComparisonPlan("repeat", runs=1, rows=8, seed=5))
    engine.run(run)
    hand_code(engine, job_id)
    first = engine.rows(job_id, "coded", 0, 1)[0].row_id
    engine.store.db.execute(
        "UPDATE rows SET values_json = json_set(values_json, '$.confidence', 1e300) WHERE job_id = ? AND row_id = ?", (job_id, first)
    )
    assert main(["agreement", job_id, "--resamples", "20"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if "against the hand-coded rows" in line}
    assert "confidence —" in lines[job_id] and "sentiment " in lines[job_id]
    assert "confidence —" not in lines[run] and "confidence " in lines[run]
    assert "topics" not in lines[job_id] and "quote" not in lines[job_id]  # no single α for lists and texts
