"""Linked comparison runs of the sample project on the offline Demo provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from app.core.errors import JobError
from app.core.research.agreement import agreement_columns, run_agreement
from app.core.research.gold_store import GoldStore
from app.core.research.links import link_of
from app.core.research.runs import ComparisonPlan, instructions_diff, linked_runs, plan_specs, start_comparison
from app.core.run.engine import Engine
from app.core.run.providers.demo import stop_demo_services
from app.core.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "demo-reviews.json"


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """An engine over the test's data folder; the Demo service it starts stops with the test."""
    monkeypatch.setenv("BATCHLAB_POLL_SECONDS", "0.05")
    yield Engine(poll_interval=0.05)
    stop_demo_services()


def run_sample(engine: Engine, spec_path: Path = SAMPLE) -> str:
    """The sample project run to the end as a Demo batch job."""
    job_id = engine.create_job(load_spec(spec_path))
    assert engine.run(job_id).state == "done"
    return job_id


def hand_code(engine: Engine, job_id: str, rows: int = 16) -> None:
    """Gold labels for some rows: the model's answers, with every third sentiment changed."""
    flip = {"positive": "negative", "negative": "neutral", "neutral": "positive"}
    labels = {
        r.row_id: {**r.values, "sentiment": flip[r.values["sentiment"]] if i % 3 == 0 else r.values["sentiment"]}
        for i, r in enumerate(engine.rows(job_id, "coded", 0, rows))
    }
    GoldStore(engine.store).save_labels(job_id, "Ana", labels, "test")


def test_repeat_runs_on_a_seeded_sample_are_linked_ordinary_jobs(engine: Engine, tmp_path: Path) -> None:
    parent = run_sample(engine)
    plan = ComparisonPlan("repeat", runs=2, rows=10, seed=4)
    specs = plan_specs(engine, parent, plan)
    assert [s.name for s in specs] == ["Review sentiment (demo) · repeat 1/2", "Review sentiment (demo) · repeat 2/2"]
    assert all(s.instructions == engine.spec(parent).instructions for s in specs)
    children = start_comparison(engine, parent, plan)
    for child in children:
        assert engine.run(child).state == "done"
        assert engine.job(child).status_counts["coded"] == 10
        assert link_of(engine.store, child)["parent_id"] == parent
    sampled = {r.row_id for r in engine.rows(children[0])}
    assert sampled == {r.row_id for r in engine.rows(children[1])}
    assert sampled < {r.row_id for r in engine.rows(parent)}
    again = plan_specs(engine, parent, plan)[0].data  # the same seed draws the same sample
    assert again == specs[0].data
    assert linked_runs(engine, children[1]) == [parent, *children]
    agreement = run_agreement(engine, [parent, *children], resamples=20)
    assert agreement.rows_compared == 10
    assert agreement.fields["sentiment"]["all_agree"] == 1.0  # the Demo model answers the same text the same way
    exported = engine.export(parent, tmp_path / "coded.csv", extra_columns=agreement_columns(agreement))
    frame = pd.read_csv(Path(exported), dtype=str, keep_default_na=False).set_index("review_id")
    coded = {r.row_id: r.values for r in engine.rows(parent)}
    for row_id in sampled:
        assert frame.loc[row_id, "sentiment__majority"] == coded[row_id]["sentiment"]
        assert float(frame.loc[row_id, "sentiment__agreement"]) == 1.0
    assert (frame.drop(index=list(sampled))["sentiment__majority"] == "").all()  # rows not compared stay empty


def test_direct_run_with_reworded_instructions_codes_at_once(engine: Engine) -> None:
    parent = run_sample(engine)
    new = engine.spec(parent).instructions + " Be strict about sarcasm."
    assert "+You code customer reviews" in instructions_diff(engine.spec(parent).instructions, new)
    [child] = start_comparison(engine, parent, ComparisonPlan("instructions", runs=1, rows=6, seed=1, instructions=new, direct=True))
    job = engine.job(child)
    assert job.state == "done" and job.status_counts["coded"] == 6
    assert engine.spec(child).instructions == new
    assert link_of(engine.store, child)["detail"]["direct"] is True


def test_bad_plans_are_plain_errors(engine: Engine) -> None:
    parent = run_sample(engine)
    with pytest.raises(JobError, match="Name the other model"):
        plan_specs(engine, parent, ComparisonPlan("model", runs=1))
    with pytest.raises(JobError, match="same as the job's"):
        plan_specs(engine, parent, ComparisonPlan("instructions", runs=1, instructions=engine.spec(parent).instructions))
    with pytest.raises(JobError, match="at least two runs"):
        run_agreement(engine, [parent])


def test_compare_and_agreement_from_the_command_line(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    parent = run_sample(engine)
    assert main(["compare", parent, "--runs", "2", "--rows", "8", "--wait"]) == 0
    assert "Started 2 comparison run(s)" in capsys.readouterr().out
    assert main(["agreement", parent, "--json", "--resamples", "20"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["runs"][0] == parent and len(data["runs"]) == 3 and data["rows_compared"] == 8
    assert set(data["fields"]) == {"sentiment", "confidence", "mentions_price", "topics", "quote"}
    assert {"krippendorff_alpha", "ci95", "all_agree"} <= set(data["fields"]["sentiment"])
    hand_code(engine, parent)
    assert main(["agreement", parent, "--resamples", "20"]) == 0
    text = capsys.readouterr().out
    assert "sentiment" in text and f"{parent} against the hand-coded rows (16 compared)" in text
    assert main(["compare", parent, "--model", "other-model", "--runs", "0"]) == 2
    assert "At least one run" in capsys.readouterr().err


def test_a_sample_of_a_file_read_with_overrides_keeps_the_rows(engine: Engine, tmp_path: Path) -> None:
    data = tmp_path / "survey.csv"
    lines = ["Survey 2026;;", "exported by hand;;", "id;answer;extra"] + [f"00{i};answer number {i};x" for i in range(1, 13)]
    data.write_text("\n".join(lines) + "\n", encoding="cp1252")
    raw = json.loads(SAMPLE.read_text(encoding="utf-8")) | {
        "data": str(data), "id_column": "id", "input_template": "{answer}", "header_row": 3, "delimiter": ";", "encoding": "cp1252",
    }
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(raw), encoding="utf-8")
    parent = engine.create_job(load_spec(spec_path))
    [child] = start_comparison(engine, parent, ComparisonPlan("repeat", runs=1, rows=5, seed=3))
    child_ids = [r.row_id for r in engine.rows(child)]
    assert len(child_ids) == 5 and set(child_ids) <= {r.row_id for r in engine.rows(parent)}
    assert all(rid.startswith("00") for rid in child_ids)  # IDs stay text, read from the right header row
