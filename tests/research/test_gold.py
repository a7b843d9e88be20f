"""Gold labels: read as a person means them, problems reported with row numbers, stored with the job."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from app.core.data import load_table
from app.core.errors import BatchLabError, GoldFileError, JobError
from app.core.research.gold import gold_from_columns, normalise_value, read_gold_file
from app.core.research.gold_store import GoldStore
from app.core.research.sampling import Sample, draw_sample
from app.core.run.store import Store
from app.core.spec import FieldSpec, JobSpec, load_spec

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_SPEC = ROOT / "resources" / "sample" / "reviews-demo.json"
KNOWN = {f"R{i:03d}" for i in range(1, 41)}


def _spec() -> JobSpec:
    return load_spec(SAMPLE_SPEC)


def _field(name: str) -> FieldSpec:
    return next(f for f in _spec().fields if f.name == name)


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.mark.parametrize(
    ("field", "raw", "value"),
    [
        ("sentiment", " Positive ", "positive"),
        ("sentiment", "NEGATIVE", "negative"),
        ("mentions_price", "Yes", True),
        ("mentions_price", "no", False),
        ("mentions_price", "TRUE", True),
        ("mentions_price", "0", False),
        ("mentions_price", "1", True),
        ("mentions_price", True, True),
        ("confidence", "0,75", 0.75),
        ("confidence", "0.5", 0.5),
        ("confidence", 1, 1.0),
        ("topics", "Price; quality", ["price", "quality"]),
        ("topics", "service, price", ["service", "price"]),
        ("topics", "price;price", ["price"]),
        ("topics", "[]", []),
        ("topics", ["Quality"], ["quality"]),
        ("quote", "  It works. ", "It works."),
        ("sentiment", "", None),
        ("topics", "   ", None),
        ("confidence", None, None),
    ],
)
def test_values_are_read_as_a_person_means_them(field: str, raw: object, value: object) -> None:
    assert normalise_value(_field(field), raw) == (value, None)


@pytest.mark.parametrize(
    ("field", "raw", "words"),
    [
        ("sentiment", "positve", '"positve" is not one of positive, neutral, negative'),
        ("mentions_price", "maybe", "is not yes/no"),
        ("confidence", "high", "is not a number"),
        ("confidence", "1,5", "above the field's maximum"),
        ("topics", "price; looks", '"looks" is not one of'),
    ],
)
def test_values_that_cannot_be_read_are_problems(field: str, raw: str, words: str) -> None:
    value, problem = normalise_value(_field(field), raw)
    assert value is None and problem is not None and words in problem


def test_integers_must_be_whole() -> None:
    field = FieldSpec("stars", "integer", minimum=1, maximum=5)
    assert normalise_value(field, "4") == (4, None)
    assert "whole number" in (normalise_value(field, "3,5")[1] or "")


def test_gold_file_columns_matched_by_name_and_problems_listed_with_row_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path / "gold.csv", [
        ["Review_ID", "Sentiment", "TOPICS", "notes"],
        ["R001", "positive", "price; quality", "fine"],
        ["R002", "Negatve", "", ""],
        ["R999", "neutral", "", ""],
        ["R001", "neutral", "", ""],
        ["R003", "", "", "not coded"],
        ["R004", " neutral", "service", ""],
    ])
    imported = read_gold_file(path, _spec(), known_ids=KNOWN)
    assert imported.mapping == {"sentiment": "Sentiment", "topics": "TOPICS"}
    assert imported.id_column == "Review_ID"
    assert imported.labels == {
        "R001": {"sentiment": "positive", "topics": ["price", "quality"]},
        "R004": {"sentiment": "neutral", "topics": ["service"]},
    }
    shown = [str(p) for p in imported.problems]
    assert shown == [
        'Row 3, column "Sentiment": "Negatve" is not one of positive, neutral, negative',
        'Row 4, column "Review_ID": the ID "R999" is not a row of this job',
        'Row 5, column "Review_ID": the ID "R001" is also on row 2',
    ]
    with pytest.raises(GoldFileError) as caught:
        imported.raise_if_problems("gold.csv")
    assert "Found 3 problems in gold.csv" in caught.value.message and "Row 4" in caught.value.message


def test_gold_file_mapped_by_hand_from_excel(tmp_path: Path) -> None:
    path = tmp_path / "coded.xlsx"
    pd.DataFrame({"case": ["R010", "R011"], "my tone": ["Positive", "negative"], "conf": ["0,9", "0,2"]}).to_excel(path, index=False)
    imported = read_gold_file(
        path, _spec(), id_column="CASE", mapping={"sentiment": "my tone", "confidence": "conf"}, known_ids=KNOWN
    )
    assert imported.labels == {"R010": {"sentiment": "positive", "confidence": 0.9}, "R011": {"sentiment": "negative", "confidence": 0.2}}
    assert imported.problems == []


@pytest.mark.parametrize(
    ("rows", "kwargs", "words"),
    [
        ([["text", "sentiment"], ["hello", "positive"]], {}, "No ID column"),
        ([["review_id", "sentiment"]], {}, "no rows"),
        ([["review_id", "colour"], ["R001", "red"]], {}, "No column is named like a field"),
        ([["review_id", "sentiment"], ["R001", "positive"]], {"id_column": "case"}, 'There is no column "case"'),
        ([["review_id", "sentiment"], ["R001", "positive"]], {"mapping": {"tone": "sentiment"}}, '"tone" is not a field'),
        ([["review_id", "sentiment"], ["R001", "positive"]], {"mapping": {"sentiment": "tone"}}, 'no column "tone"'),
        ([["review_id", "sentiment"], ["R001", "great"], ["R002", "awful"]], {}, "Row 3"),
    ],
)
def test_unusable_gold_files_raise_one_plain_error(tmp_path: Path, rows: list[list[str]], kwargs: dict, words: str) -> None:
    path = _write(tmp_path / "gold.csv", rows)
    with pytest.raises(BatchLabError) as caught:  # GoldFileError, or the data loader's DataError for an empty file
        read_gold_file(path, _spec(), known_ids=KNOWN, **kwargs)
    assert words in caught.value.message


def test_gold_from_columns_of_the_jobs_own_data(tmp_path: Path) -> None:
    data = _write(tmp_path / "data.csv", [["review_id", "body", "coded_tone"], ["R001", "good", "Positive"], ["R002", "bad", ""], ["R003", "meh", "so-so"]])
    spec = _spec()
    spec.data = data
    imported = gold_from_columns(load_table(data), spec, {"sentiment": "coded_tone"})
    assert imported.labels == {"R001": {"sentiment": "positive"}}
    assert [str(p) for p in imported.problems] == ['Row 4, column "coded_tone": "so-so" is not one of positive, neutral, negative']
    with pytest.raises(GoldFileError, match="no column"):
        gold_from_columns(load_table(data), spec, {"sentiment": "nope"})


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "history.sqlite3")
    store.add_job({"id": "job1", "name": "n", "provider": "demo", "model": "m", "endpoint": "chat", "state": "done", "folder": str(tmp_path)})
    return store


def test_gold_store_keeps_coders_apart_and_saves_hand_coding_as_it_goes(store: Store, tmp_path: Path) -> None:
    gold = GoldStore(store)
    assert gold.save_labels("job1", "alice", {"R1": {"sentiment": "positive"}, "R2": {"sentiment": "negative", "topics": ["price"]}}, "a.csv") == 2
    gold.set_label("job1", "bob", "R2", {"sentiment": "neutral"})
    gold.set_label("job1", "bob", "R1", {"sentiment": "positive"})
    gold.set_label("job1", "bob", "R2", {"mentions_price": False})  # later fields merge into the row
    assert gold.coders("job1") == ["alice", "bob"]
    assert gold.labels("job1", "bob") == {"bob": {"R2": {"sentiment": "neutral", "mentions_price": False}, "R1": {"sentiment": "positive"}}}
    assert list(gold.labels("job1")["bob"]) == ["R2", "R1"]  # the order they were coded in
    # a new import by the same coder replaces the old one
    gold.save_labels("job1", "alice", {"R3": {"sentiment": "neutral"}}, "a2.csv")
    assert gold.labels("job1", "alice") == {"alice": {"R3": {"sentiment": "neutral"}}}
    # a second Store on the same file (another thread or process) sees the same labels
    assert GoldStore(Store(store.path)).labels("job1")["bob"]["R1"] == {"sentiment": "positive"}
    out = gold.export_csv("job1", tmp_path / "out" / "gold.csv", fields=["sentiment", "mentions_price", "topics"])
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["coder", "row_id", "sentiment", "mentions_price", "topics", "source", "saved_at"]
    assert frame[["coder", "row_id", "sentiment", "mentions_price"]].values.tolist() == [
        ["alice", "R3", "neutral", ""], ["bob", "R2", "neutral", "no"], ["bob", "R1", "positive", ""],
    ]
    assert set(frame["source"]) == {"a2.csv", "hand coding"}


def test_gold_store_sample_and_job_deletion(store: Store) -> None:
    gold = GoldStore(store)
    assert gold.sample("job1") is None
    sample = draw_sample([f"R{i}" for i in range(50)], 10, seed=4)
    gold.save_sample("job1", sample)
    assert gold.sample("job1") == sample
    gold.set_label("job1", "alice", "R1", {"sentiment": "positive"})
    store.delete_job("job1")
    assert gold.labels("job1") == {} and gold.sample("job1") is None
    with pytest.raises(JobError):
        gold.set_label("job1", "alice", "R1", {"sentiment": "positive"})


def test_samples_are_reproducible_stratified_and_split() -> None:
    ids = [f"R{i}" for i in range(200)]
    strata = ["rare"] * 20 + ["common"] * 180
    sample = draw_sample(ids, 40, seed=9, strata=strata, stratify_by="group", dev_share=0.25)
    assert sample == draw_sample(ids, 40, seed=9, strata=strata, stratify_by="group", dev_share=0.25)
    assert sample != draw_sample(ids, 40, seed=10, strata=strata, stratify_by="group", dev_share=0.25)
    assert len(sample.row_ids) == len(set(sample.row_ids)) == sample.size == 40
    assert sum(ids.index(r) < 20 for r in sample.row_ids) == 4  # proportional: 10% rare
    assert len(sample.part("dev")) == 10 and len(sample.part("test")) == 30
    assert set(sample.part("dev")) | set(sample.part("test")) == set(sample.row_ids)
    assert Sample.from_dict(sample.to_dict()) == sample
    everything = draw_sample(ids[:5], 50, seed=1)
    assert sorted(everything.row_ids) == sorted(ids[:5])
