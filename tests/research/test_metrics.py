"""Every validation figure equals scikit-learn's, SciPy's or the krippendorff package's, edge cases included."""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import krippendorff
import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_fscore_support,
)
from sklearn.preprocessing import MultiLabelBinarizer

from app.core.research.metrics import field_metrics
from app.core.spec import FieldSpec

CATEGORY = FieldSpec("sentiment", "category", choices=["positive", "neutral", "negative"])
BOOLEAN = FieldSpec("mentions_price", "boolean")
NUMBER = FieldSpec("confidence", "number")
INTEGER = FieldSpec("stars", "integer")
LIST = FieldSpec("topics", "list", choices=["quality", "price", "service", "delivery"])
TEXT = FieldSpec("quote", "text")


def _quiet(call: Any) -> Any:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return call()


def _close(got: float | None, expected: float) -> None:
    if math.isfinite(expected):
        assert got == pytest.approx(expected, abs=1e-6)
    else:
        assert got is None  # undefined: null in JSON, never NaN


def _nominal_alpha(gold: list[Any], model: list[Any]) -> float | None:
    codes = {v: float(i) for i, v in enumerate(sorted({str(x) for x in gold + model}))}
    data = np.array([[codes[str(v)] for v in gold], [codes[str(v)] for v in model]])
    try:
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    except ValueError:
        return None


def _check_categorical(field: FieldSpec, gold: list[Any], model: list[Any]) -> dict[str, Any]:
    """Compare with the libraries on the pairs where both sides have a value."""
    result = field_metrics(field, gold, model, resamples=200, seed=1)
    pairs = [(g, m) for g, m in zip(gold, model) if g is not None and m is not None]
    g = [str(p[0]).lower() for p in pairs]
    m = [str(p[1]).lower() for p in pairs]
    assert result["type"] == field.type and result["n"] == len(pairs)
    _close(result["accuracy"], accuracy_score(g, m))
    _close(result["cohen_kappa"], _quiet(lambda: cohen_kappa_score(g, m)))
    _close(result["macro_f1"], _quiet(lambda: f1_score(g, m, average="macro", zero_division=0)))
    _close(result["micro_f1"], _quiet(lambda: f1_score(g, m, average="micro", zero_division=0)))
    alpha = _nominal_alpha(g, m)
    if alpha is None or not math.isfinite(alpha):
        assert result["krippendorff_alpha"] is None
    else:
        assert result["krippendorff_alpha"] == pytest.approx(alpha, abs=1e-6)
    labels = sorted(set(g) | set(m))  # scikit-learn's default labels
    precision, recall, f1, support = _quiet(lambda: precision_recall_fscore_support(g, m, zero_division=0))
    assert sorted(result["per_label"]) == labels
    for i, label in enumerate(labels):
        figures = result["per_label"][label]
        _close(figures["precision"], precision[i])
        _close(figures["recall"], recall[i])
        _close(figures["f1"], f1[i])
        assert figures["support"] == support[i]
    cm = _quiet(lambda: confusion_matrix(g, m, labels=labels))
    for i, gold_label in enumerate(labels):
        for j, model_label in enumerate(labels):
            assert result["confusion"][gold_label][model_label] == cm[i, j]
    json.dumps(result, allow_nan=False)  # never NaN in JSON
    return result


@pytest.mark.parametrize("seed", range(8))
def test_category_figures_equal_scikit_learn_and_krippendorff(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    gold = list(rng.choice(CATEGORY.choices, n))
    model = [g if rng.random() < 0.75 else str(rng.choice(CATEGORY.choices)) for g in gold]
    result = _check_categorical(CATEGORY, gold, model)
    ci = result["ci95"]
    for key in ("accuracy", "cohen_kappa", "krippendorff_alpha", "macro_f1"):
        low, high = ci[key]
        assert low <= result[key] + 1e-9 and result[key] - 1e-9 <= high
    assert result["reading"] in ("reliable", "tentative conclusions only", "not reliable")


def test_boolean_figures_equal_scikit_learn() -> None:
    rng = np.random.default_rng(11)
    gold = [bool(x) for x in rng.integers(0, 2, 120)]
    model = [g if rng.random() < 0.8 else not g for g in gold]
    result = _check_categorical(BOOLEAN, gold, model)
    assert set(result["per_label"]) == {"true", "false"}


def test_one_label_only() -> None:
    result = _check_categorical(CATEGORY, ["positive"] * 6, ["positive"] * 6)
    assert result["accuracy"] == 1.0 and result["cohen_kappa"] is None and result["krippendorff_alpha"] is None
    assert result["reading"] == "undefined" and result["ci95"]["cohen_kappa"] is None


def test_a_label_never_predicted() -> None:
    gold = ["positive", "neutral", "negative", "neutral", "positive", "negative", "neutral"]
    model = ["positive", "positive", "negative", "positive", "positive", "negative", "negative"]
    result = _check_categorical(CATEGORY, gold, model)
    assert result["per_label"]["neutral"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 3}


def test_a_predicted_label_never_in_the_gold() -> None:
    result = _check_categorical(CATEGORY, ["positive", "negative", "positive"], ["neutral", "negative", "positive"])
    assert result["per_label"]["neutral"]["support"] == 0


def test_all_rows_agreeing() -> None:
    gold = ["positive", "neutral", "negative", "neutral"] * 5
    result = _check_categorical(CATEGORY, gold, list(gold))
    assert result["accuracy"] == result["cohen_kappa"] == result["krippendorff_alpha"] == result["macro_f1"] == 1.0
    assert result["ci95"]["accuracy"] == [1.0, 1.0] and result["reading"] == "reliable"


def test_missing_values_on_either_side_are_left_out() -> None:
    gold = ["positive", None, "negative", "neutral", None, "positive"]
    model = ["positive", "neutral", None, "neutral", "negative", "negative"]
    result = _check_categorical(CATEGORY, gold, model)
    assert result["n"] == 3


def test_nothing_to_compare_gives_nulls() -> None:
    for field in (CATEGORY, BOOLEAN, NUMBER, LIST, TEXT):
        result = field_metrics(field, [None, "x"], ["a", None])
        assert result["n"] == 0
        json.dumps(result, allow_nan=False)


@pytest.mark.parametrize("field", [NUMBER, INTEGER])
@pytest.mark.parametrize("seed", range(4))
def test_number_figures_equal_scikit_learn_scipy_and_krippendorff(field: FieldSpec, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 200))
    if field.type == "integer":
        gold = [int(v) for v in rng.integers(1, 6, n)]
        model = [int(min(5, max(1, g + rng.integers(-1, 2)))) for g in gold]
    else:
        gold = [float(v) for v in rng.random(n)]
        model = [g + float(rng.normal(0, 0.15)) for g in gold]
    gold[0] = None  # a missing gold value
    result = field_metrics(field, gold, model, resamples=200, seed=2)
    g, m = np.array(gold[1:], dtype=float), np.array(model[1:], dtype=float)
    assert result["n"] == n - 1
    _close(result["mae"], mean_absolute_error(g, m))
    _close(result["rmse"], math.sqrt(mean_squared_error(g, m)))
    _close(result["pearson"], pearsonr(g, m).statistic)
    _close(result["spearman"], spearmanr(g, m).statistic)
    _close(result["krippendorff_alpha"], krippendorff.alpha(reliability_data=np.vstack([g, m]), level_of_measurement="interval"))
    low, high = result["ci95"]["mae"]
    assert low <= result["mae"] <= high
    assert result["ci95"]["krippendorff_alpha"] is not None


