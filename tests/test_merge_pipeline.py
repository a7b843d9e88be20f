"""The merge pipeline: a writer thread commits chunks of rows in groups, Python's threads take
turns quickly while it runs, and the usual in-order answer takes a shorter path to its rows.

Each shortcut is checked against what the general path gives; failures must neither hang the
parsing thread nor leave half a group of rows in the history.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from app.core.results.answers import Answer
from app.core.results.rowmap import RowMapper
from app.core.run import merge, store
from app.core.run.merge import MERGE_SWITCH_INTERVAL, background_writes, quick_switching
from app.core.run.store import row_record
from tests.test_parse_speed_paths import FIELDS, GOOD, make_store


def coded(first: int, count: int) -> list[tuple]:
    return [row_record(f"r{i}", "coded", values_json=f'{{"n": {i}}}', attempt=1) for i in range(first, first + count)]


def test_chunks_are_committed_in_groups_and_the_connection_is_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "MERGE_ROWS_PER_TRANSACTION", 5)
    history = make_store(tmp_path, 12)
    db = history.db
    settings = (db.execute("PRAGMA synchronous").fetchone()[0], db.execute("PRAGMA cache_size").fetchone()[0])
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    history.merge_rows("j", [(coded(0, 3), ()), (coded(3, 3), ()), (coded(6, 3), ()), (coded(9, 2), ())])
    assert history.status_counts("j") == {"coded": 11, "pending": 1}
    assert history.row("j", "r9")["values_json"] == '{"n": 9}'
    assert statements.count("COMMIT") == 2  # after 6 rows (two chunks) and at the end, not after every chunk
    db.set_trace_callback(None)
    assert not db.in_transaction
    assert (db.execute("PRAGMA synchronous").fetchone()[0], db.execute("PRAGMA cache_size").fetchone()[0]) == settings
    assert history.status_counts("other") == {"pending": 12}


def test_a_bad_chunk_undoes_its_open_group_and_keeps_the_groups_committed_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "MERGE_ROWS_PER_TRANSACTION", 4)
    history = make_store(tmp_path, 12)
    with pytest.raises(ValueError, match="11 values"):
        history.merge_rows("j", [(coded(0, 4), ()), (coded(4, 2), ()), ([("r6", "coded")], ())])
    assert history.status_counts("j") == {"coded": 4, "pending": 8}
    assert not history.db.in_transaction
    assert history.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again


def test_a_write_failure_reaches_the_parser_after_it_handed_over_every_chunk(tmp_path: Path) -> None:
    history = make_store(tmp_path, 30)
    failure: list[BaseException] = []

    def parse() -> None:
        try:
            with background_writes(history, "j") as chunks:
                chunks.put(([("r0", "coded")], ()))  # refused by the writer
                for first in range(0, 30, 3):  # more chunks than the queue holds
                    chunks.put((coded(first, 3), ()))
        except ValueError as exc:
            failure.append(exc)

    parser = threading.Thread(target=parse)
    parser.start()
    parser.join(timeout=30)
    assert not parser.is_alive() and failure
    assert history.status_counts("j") == {"pending": 30}


def test_threads_take_turns_quickly_while_any_merge_runs_and_as_before_after_the_last() -> None:
    found = sys.getswitchinterval()
    first, second = quick_switching(), quick_switching()
    first.__enter__()
    assert sys.getswitchinterval() == MERGE_SWITCH_INTERVAL
    second.__enter__()
    first.__exit__(None, None, None)
    assert sys.getswitchinterval() == MERGE_SWITCH_INTERVAL  # the second merge still runs
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == found


def test_an_interval_already_shorter_than_the_merges_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    found = sys.getswitchinterval()
    monkeypatch.setattr(merge, "MERGE_SWITCH_INTERVAL", found * 4)
    with quick_switching():
        assert sys.getswitchinterval() == found
    assert sys.getswitchinterval() == found


@pytest.mark.parametrize(
    "ids",
    [
        ["a", "b", "c"],  # in order: the short path
        ["c", "a", "b"],  # out of order
        [1, "b", "c"],  # an ID written as a number
        ["a", "b", "b"],  # a duplicate, and a row left out
        ["a", "b"],  # a row left out
        ["a", "b", "c", "zzz"],  # an invented ID
    ],
)
def test_each_row_ends_as_the_general_rules_say_whatever_the_order_of_the_answer(ids: list) -> None:
    row_ids = ("a", "b", "c") if ids[0] != 1 else ("1", "b", "c")
    items = [{"id": i, **GOOD, "stars": n + 1} for n, i in enumerate(ids)]
    outcomes, anomalies = RowMapper(FIELDS, multi=True).map(row_ids, Answer("ok", data={"results": items}))
    assert [o.row_id for o in outcomes] == list(row_ids)
    answered: dict[str, int] = {}
    for n, i in enumerate(ids):
        answered.setdefault(str(i), n + 1)
    for outcome in outcomes:
        if outcome.row_id in answered:
            assert (outcome.status, outcome.values) == ("coded", GOOD | {"stars": answered[outcome.row_id]})
        else:
            assert (outcome.status, outcome.values) == ("missing", None)
    assert len(anomalies) == len(ids) - len(set(map(str, ids)) & set(row_ids))


def test_row_ids_the_job_does_not_have_are_left_out(tmp_path: Path) -> None:
    history = make_store(tmp_path, 3)
    history.add_rows("other", [("only-other", 3)])
    history.set_rows("j", [*coded(0, 2), row_record("invented", "coded"), row_record("only-other", "coded")])
    history.merge_rows("j", [([row_record("r2", "missing", "no answer"), row_record("invented-too", "coded")], ())])
    assert [(r["row_id"], r["position"]) for r in history.rows("j", None, 0, 10)] == [("r0", 0), ("r1", 1), ("r2", 2)]
    assert history.status_counts("j") == {"coded": 2, "missing": 1}
    assert history.row("j", "invented") is None and history.row("j", "only-other") is None
    assert history.row("other", "only-other")["status"] == "pending"
    assert history.query("SELECT COUNT(*) FROM rows WHERE position < 0")[0][0] == 0
