"""The shared statistics agree with the krippendorff package and scikit-learn, and say "undefined" as None."""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score

from app.core.research.stats import (
    alpha_reading,
    bootstrap_ci,
    confusion_figures,
    krippendorff_alpha,
    percentile_ci,
    resample_indices,
)


def _reference(data: np.ndarray, level: str) -> float | None:
    try:
        value = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    except ValueError:
        return None
    return float(value) if np.isfinite(value) else None


def _as_lists(data: np.ndarray) -> list[list[float | None]]:
    return [[None if np.isnan(v) else float(v) for v in row] for row in data]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("level", ["nominal", "interval"])
def test_alpha_equals_the_krippendorff_package(seed: int, level: str) -> None:
    rng = np.random.default_rng(seed)
    coders, units = int(rng.integers(2, 5)), int(rng.integers(2, 60))
    data = rng.integers(0, int(rng.integers(2, 6)), (coders, units)).astype(float)
    data[rng.random(data.shape) < 0.25] = np.nan
    expected = _reference(data, level)
    got = krippendorff_alpha(_as_lists(data), level)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1e-6)


def test_interval_alpha_with_many_distinct_values_equals_the_package() -> None:
    rng = np.random.default_rng(7)
    truth = rng.random(150)
    data = np.vstack([truth + rng.normal(0, 0.1, 150), truth + rng.normal(0, 0.2, 150)])
    data[0, :5] = np.nan
    assert krippendorff_alpha(_as_lists(data), "interval") == pytest.approx(_reference(data, "interval"), abs=1e-6)


def test_nominal_alpha_of_labels_equals_the_package_on_codes() -> None:
    gold = ["a", "b", "a", "c", None, "b", "a"]
    model = ["a", "b", "b", "c", "a", None, "a"]
    codes = {"a": 0.0, "b": 1.0, "c": 2.0}
    data = np.array([[codes[v] if v else np.nan for v in row] for row in (gold, model)])
    assert krippendorff_alpha([gold, model], "nominal") == pytest.approx(_reference(data, "nominal"), abs=1e-6)


@pytest.mark.parametrize(
    "reliability",
    [
        [["a", "a", "a"], ["a", "a", "a"]],  # one value only: no disagreement is possible
        [["a", None, "b"], [None, "b", None]],  # no unit coded twice
        [[], []],
    ],
)
def test_alpha_is_none_when_undefined(reliability: list[list[object]]) -> None:
    assert krippendorff_alpha(reliability, "nominal") is None


def test_alpha_is_one_when_everyone_agrees_on_several_values() -> None:
    assert krippendorff_alpha([["a", "b", "c"], ["a", "b", "c"]], "nominal") == pytest.approx(1.0)
    assert krippendorff_alpha([[1, 2, 3], [1, 2, 3]], "interval") == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("alpha", "reading"),
    [(0.95, "reliable"), (0.800, "reliable"), (0.7999, "tentative conclusions only"), (0.667, "tentative conclusions only"),
     (0.6669, "not reliable"), (-0.2, "not reliable"), (None, "undefined")],
)
def test_alpha_reading_follows_krippendorffs_conventions(alpha: float | None, reading: str) -> None:
    assert alpha_reading(alpha) == reading


def test_bootstrap_interval_is_seeded_and_brackets_the_mean() -> None:
    values = np.random.default_rng(3).normal(10, 2, 400)
    mean = lambda idx: float(values[idx].mean())  # noqa: E731
    first = bootstrap_ci(mean, len(values), resamples=300, seed=5)
    assert first == bootstrap_ci(mean, len(values), resamples=300, seed=5)
    assert first != bootstrap_ci(mean, len(values), resamples=300, seed=6)
    assert first is not None and first[0] < values.mean() < first[1]
    # about ±1.96 standard errors
    assert first[1] - first[0] == pytest.approx(2 * 1.96 * values.std() / np.sqrt(len(values)), rel=0.2)


def test_bootstrap_interval_skips_undefined_resamples_and_is_none_when_all_are() -> None:
    assert bootstrap_ci(lambda idx: None, 10, resamples=20) is None
    assert bootstrap_ci(lambda idx: float("nan"), 10, resamples=20) is None
    assert bootstrap_ci(lambda idx: 1.0, 0) is None
    flaky = bootstrap_ci(lambda idx: None if idx[0] == 0 else 2.0, 5, resamples=50)
    assert flaky == (2.0, 2.0)


def test_resamples_are_seeded_and_drawn_in_blocks_for_big_samples() -> None:
    blocks = list(resample_indices(3_000_000, resamples=3, seed=1))
    assert [b.shape for b in blocks] == [(1, 3_000_000)] * 3
    small = np.vstack(list(resample_indices(50, resamples=200, seed=4)))
    assert small.shape == (200, 50) and small.min() >= 0 and small.max() < 50
    assert (small == np.vstack(list(resample_indices(50, resamples=200, seed=4)))).all()
    assert percentile_ci([None, float("nan")]) is None
    assert percentile_ci(np.array([1.0, np.nan, 3.0])) == (pytest.approx(1.05), pytest.approx(2.95))


@pytest.mark.parametrize("seed", range(20))
def test_confusion_figures_equal_scikit_learn_and_krippendorff(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 5))
    n = int(rng.integers(1, 30))
    gold = rng.integers(0, k + 1, n)  # label k may be present or absent
    model = rng.integers(0, k, n)
    cm = np.bincount(gold * (k + 1) + model, minlength=(k + 1) ** 2).reshape(k + 1, k + 1)
    stacked = confusion_figures(np.stack([cm, cm]))  # a stack of resamples gives one figure each
    figures = {name: values[1] for name, values in stacked.items()}
    assert figures["accuracy"] == pytest.approx(float((gold == model).mean()))
    assert figures["macro_f1"] == pytest.approx(f1_score(gold, model, average="macro", zero_division=0), abs=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns about a single label; we check its NaN below
        kappa = cohen_kappa_score(gold, model)
    for name, expected in (("cohen_kappa", kappa), ("krippendorff_alpha", _reference(np.vstack([gold, model]).astype(float), "nominal"))):
        if expected is not None and np.isfinite(expected):
            assert figures[name] == pytest.approx(expected, abs=1e-9)
        else:
            assert not np.isfinite(figures[name])
