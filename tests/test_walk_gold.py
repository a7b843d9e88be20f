"""Gold files as people make them: IDs a spreadsheet turned into numbers are named with the row
they most likely mean, and "1,000" (one thousand, or one?) is asked about rather than guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.research.gold import normalise_value, read_gold_file
from app.core.spec import FieldSpec, JobSpec

KNOWN = {"001", "010", "7", "0003", "A 1", "12", "012"}


def _spec(tmp_path: Path) -> JobSpec:
    return JobSpec(name="t", data=tmp_path / "data.csv", instructions="x", input_template="{text}", id_column="case_id",
                   fields=[FieldSpec("tone", "category", choices=["Positive", "neutral"]), FieldSpec("amount", "number")])  # fmt: skip


def test_ids_stored_as_numbers_name_the_row_they_likely_mean(tmp_path: Path) -> None:
    path = tmp_path / "gold.csv"
    rows = ["case_id,tone", "1,neutral", "10.0,neutral", "7.0,neutral", "3,neutral", " A 1 ,positive ", "12.0,neutral", "99,neutral", "x7,neutral"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    imported = read_gold_file(path, _spec(tmp_path), known_ids=KNOWN)
    assert imported.labels == {"A 1": {"tone": "Positive"}}  # spaces around an ID and a label are not meant
    assert [str(p) for p in imported.problems] == [
        'Row 2, column "case_id": the ID "1" is not a row of this job, but "001" is (the IDs may have been stored as numbers: format the ID column as text)',
        'Row 3, column "case_id": the ID "10.0" is not a row of this job, but "010" is (the IDs may have been stored as numbers: format the ID column as text)',
        'Row 4, column "case_id": the ID "7.0" is not a row of this job, but "7" is (the IDs may have been stored as numbers: format the ID column as text)',
        'Row 5, column "case_id": the ID "3" is not a row of this job, but "0003" is (the IDs may have been stored as numbers: format the ID column as text)',
        'Row 7, column "case_id": the ID "12.0" is not a row of this job',  # "12" and "012": which one is not for us to guess
        'Row 8, column "case_id": the ID "99" is not a row of this job',
        'Row 9, column "case_id": the ID "x7" is not a row of this job',
    ]


@pytest.mark.parametrize("raw", ["1,000", "12,500", "-1,250", "999,999"])
def test_a_comma_before_three_digits_is_asked_about_not_guessed(raw: str) -> None:
    value, problem = normalise_value(FieldSpec("amount", "number"), raw)
    whole, fraction = raw.split(",")
    assert value is None and problem == (
        f'"{raw}" could mean {whole}{fraction} or {whole}.{fraction}; write it without a thousands separator '
        f"({whole}{fraction}) or with a decimal point ({whole}.{fraction})"
    )


@pytest.mark.parametrize(("raw", "value"), [("0,750", 0.75), ("1,5", 1.5), ("12,25", 12.25), ("1000", 1000.0), ("1e12", 1e12), ("-0.0", 0.0)])
def test_decimal_commas_that_cannot_be_thousands_still_read(raw: str, value: float) -> None:
    assert normalise_value(FieldSpec("amount", "number"), raw) == (value, None)


def test_cells_an_export_protected_from_spreadsheets_read_back_as_themselves(tmp_path: Path) -> None:
    """Social-media handles as IDs: the gold export writes "'@anna" so Excel shows text; importing
    that file again (or a hand-coded copy of an .xlsx export) must find the row "@anna"."""
    from app.core.research.gold_store import GoldStore
    from app.core.run.store import Store

    spec = JobSpec(name="t", data=tmp_path / "data.csv", instructions="x", input_template="{text}", id_column="handle",
                   fields=[FieldSpec("tone", "category", choices=["good", "bad"]), FieldSpec("note", "text")])  # fmt: skip
    known = {"@anna", "-bob", "=carl", "dora"}
    labels = {"@anna": {"tone": "good", "note": "-ok"}, "-bob": {"tone": "bad", "note": "+1"},
              "=carl": {"tone": "bad", "note": "'quoted'"}, "dora": {"tone": "good", "note": "@x"}}  # fmt: skip
    history = Store(tmp_path / "history.sqlite3")
    history.add_job({"id": "j", "name": "n", "provider": "demo", "model": "m", "endpoint": "chat", "state": "done", "folder": str(tmp_path)})
    store = GoldStore(history)
    store.save_labels("j", "alice", labels, source="typed")
    exported = store.export_csv("j", tmp_path / "gold.csv", fields=["tone", "note"])
    assert "'@anna" in exported.read_text(encoding="utf-8")  # protected for spreadsheets
    imported = read_gold_file(exported, spec, known_ids=known)
    assert not imported.problems and imported.labels == labels


def test_the_gold_export_writes_numbers_plainly_and_reads_them_back(tmp_path: Path) -> None:
    from app.core.research.gold_store import GoldStore
    from app.core.run.store import Store

    history = Store(tmp_path / "history.sqlite3")
    history.add_job({"id": "j", "name": "n", "provider": "demo", "model": "m", "endpoint": "chat", "state": "done", "folder": str(tmp_path)})
    store = GoldStore(history)
    amounts = {"001": 1e-7, "010": 1e20, "7": 1e12, "0003": 0.30000000000000004, "12": -12.5}
    store.save_labels("j", "alice", {r: {"amount": v} for r, v in amounts.items()}, source="typed")
    exported = store.export_csv("j", tmp_path / "gold.csv", fields=["tone", "amount"])
    lines = exported.read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[3] for line in lines[1:]] == ["0.0000001", "100000000000000000000", "1000000000000", "0.30000000000000004", "-12.5"]
    imported = read_gold_file(exported, _spec(tmp_path), known_ids=KNOWN)
    assert not imported.problems and {r: v["amount"] for r, v in imported.labels.items()} == amounts


def test_ids_the_job_keeps_with_spaces_match_exactly(tmp_path: Path) -> None:
    path = tmp_path / "gold.csv"
    path.write_text('case_id,tone\n" 5",neutral\n"6 ",positive\n" 7 ",neutral\n', encoding="utf-8")
    imported = read_gold_file(path, _spec(tmp_path), known_ids={" 5", "6 ", "7"})
    assert not imported.problems
    assert imported.labels == {" 5": {"tone": "neutral"}, "6 ": {"tone": "Positive"}, "7": {"tone": "neutral"}}


def test_gold_in_the_jobs_own_columns_keeps_its_ids_exactly(tmp_path: Path) -> None:
    import pandas as pd

    from app.core.data import Table
    from app.core.research.gold import gold_from_columns

    frame = pd.DataFrame({"case_id": [" 5", "6 ", "7"], "text": ["a", "b", "c"], "hand": ["neutral", "", "positive"]}, dtype="str")
    imported = gold_from_columns(Table(frame, tmp_path / "data.csv"), _spec(tmp_path), {"tone": "hand"})
    assert imported.labels == {" 5": {"tone": "neutral"}, "7": {"tone": "Positive"}}  # the rows' own IDs
