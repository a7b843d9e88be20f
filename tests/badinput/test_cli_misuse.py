"""Command-line misuse: wrong arguments and output paths end in one plain message before anything
is written, and a refused export or prepare leaves no file behind."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.run.engine import Engine
from app.core.spec import load_spec
from tests.badinput.conftest import Outcome, assert_nothing_half, assert_plain_failure, base_spec, files_under, write_spec


@pytest.fixture
def spec(workdir: Path) -> Path:
    return write_spec(workdir, base_spec())


@pytest.fixture
def job(spec: Path) -> str:
    """A prepared (not submitted) demo job: enough for export and the job commands."""
    return Engine().create_job(load_spec(spec))


# id, arguments ({spec}, {job} and {work} filled in), words the message must hold
MISUSES: list[tuple[str, str, tuple[str, ...]]] = [
    ("unknown-command", "frobnicate", ("invalid choice",)),
    ("prepare-no-out", "prepare {spec}", ("--out",)),
    ("prepare-no-spec", "prepare --out {work}/out", ("spec",)),
    ("pilot-rows-negative", "pilot {spec} --rows -3", ("--rows", "more than 0")),
    ("pilot-rows-zero", "pilot {spec} --rows 0", ("--rows", "more than 0")),
    ("pilot-rows-text", "pilot {spec} --rows five", ("--rows", "not a whole number")),
    ("pilot-rows-fraction", "pilot {spec} --rows 2.5", ("--rows", "not a whole number")),
    ("run-poll-negative", "run {spec} --poll -1", ("--poll", "more than 0")),
    ("run-poll-zero", "run {spec} --poll 0", ("--poll", "more than 0")),
    ("run-poll-nan", "run {spec} --poll nan", ("--poll", "more than 0")),
    ("run-poll-infinite", "run {spec} --poll inf", ("--poll", "more than 0")),
    ("resume-poll-negative", "resume --poll -5", ("--poll",)),
    ("retry-poll-text", "retry {job} --poll soon", ("--poll", "not a number")),
    ("status-unknown-job", "status nosuch", ('"nosuch"',)),
    ("export-unknown-job", "export nosuch --out {work}/coded.csv", ('"nosuch"',)),
    ("cancel-unknown-job", "cancel nosuch", ('"nosuch"',)),
    ("retry-unknown-job", "retry nosuch", ('"nosuch"',)),
    ("export-no-out", "export {job}", ("--out",)),
    ("export-into-folder", "export {job} --out {work}", ("is a folder",)),
    ("export-folder-named-csv", "export {job} --out {work}/x.csv", ("x.csv", "is a folder")),
    ("export-under-a-file", "export {job} --out {work}/reviews.csv/coded.csv", ("reviews.csv", "is a file")),
    ("export-unknown-format", "export {job} --out {work}/coded.pdf", (".pdf",)),
    ("prepare-out-is-file", "prepare {spec} --out {work}/reviews.csv", ("reviews.csv", "is a file")),
    ("prepare-out-under-file", "prepare {spec} --out {work}/reviews.csv/out", ("reviews.csv", "is a file")),
    ("simulate-port-negative", "simulate --port -1", ("--port", "port number")),
    ("simulate-port-too-big", "simulate --port 70000", ("--port", "port number")),
    ("simulate-step-negative", "simulate --seconds-per-step -1", ("--seconds-per-step",)),
    ("compare-runs-zero", "compare {job} --runs 0", ("at least one run",)),
    ("compare-rows-negative", "compare {job} --rows -1", ("at least one row",)),
    ("compare-poll-negative", "compare {job} --poll -1 --wait", ("--poll", "more than 0")),
    ("compare-unknown-job", "compare nosuch", ('"nosuch"',)),
    ("agreement-no-runs", "agreement {job}", ("two runs",)),
    ("agreement-resamples-negative", "agreement {job} --resamples -1", ("--resamples", "0 or more")),
    ("validate-no-gold", "validate {job}", ("no hand-coded rows",)),
    ("validate-gold-missing", "validate {job} --gold {work}/nosuch.csv", ("nosuch.csv",)),
    ("validate-resamples-negative", "validate {job} --resamples -5", ("--resamples", "0 or more")),
    ("report-examples-negative", "report {job} --out {work}/r.md --examples -3", ("--examples",)),
    ("report-no-suffix", "report {job} --out {work}", (".html or .md",)),
    ("report-under-a-file", "report {job} --out {work}/reviews.csv/r.md", ("reviews.csv", "is a file")),
    ("package-under-a-file", "package {job} --out {work}/reviews.csv/p.zip", ("reviews.csv", "is a file")),
    ("package-unknown-job", "package nosuch --out {work}/p.zip", ('"nosuch"',)),
    ("import-missing-file", "import {work}/nosuch.zip", ("nosuch.zip",)),
    ("import-not-a-package", "import {work}/reviews.csv", ("reviews.csv",)),
]


@pytest.mark.parametrize(("args", "words"), [m[1:] for m in MISUSES], ids=[m[0] for m in MISUSES])
def test_misuse_gets_a_plain_message(
    request: pytest.FixtureRequest, cli: Callable[..., Outcome], workdir: Path, tmp_path: Path, args: str, words: tuple[str, ...]
) -> None:
    values = {"work": workdir}
    if "{spec}" in args:
        values["spec"] = request.getfixturevalue("spec")
    if "{job}" in args:
        values["job"] = request.getfixturevalue("job")
    (workdir / "x.csv").mkdir()
    before = files_under(workdir)
    assert_plain_failure(cli(*args.format(**values).split()), *words)
    assert files_under(workdir) == before, "a refused command wrote into the work folder"
    assert_nothing_half(tmp_path)


@pytest.fixture
def no_write_access(monkeypatch: pytest.MonkeyPatch, workdir: Path) -> Path:
    """A folder BatchLab may not write in. Tests run as root, which ignores permission bits, so the
    permission check is told the truth a normal user would get."""
    locked = workdir / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == locked else real_access(p, mode, **kw))
    return locked


def test_export_into_a_folder_without_write_permission(cli: Callable[..., Outcome], job: str, no_write_access: Path) -> None:
    outcome = cli("export", job, "--out", no_write_access / "coded.csv")
    assert_plain_failure(outcome, str(no_write_access), "may not write")
    assert files_under(no_write_access) == {}


def test_prepare_into_a_folder_without_write_permission(cli: Callable[..., Outcome], spec: Path, no_write_access: Path) -> None:
    outcome = cli("prepare", spec, "--out", no_write_access / "requests")
    assert_plain_failure(outcome, str(no_write_access), "may not write")
    assert files_under(no_write_access) == {}


def test_export_to_existing_folder_keeps_it(cli: Callable[..., Outcome], job: str, workdir: Path) -> None:
    """A folder named like the file is left as it was, with nothing beside it."""
    target = workdir / "coded.xlsx"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    assert_plain_failure(cli("export", job, "--out", target), "is a folder")
    assert files_under(target) == {"keep.txt": 4}
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith("coded")) == ["coded.xlsx"]
