"""A co-author's copy of a package written without the data: `validate` and `export` say why they
cannot run there and what to do, instead of naming a missing file inside the job's folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.cli import main
from app.core.keys import KeyStore
from app.core.research.package import import_package, write_package
from app.core.run.engine import Engine
from tests.research.test_runs import engine, hand_code, run_sample  # noqa: F401 - pytest fixture


def test_validate_and_export_on_a_package_without_data_say_what_to_do(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    job_id = run_sample(engine)
    hand_code(engine, job_id)
    package = write_package(engine, job_id, tmp_path / "package.zip")
    home = tmp_path / "reviewer-home"
    import_package(Engine(home, KeyStore()), package)
    monkeypatch.setitem(os.environ, "BATCHLAB_HOME", str(home))
    code = main(["validate", job_id])
    err = capsys.readouterr().err
    assert code == 2
    assert f"Job {job_id} came from a replication package (package.zip) without its data file" in err
    assert f"python -m app report {job_id} --out report.html" in err and "--with-data" in err
    assert "was not found" not in err
    code = main(["export", job_id, "--out", str(tmp_path / "rows.csv")])
    err = capsys.readouterr().err
    assert code == 2 and not (tmp_path / "rows.csv").exists()
    assert "without its data file, so its input columns are not here" in err and "coded.csv" in err
    assert "was not found" not in err
