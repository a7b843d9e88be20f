"""`python -m app validate` and `gold-export` on a job of the sample project, driven in-process."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score, mean_absolute_error

from app.cli import main
from app.core.data import load_table
from app.core.keys import KeyStore
from app.core.research.gold_store import GoldStore
from app.core.research.sampling import draw_sample
from app.core.research.validate import validate_rows
from app.core.run.engine import Engine, RowResult
from app.core.run.store import Store
from app.core.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample"
REFUSED = {"R005", "R018"}
FAILED = {"R030"}


def _sentiment(stars: str) -> str:
    value = int(stars)
    return "positive" if value >= 4 else "neutral" if value == 3 else "negative"


def model_answers() -> dict[str, tuple[str, dict[str, Any] | None]]:
    """What the 'model' answered per row: mostly right, wrong on every fifth row, a few rows not coded."""
    frame = load_table(SAMPLE / "reviews.csv").frame
    answers: dict[str, tuple[str, dict[str, Any] | None]] = {}
    for i, (row_id, body, stars) in enumerate(zip(frame["review_id"], frame["body"], frame["stars"])):
        if row_id in REFUSED or row_id in FAILED:
            answers[row_id] = ("refused" if row_id in REFUSED else "failed", None)
            continue
        sentiment = _sentiment(stars) if i % 5 else "neutral"
        price = "price" in body.lower() or "cheap" in body.lower()
        answers[row_id] = ("coded", {
            "sentiment": sentiment,
            "confidence": round(int(stars) / 5 - (0.1 if i % 3 == 0 else 0.0), 2),
            "mentions_price": price,
            "topics": ["price"] if price else [],
            "quote": body.split(".")[0] if i % 4 else "words the author never wrote",
        })
    return answers


def make_job(verbatim: bool = True) -> tuple[Engine, str]:
    """A job of the sample project whose rows carry the scripted answers above (no provider needed)."""
    spec = load_spec(SAMPLE / "reviews-demo.json")
    spec.fields[-1].verbatim_quote = verbatim
    engine = Engine(Path(os.environ["BATCHLAB_HOME"]), KeyStore())
    job_id = engine.create_job(spec)
    with engine.store.transaction() as db:
        db.executemany(
            "UPDATE rows SET status = ?, values_json = ? WHERE job_id = ? AND row_id = ?",
            [(status, json.dumps(values) if values else None, job_id, row_id) for row_id, (status, values) in model_answers().items()],
        )
    return engine, job_id


def write_gold(path: Path, rows: int = 30) -> Path:
    """Hand coding of the first rows, written the way people type: mixed case, decimal commas, yes/no."""
    frame = load_table(SAMPLE / "reviews.csv").frame.head(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Review_ID", "Sentiment", "confidence", "mentions_price"])
        for i, (row_id, body, stars) in enumerate(zip(frame["review_id"], frame["body"], frame["stars"])):
            sentiment = _sentiment(stars).upper() if i % 2 else f" {_sentiment(stars).title()} "
            confidence = "" if i == 7 else str(int(stars) / 5).replace(".", ",")  # row 7 left blank
            writer.writerow([row_id, sentiment, confidence, "yes" if "price" in body.lower() else "no"])
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_json_has_the_issue_shape_and_library_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine, job_id = make_job()
    gold_path = write_gold(tmp_path / "alice.csv")
    code, out, err = run_cli(capsys, "validate", job_id, "--gold", str(gold_path), "--json", "--resamples", "200")
    assert code == 0, err
    result = json.loads(out)
    assert result["job"] == job_id and result["rows_with_gold"] == 30
    # R005 and R018 refused, R030 failed: counted beside the figures, not compared
    assert result["not_coded"] == {"failed": 1, "refused": 2}
    assert result["rows_compared"] == 27 and result["coverage"] == pytest.approx(27 / 30)

    answers = model_answers()
    gold = pd.read_csv(gold_path, dtype=str, keep_default_na=False)
    compared = [(r, s.strip().lower(), c) for r, s, c in zip(gold["Review_ID"], gold["Sentiment"], gold["confidence"]) if answers[r][0] == "coded"]
    g = [s for _, s, _ in compared]
    m = [answers[r][1]["sentiment"] for r, _, _ in compared]
    sentiment = result["fields"]["sentiment"]
    assert sentiment["type"] == "category" and sentiment["n"] == 27
    assert sentiment["accuracy"] == pytest.approx(accuracy_score(g, m), abs=1e-6)
    assert sentiment["cohen_kappa"] == pytest.approx(cohen_kappa_score(g, m), abs=1e-6)
    assert sentiment["macro_f1"] == pytest.approx(f1_score(g, m, average="macro", zero_division=0), abs=1e-6)
    assert sentiment["micro_f1"] == pytest.approx(f1_score(g, m, average="micro", zero_division=0), abs=1e-6)
    assert sum(sentiment["confusion"]["positive"].values()) == g.count("positive") == sentiment["per_label"]["positive"]["support"]
    assert set(sentiment["ci95"]) >= {"accuracy", "cohen_kappa", "krippendorff_alpha", "macro_f1"}
    assert sentiment["reading"] in ("reliable", "tentative conclusions only", "not reliable")

    confidence = result["fields"]["confidence"]
    numbers = [(float(c.replace(",", ".")), answers[r][1]["confidence"]) for r, _, c in compared if c]
    assert confidence["type"] == "number" and confidence["n"] == len(numbers) == 26  # one blank gold value
    assert confidence["mae"] == pytest.approx(mean_absolute_error([a for a, _ in numbers], [b for _, b in numbers]), abs=1e-6)
    assert set(confidence) >= {"rmse", "pearson", "spearman", "krippendorff_alpha", "ci95"} and "mae" in confidence["ci95"]
    assert result["fields"]["topics"]["n"] == 0  # no gold column for it
    # every disagreement is a real one, with its row's text and number
    wrong = [d for d in result["disagreements"] if d["field"] == "sentiment"]
    assert len(wrong) == sum(a != b for a, b in zip(g, m))
    first = wrong[0]
    assert first["gold"] != first["model"] and first["row"] == int(first["row_id"][1:]) + 1 and "Review:" in first["text"]
    # the import was saved with the job, under the file's name, and the result kept for these instructions
    store = GoldStore(engine.store)
    assert store.coders(job_id) == ["alice"]
    last = store.last_result(engine.spec(job_id))
    assert last is not None and last["kind"] == "job" and last["job_id"] == job_id
    assert last["result"]["fields"] == result["fields"] and last["result"]["disagreement_count"] == len(result["disagreements"])
    changed = engine.spec(job_id)
    changed.instructions += " Be strict."
    assert store.last_result(changed) is None


def test_validate_plain_summary_then_with_stored_labels_and_a_second_coder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine, job_id = make_job()
    code, out, _ = run_cli(capsys, "validate", job_id, "--gold", str(write_gold(tmp_path / "g.csv")), "--coder", "alice", "--resamples", "50")
    assert code == 0
    assert "Saved 30 hand-coded rows by alice" in out
    assert "27 compared (90% of them)" in out and "1 failed, 2 refused" in out
    assert "Cohen's κ" in out and "Krippendorff's α" in out and "macro-F1" in out
    # a second person codes some of the same rows in the app
    store = GoldStore(engine.store)
    for row_id, values in list(store.labels(job_id, "alice")["alice"].items())[:12]:
        store.set_label(job_id, "bob", row_id, {"sentiment": "neutral" if row_id == "R001" else values["sentiment"]})
    code, out, _ = run_cli(capsys, "validate", job_id, "--json", "--resamples", "50")
    result = json.loads(out)
    assert result["coders"] == ["alice", "bob"] and result["coder"] is None  # majority of the coders
    human = result["human"]["sentiment"]
    assert human["coders"] == ["alice", "bob"] and human["n"] == 12 and human["accuracy"] == pytest.approx(11 / 12)
    code, out, _ = run_cli(capsys, "validate", job_id, "--coder", "bob", "--json", "--resamples", "0")
    assert json.loads(out)["rows_with_gold"] == 12
    code, _, err = run_cli(capsys, "validate", job_id, "--coder", "carol")
    assert code == 2 and 'No labels by "carol"' in err and "alice, bob" in err


def test_validate_on_the_test_part_of_the_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine, job_id = make_job()
    run_cli(capsys, "validate", job_id, "--gold", str(write_gold(tmp_path / "g.csv", rows=40)), "--resamples", "0")
    sample = draw_sample([f"R{i:03d}" for i in range(1, 41)], 20, seed=3)
    GoldStore(engine.store).save_sample(job_id, sample)
    code, out, _ = run_cli(capsys, "validate", job_id, "--part", "test", "--json", "--resamples", "0")
    assert code == 0 and json.loads(out)["rows_with_gold"] == len(sample.part("test")) == 10


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ([["text", "sentiment"], ["hello", "positive"]], ["No ID column"]),
        ([["review_id", "sentiment"], ["R001", "positve"], ["R404", "neutral"], ["R002", "happy"]],
         ["Found 3 problems", "Row 2", '"positve" is not one of', 'Row 3, column "review_id": the ID "R404" is not a row', "Row 4"]),
        ([["review_id", "sentiment"]], ["no rows"]),
    ],
)
def test_bad_gold_files_get_one_plain_message_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[list[str]], words: list[str]
) -> None:
    engine, job_id = make_job()
    path = tmp_path / "bad.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    code, out, err = run_cli(capsys, "validate", job_id, "--gold", str(path))
    assert code == 2 and out == ""
    assert err.startswith("Error: ") and "Traceback" not in err
    for word in words:
        assert word in err
    assert GoldStore(engine.store).coders(job_id) == []  # nothing saved from a bad file


def test_map_option_and_gold_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine, job_id = make_job()
    path = tmp_path / "coded.csv"
    pd.DataFrame({"review_id": ["R001", "R002"], "tone": ["positive", "negative"], "tags": ["price; quality", "[]"]}).to_csv(path, index=False)
    code, out, err = run_cli(capsys, "validate", job_id, "--gold", str(path), "--map", "sentiment=tone", "--map", "topics=tags", "--resamples", "0")
    assert code == 0, err
    assert "sentiment ← tone, topics ← tags" in out
    code, _, err = run_cli(capsys, "validate", job_id, "--gold", str(path), "--map", "sentiment")
    assert code == 2 and "FIELD=COLUMN" in err
    out_path = tmp_path / "gold-out.csv"
    code, out, _ = run_cli(capsys, "gold-export", job_id, "--out", str(out_path))
    assert code == 0 and "2 hand-coded rows by 1 coder" in out
    frame = pd.read_csv(out_path, dtype=str, keep_default_na=False)
    assert frame[["coder", "row_id", "sentiment", "topics"]].values.tolist() == [
        ["coded", "R001", "positive", "price; quality"], ["coded", "R002", "negative", ""],
    ]
    assert list(frame.columns)[2:7] == ["sentiment", "confidence", "mentions_price", "topics", "quote"]
    code, _, err = run_cli(capsys, "gold-export", job_id, "--out", str(tmp_path / "gold.txt"))
    assert code == 2 and ".csv" in err


def test_validate_without_any_gold_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    _, job_id = make_job()
    code, _, err = run_cli(capsys, "validate", job_id)
    assert code == 2 and "no hand-coded rows" in err
    code, _, err = run_cli(capsys, "validate", "nojob")
    assert code == 2 and 'no job "nojob"' in err


def test_pilot_answers_on_gold_rows_are_validated_the_same_way() -> None:
    spec = load_spec(SAMPLE / "reviews-demo.json")
    gold = {"R001": {"sentiment": "positive"}, "R002": {"sentiment": "negative"}, "R003": {"sentiment": "neutral"}, "R077": {"sentiment": "neutral"}}
    pilot = {
        rid: RowResult(row_id=rid, status=status, reason="", values=values, input_tokens=None, output_tokens=None, cost=None, attempt=0)
        for rid, status, values in [("R001", "coded", {"sentiment": "positive"}), ("R002", "coded", {"sentiment": "neutral"}), ("R003", "truncated", {})]
    }
    result = validate_rows(spec, gold, pilot, resamples=0)
    assert result.rows_with_gold == 3 and result.rows_compared == 2 and result.not_coded == {"truncated": 1}
    assert result.unknown_ids == ["R077"]
    assert result.fields["sentiment"]["accuracy"] == 0.5
    assert [(d["row_id"], d["gold"], d["model"]) for d in result.disagreements] == [("R002", "negative", "neutral")]


@pytest.mark.slow
def test_a_demo_job_validated_against_twenty_hand_coded_rows(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCHLAB_POLL_SECONDS", "0.2")
    code, out, err = run_cli(capsys, "run", str(ROOT / "examples" / "demo-reviews.json"), "--wait")
    assert code == 0, err
    engine = Engine(Path(os.environ["BATCHLAB_HOME"]), KeyStore())
    [job] = engine.jobs()
    frame = load_table(SAMPLE / "reviews.csv").frame.head(20)
    store = GoldStore(engine.store)
    for row_id, stars in zip(frame["review_id"], frame["stars"]):  # a person codes 20 rows, one at a time
        store.set_label(job.id, "alice", row_id, {"sentiment": _sentiment(stars), "mentions_price": False})
    code, out, err = run_cli(capsys, "validate", job.id, "--json", "--resamples", "100")
    assert code == 0, err
    result = json.loads(out)
    model = {r.row_id: r.values for r in engine.rows(job.id)}
    gold = [_sentiment(s) for s in frame["stars"]]
    answered = [model[r]["sentiment"] for r in frame["review_id"]]
    assert result["rows_with_gold"] == result["rows_compared"] == 20 and result["not_coded"] == {}
    assert result["fields"]["sentiment"]["accuracy"] == pytest.approx(accuracy_score(gold, answered), abs=1e-6)
    assert result["fields"]["mentions_price"]["n"] == 20


def test_pilot_on_the_development_rows_validates_the_instructions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from app.core.research.validate import pilot_on_gold
    from app.core.simulator import Scenario, SimulatedService
    from app.core.simulator.scenario import TextRule

    key = "sk-test-pilot-gold-000000000000"
    sim = SimulatedService(scenario=Scenario(text_rules=[TextRule("Motor burnt out", "refusal")]), api_key=key)
    sim.start()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", sim.openai_base_url)
        keys = KeyStore()
        keys.set("openai", key)
        spec = load_spec(SAMPLE / "reviews-demo.json")
        spec.provider, spec.model, spec.rows_per_request = "openai", "gpt-5.4-mini", 1
        table = load_table(SAMPLE / "reviews.csv")
        gold = {r: {"sentiment": _sentiment(s)} for r, s in zip(table.frame["review_id"], table.frame["stars"])}
        rows = [r for r in draw_sample(list(gold), 12, seed=1).part("dev") if r != "R002"] + ["R002"]
        store = GoldStore(Store(tmp_path / "history.sqlite3"))
        result = pilot_on_gold(spec, table, gold, rows=rows, keys=keys, resamples=0, store=store)
        assert sim.stats()["direct_calls"] == len(rows)  # only the chosen rows were sent
        assert result.rows_with_gold == len(rows)
        assert result.not_coded == {"refused": 1} and result.rows_compared == len(rows) - 1  # R002's text is refused
        assert result.disagreements  # the simulator's answers are not the hand coding
        last = store.last_result(spec)
        assert last is not None and last["kind"] == "pilot" and last["result"]["rows_compared"] == len(rows) - 1
        for entry in result.disagreements:
            assert entry["row"] == int(entry["row_id"][1:]) + 1 and entry["text"].startswith("Title: ")
    finally:
        sim.stop()


def test_three_coders_majority_gold_and_their_alpha() -> None:
    from app.core.research.stats import krippendorff_alpha
    from app.core.research.validate import consensus, human_agreement

    spec = load_spec(SAMPLE / "reviews-demo.json")
    codes = {"ana": "ppnnu", "ben": "pnnnp", "cai": "nnnpn"}  # p/n/u: positive/negative/neutral, per row R001…
    words = {"p": "positive", "n": "negative", "u": "neutral"}
    by_coder = {c: {f"R00{i + 1}": {"sentiment": words[k], "topics": ["price"] if k == "p" else []} for i, k in enumerate(v)} for c, v in codes.items()}
    merged = consensus(spec.fields, list(by_coder.values()))
    # two or three agree on rows 1-4; row 5 is a tie of three different answers: the earliest coder wins
    assert [merged[f"R00{i}"]["sentiment"] for i in range(1, 6)] == ["positive", "negative", "negative", "negative", "neutral"]
    human = human_agreement(spec.fields, by_coder, resamples=100)
    expected = krippendorff_alpha([[v["sentiment"] for v in labels.values()] for labels in by_coder.values()], "nominal")
    assert human["sentiment"]["coders"] == ["ana", "ben", "cai"] and human["sentiment"]["n"] == 5
    assert human["sentiment"]["krippendorff_alpha"] == pytest.approx(expected, abs=1e-9)
    assert set(human["sentiment"]["ci95"]) == {"krippendorff_alpha"}
