"""A broken environment: the data folder a file, read-only or relative; the job history damaged or
held by another process. Each ends in one plain message, or (relative folder) just works."""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.core.spec import load_spec
from tests.badinput.conftest import Outcome, assert_plain_failure, base_spec, write_spec

COMMANDS = [("status",), ("status", "--no-refresh"), ("resume",), ("export", "abc", "--out", "x.csv")]


def _home(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setenv("BATCHLAB_HOME", str(path))


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_data_folder_is_a_file(cli: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: tuple[str, ...]) -> None:
    home = tmp_path / "home.txt"
    home.write_text("not a folder")
    _home(monkeypatch, home)
    assert_plain_failure(cli(*argv), "BATCHLAB_HOME", "is a file")
    assert home.read_text() == "not a folder"


def test_data_folder_below_a_file(cli: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "home.txt").write_text("")
    _home(monkeypatch, tmp_path / "home.txt" / "batchlab")
    assert_plain_failure(cli("status"), "BATCHLAB_HOME", "not a folder")


def test_data_folder_read_only(cli: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = tmp_path / "readonly"
    home.mkdir()
    home.chmod(0o555)
    _home(monkeypatch, home)
    real_access = os.access  # as root, permission bits are not enforced: answer as for a normal user
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == home else real_access(p, mode, **kw))
    assert_plain_failure(cli("status"), str(home), "may not write")
    assert list(home.iterdir()) == []


@pytest.mark.parametrize(
    "content", [b"garbage, not a database\n" * 20, b"SQLite format 3\x00" + b"\xff" * 4000], ids=["text", "truncated"]
)
def test_damaged_job_history(cli: Callable[..., Outcome], tmp_path: Path, content: bytes) -> None:
    database = tmp_path / "batchlab-home" / "batchlab.sqlite3"
    database.write_bytes(content)
    for argv in (("status",), ("status", "--no-refresh"), ("resume",)):
        assert_plain_failure(cli(*argv), "job history", "damaged")
    assert database.read_bytes() == content, "the damaged file was changed"


@pytest.fixture
def locked_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Outcome]) -> Iterator[None]:
    """Another process holds the job history's write lock; BatchLab's 30 s wait is cut to 0.2 s."""
    assert cli("status").code == 0  # creates the history
    real_connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **kw: real_connect(*a, **{**kw, "timeout": 0.2}))
    holder = real_connect(tmp_path / "batchlab-home" / "batchlab.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    yield
    holder.execute("ROLLBACK")
    holder.close()


def test_locked_job_history_blocks_writes_with_a_message(
    cli: Callable[..., Outcome], locked_history: None, workdir: Path
) -> None:
    spec = write_spec(workdir, base_spec())
    assert_plain_failure(cli("run", spec), "locked by another")


def test_status_no_refresh_reads_while_another_process_writes(cli: Callable[..., Outcome], locked_history: None) -> None:
    outcome = cli("status", "--no-refresh")
    assert outcome.code == 0, outcome.text


def test_relative_data_folder_runs_a_job(
    cli: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workdir: Path
) -> None:
    """A relative BATCHLAB_HOME is made absolute at once, so the job's saved spec finds its data copy
    from wherever it is read later."""
    monkeypatch.chdir(tmp_path)
    _home(monkeypatch, Path("relative-home"))
    spec = write_spec(workdir, base_spec())
    created = cli("run", spec, "--wait", "--poll", "0.2")
    assert created.code == 0, created.text
    job_id = created.out.split()[1]
    exported = cli("export", job_id, "--out", "coded.csv")
    assert exported.code == 0, exported.text
    with (tmp_path / "coded.csv").open(encoding="utf-8", newline="") as handle:
        assert [row[-2] for row in csv.reader(handle)][1:] == ["coded"] * 40
    monkeypatch.chdir(workdir)
    saved = load_spec(tmp_path / "relative-home" / "jobs" / job_id / "spec.json")
    assert saved.data == tmp_path / "relative-home" / "jobs" / job_id / "input" / "reviews.csv"
