"""Replication packages: what goes in, and package → import on another data folder gives the same job."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from app.core.errors import ImportFileError, JobError
from app.core.keys import KeyStore
from app.core.research.links import read_only_source
from app.core.research.package import import_package, write_package
from app.core.research.provider_import import import_results_file
from app.core.research.report import build_report
from app.core.research.report_html import render_markdown
from app.core.research.runs import ComparisonPlan, linked_runs, plan_specs, start_comparison
from app.core.run.engine import Engine
from app.core.spec import load_spec
from tests.research.test_runs import engine, hand_code, run_sample  # noqa: F401 - pytest fixture

ROW_FIELDS = ("row_id", "status", "reason", "values", "input_tokens", "output_tokens", "cost", "attempt")


def _rows(engine: Engine, job_id: str) -> list[tuple[object, ...]]:
    return [tuple(getattr(r, k) for k in ROW_FIELDS) for r in engine.rows(job_id, limit=10_000)]


def _report_text(engine: Engine, job_id: str) -> str:
    """The Markdown report without its subtitle (which says when it was written)."""
    text = render_markdown(build_report(engine, job_id))
    return "\n".join(line for line in text.splitlines() if "report written" not in line)


def test_package_without_data_imports_read_only_with_the_same_rows_and_report(engine: Engine, tmp_path: Path) -> None:  # noqa: F811
    job_id = run_sample(engine)
    [run] = start_comparison(engine, job_id, ComparisonPlan("repeat", runs=1, rows=8, seed=5))
    engine.run(run)
    hand_code(engine, job_id)
    package = write_package(engine, job_id, tmp_path / "package.zip")
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        sums = archive.read("SHA256SUMS").decode()
        coded = pd.read_csv(archive.open("coded.csv"), dtype=str, keep_default_na=False)
        readme = archive.read("README.md").decode()
        validation = json.loads(archive.read("validation.json"))
        gold = pd.read_csv(archive.open("gold/labels.csv"), dtype=str, keep_default_na=False)
        for line in sums.splitlines():
            if not line.startswith("#"):
                digest, _, name = line.partition("  ")
                assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    assert {"README.md", "spec.json", "codebook.md", "report.html", "report.md", "coded.csv", "history/rows.json",
            "job/attempt-1/requests/batch-001.jsonl", "job/attempt-1/requests/index.jsonl",
            "job/attempt-1/batch-001/output.jsonl", "job/attempt-1/batch-001/provider-batch.json"} <= names
    assert f"runs/{run}/history/rows.json" in names and f"runs/{run}/job/attempt-1/batch-001/output.jsonl" in names
    assert not any(n.startswith(("data/", "job/input/", "job/comparisons/")) or "/input/" in n for n in names)  # the data stays home …
    data_sha = hashlib.sha256((engine.job(job_id).folder / "input" / "reviews.csv").read_bytes()).hexdigest()
    assert f"# not included: {data_sha}  data/reviews.csv" in sums  # … but its checksum goes
    assert list(coded.columns) == ["review_id", "sentiment", "confidence", "mentions_price", "topics", "quote", "batchlab_status", "batchlab_reason"]
    assert "python -m app run spec.json --wait" in readme
    assert validation["rows_compared"] == 16 and len(gold) == 16
    assert validation["disagreements"] and all(d["text"] is None for d in validation["disagreements"])

    reviewer = Engine(tmp_path / "reviewer-home", KeyStore())
    imported = import_package(reviewer, package)
    assert imported == job_id
    assert linked_runs(reviewer, imported) == [job_id, run]  # the comparison run came along, linked
    assert _rows(reviewer, imported) == _rows(engine, job_id) and _rows(reviewer, run) == _rows(engine, run)
    assert reviewer.job(imported).status_counts == engine.job(job_id).status_counts
    assert reviewer.job(imported).state == "done"
    assert reviewer.spec(imported).fields == engine.spec(job_id).fields  # the job view opens it without the data
    report = _report_text(reviewer, imported)
    assert report == _report_text(engine, job_id)
    assert "16 were compared" in report and "sentiment: confusion matrix" in report
    assert "Across 2 runs on the same 8 texts" in report and "Each run against the hand-coded rows" in report
    assert reviewer.raw_response(imported, "R001") == engine.raw_response(job_id, "R001")
    assert read_only_source(reviewer.store, imported) == "package.zip"
    with pytest.raises(JobError, match="read-only"):
        reviewer.retry(imported)
    with pytest.raises(JobError, match="read-only"):
        plan_specs(reviewer, imported, ComparisonPlan())
    with pytest.raises(JobError, match="read-only"):
        import_results_file(reviewer, imported, engine.job(job_id).folder / "attempt-1/batch-001/output.jsonl")
    again = import_package(reviewer, package)  # a second copy gets its own ids
    assert again != imported and _rows(reviewer, again) == _rows(engine, job_id)
    assert len(linked_runs(reviewer, again)) == 2 and run not in linked_runs(reviewer, again)


def test_package_with_data_reruns_from_its_spec_and_damage_is_refused(engine: Engine, tmp_path: Path) -> None:  # noqa: F811
    job_id = run_sample(engine)
    assert main(["package", job_id, "--out", str(tmp_path / "full.zip"), "--with-data"]) == 0
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(tmp_path / "full.zip") as archive:
        archive.extractall(folder)
    spec = load_spec(folder / "spec.json")  # the rerun command's spec finds its data
    assert spec.data == (folder / "data" / "reviews.csv").resolve()
    assert len(pd.read_csv(folder / "coded.csv")) == 40 and "body" in pd.read_csv(folder / "coded.csv").columns
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(tmp_path / "full.zip") as source, zipfile.ZipFile(damaged, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data.replace(b"positive", b"negative") if name == "history/rows.json" else data)
    with pytest.raises(ImportFileError, match="do not match their checksums: history/rows.json"):
        import_package(Engine(tmp_path / "other", KeyStore()), damaged)
    assert main(["import", str(tmp_path / "nothing.zip")]) == 2
