"""Exporting a job restored from a replication package written without its data: the window says
why the input columns are missing and where the coded rows are, as the command line does."""

from __future__ import annotations

from pathlib import Path

from app.core.errors import BatchLabError
from app.core.keys import KeyStore
from app.core.research.package import import_package, write_package
from app.core.run.engine import Engine
from app.ui.jobs_controller import JobsController
from tests.research.test_runs import run_sample


def test_exporting_a_package_without_its_data_says_where_the_coded_rows_are(
    qtbot, batchlab_home: Path, keys: KeyStore, tmp_path: Path  # noqa: ANN001
) -> None:
    author = Engine(tmp_path / "author-home", keys, poll_interval=0.05)
    job_id = run_sample(author)
    package = write_package(author, job_id, tmp_path / "package.zip")
    import_package(Engine(batchlab_home, keys), package)
    controller = JobsController(Engine(batchlab_home, keys))
    failures: list[BatchLabError] = []
    controller.export(job_id, tmp_path / "rows.csv", failed=failures.append)
    qtbot.waitUntil(lambda: bool(failures), timeout=10_000)
    assert "without its data file, so its input columns are not here" in failures[0].message
    assert "coded.csv" in failures[0].hint and not (tmp_path / "rows.csv").exists()