def test_constant_numbers_have_no_correlation() -> None:
    result = field_metrics(NUMBER, [0.5, 0.5, 0.5], [0.2, 0.4, 0.9])
    assert result["pearson"] is None and result["spearman"] is None
    assert result["mae"] == pytest.approx(np.mean([0.3, 0.1, 0.4]))
    json.dumps(result, allow_nan=False)


def _check_lists(gold: list[Any], model: list[Any]) -> dict[str, Any]:
    result = field_metrics(LIST, gold, model, resamples=200, seed=3)
    pairs = [(g, m) for g, m in zip(gold, model) if g is not None and m is not None]
    labels = sorted({v for p in pairs for side in p for v in side})
    binarizer = MultiLabelBinarizer(classes=labels)
    yg = binarizer.fit_transform([p[0] for p in pairs])
    ym = binarizer.transform([p[1] for p in pairs])
    assert result["n"] == len(pairs)
    _close(result["exact_set_accuracy"], accuracy_score(yg, ym) if labels else 1.0)
    if labels:
        _close(result["macro_f1"], f1_score(yg, ym, average="macro", zero_division=0))
        _close(result["micro_f1"], f1_score(yg, ym, average="micro", zero_division=0))
        precision, recall, f1, support = precision_recall_fscore_support(yg, ym, zero_division=0)
        assert sorted(result["per_label"]) == labels
        for j, label in enumerate(labels):
            figures = result["per_label"][label]
            _close(figures["precision"], precision[j])
            _close(figures["recall"], recall[j])
            _close(figures["f1"], f1[j])
            assert figures["support"] == support[j]
            expected = _nominal_alpha(list(yg[:, j]), list(ym[:, j]))
            if expected is None or not math.isfinite(expected):
                assert figures["krippendorff_alpha"] is None
            else:
                assert figures["krippendorff_alpha"] == pytest.approx(expected, abs=1e-6)
    json.dumps(result, allow_nan=False)
    return result


@pytest.mark.parametrize("seed", range(5))
def test_list_figures_equal_scikit_learn_and_krippendorff(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 150))
    gold = [sorted(rng.choice(LIST.choices[:3], int(rng.integers(0, 3)), replace=False).tolist()) for _ in range(n)]
    model = [g if rng.random() < 0.6 else sorted(rng.choice(LIST.choices, int(rng.integers(0, 3)), replace=False).tolist()) for g in gold]
    result = _check_lists(gold, model)
    low, high = result["ci95"]["macro_f1"]
    assert low <= result["macro_f1"] + 1e-9 and result["macro_f1"] - 1e-9 <= high


def test_empty_list_answers() -> None:
    result = _check_lists([[], ["price"], [], ["quality", "price"]], [[], [], ["price"], ["price", "quality"]])
    assert result["exact_set_accuracy"] == 0.5
    nothing = _check_lists([[], []], [[], []])
    assert nothing["exact_set_accuracy"] == 1.0 and nothing["macro_f1"] is None and nothing["per_label"] == {}


def test_text_exact_match_ignores_case_and_spacing() -> None:
    result = field_metrics(TEXT, ["Great  value", "cheap", None, "Loud"], ["great value ", "Cheap!", "x", "loud"])
    assert result["n"] == 3 and result["exact_match"] == pytest.approx(2 / 3)
