"""Agreement across runs: every α equals the ``krippendorff`` package's on generated runs."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pytest

from app.core.research.agreement import agreement_columns, agreement_of, alpha_chart
from app.core.research.stats import bootstrap_ci
from app.core.spec import FieldSpec

FIELDS = [
    FieldSpec("tone", "category", choices=["positive", "neutral", "negative"]),
    FieldSpec("score", "number", minimum=0, maximum=1),
    FieldSpec("price", "boolean"),
    FieldSpec("topics", "list", choices=["quality", "price", "service"]),
    FieldSpec("quote", "text"),
]
ROWS = [f"r{i}" for i in range(80)]
MISSING_FROM_RUN_3 = {"r3", "r10", "r41", "r77"}


def _runs(seed: int = 1, noise: float = 0.25) -> dict[str, dict[str, dict[str, Any]]]:
    rng = random.Random(seed)
    truth = {
        r: {
            "tone": rng.choice(FIELDS[0].choices),
            "score": round(rng.random(), 2),
            "price": rng.random() < 0.4,
            "topics": sorted(rng.sample(FIELDS[3].choices, rng.randint(0, 3))),
            "quote": f"Quote {r}",
        }
        for r in ROWS
    }
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    for k in (1, 2, 3):
        values = {}
        for r in ROWS:
            if k == 3 and r in MISSING_FROM_RUN_3:
                continue  # this run did not code these rows
            v = dict(truth[r])
            if rng.random() < noise:
                v["tone"] = rng.choice(FIELDS[0].choices)
                v["score"] = round(min(1.0, max(0.0, v["score"] + rng.uniform(-0.3, 0.3))), 2)
                v["price"] = not v["price"]
                v["topics"] = sorted(rng.sample(FIELDS[3].choices, rng.randint(0, 3)))
                v["quote"] = v["quote"].upper() + "  "
            values[r] = v
        runs[f"job{k}"] = values
    return runs


def _package_alpha(matrix: list[list[Any]], level: str) -> float:
    return float(krippendorff.alpha(reliability_data=np.array(matrix, dtype=float), level_of_measurement=level))


def _coded(values: list[Any], domain: list[Any]) -> list[float]:
    return [float(domain.index(v)) for v in values]


def test_alpha_equals_the_krippendorff_package_on_rows_every_run_coded() -> None:
    runs = _runs()
    result = agreement_of(FIELDS, runs, resamples=50, seed=3)
    common = [r for r in ROWS if r not in MISSING_FROM_RUN_3]
    assert result.rows_compared == len(common) == 76
    assert result.rows_coded == {"job1": 80, "job2": 80, "job3": 76}
    ids = list(runs)
    tone = [_coded([runs[j][r]["tone"] for r in common], FIELDS[0].choices) for j in ids]
    assert result.fields["tone"]["krippendorff_alpha"] == pytest.approx(_package_alpha(tone, "nominal"), abs=1e-6)
    price = [[float(runs[j][r]["price"]) for r in common] for j in ids]
    assert result.fields["price"]["krippendorff_alpha"] == pytest.approx(_package_alpha(price, "nominal"), abs=1e-6)
    score = [[runs[j][r]["score"] for r in common] for j in ids]
    assert result.fields["score"]["krippendorff_alpha"] == pytest.approx(_package_alpha(score, "interval"), abs=1e-6)
    for label in FIELDS[3].choices:
        present = [[float(label in runs[j][r]["topics"]) for r in common] for j in ids]
        figure = result.fields["topics"]["per_label"][label]["krippendorff_alpha"]
        assert figure == pytest.approx(_package_alpha(present, "nominal"), abs=1e-6)
    for k, run in enumerate(ids[1:], start=1):  # each run against the first, for the chart
        pair = [tone[0], tone[k]]
        assert result.pairwise[run]["tone"] == pytest.approx(_package_alpha(pair, "nominal"), abs=1e-6)
    pooled = [[float(label in runs[j][r]["topics"]) for r in common for label in FIELDS[3].choices] for j in ids]
    assert result.fields["topics"]["krippendorff_alpha"] == pytest.approx(_package_alpha(pooled, "nominal"), abs=1e-6)
    assert result.fields["quote"]["krippendorff_alpha"] is None


def test_interval_is_the_bootstrap_of_the_package_alpha_and_reproducible() -> None:
    runs = _runs()
    result = agreement_of(FIELDS, runs, resamples=40, seed=7)
    common = [r for r in ROWS if r not in MISSING_FROM_RUN_3]
    tone = np.array([_coded([runs[j][r]["tone"] for r in common], FIELDS[0].choices) for j in runs])

    def package(idx: np.ndarray) -> float | None:
        sample = tone[:, idx]
        if len(np.unique(sample)) < 2:
            return None
        return _package_alpha(sample.tolist(), "nominal")

    expected = bootstrap_ci(package, len(common), resamples=40, seed=7)
    assert expected is not None
    assert result.fields["tone"]["ci95"] == pytest.approx(list(expected), abs=1e-6)
    low, high = result.fields["tone"]["ci95"]
    assert low <= result.fields["tone"]["krippendorff_alpha"] <= high
    again = agreement_of(FIELDS, runs, resamples=40, seed=7)
    assert again.fields["score"]["ci95"] == result.fields["score"]["ci95"]


def test_all_agree_majority_and_disagreements() -> None:
    runs = _runs()
    result = agreement_of(FIELDS, runs, resamples=10)
    common = [r for r in ROWS if r not in MISSING_FROM_RUN_3]
    tone_sets = {r: [runs[j][r]["tone"] for j in runs] for r in common}
    same = sum(len(set(v)) == 1 for v in tone_sets.values())
    assert result.fields["tone"]["all_agree"] == pytest.approx(same / len(common))
    columns = agreement_columns(result)
    assert set(columns) == {f"{f.name}__{part}" for f in FIELDS for part in ("majority", "agreement")}
    for r, answers in tone_sets.items():
        top = max(answers.count(a) for a in answers)
        assert columns["tone__agreement"][r] == pytest.approx(top / 3)
        assert answers.count(columns["tone__majority"][r]) == top
    # a quote that differs only in case and spacing counts as the same answer; lists keep their form
    assert all(columns["quote__agreement"][r] == 1.0 for r in common)
    assert all(isinstance(columns["topics__majority"][r], list) for r in common)
    tone_disagreements = {d["row_id"] for d in result.disagreements if d["field"] == "tone"}
    assert tone_disagreements == {r for r, v in tone_sets.items() if len(set(v)) > 1}
    sample = next(d for d in result.disagreements if d["field"] == "tone")
    assert set(sample["answers"]) == {"job1", "job2", "job3"}


def test_identical_runs_agree_fully_and_json_has_the_documented_shape(tmp_path: Path) -> None:
    runs = _runs(noise=0.0)
    result = agreement_of(FIELDS, runs, resamples=20)
    assert result.fields["tone"]["krippendorff_alpha"] == pytest.approx(1.0)
    assert result.fields["tone"]["all_agree"] == 1.0 and result.fields["tone"]["reading"] == "reliable"
    assert not result.disagreements
    data = result.to_json()
    assert data["runs"] == ["job1", "job2", "job3"] and data["rows_compared"] == 76
    assert {"krippendorff_alpha", "ci95", "all_agree"} <= set(data["fields"]["score"])
    chart = alpha_chart([result, agreement_of(FIELDS, _runs(), resamples=20)], tmp_path / "alpha.png")
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert alpha_chart(agreement_of(FIELDS, _runs(), resamples=20), tmp_path / "one.svg").read_text().startswith("<?xml")
