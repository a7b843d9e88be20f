"""How well one set of answers matches another, per field: the figures a methods section reports.

``field_metrics(field, gold, model)`` compares two aligned lists (None = no value; such pairs
are left out) and returns a JSON-ready dict whose shape depends on the field's type:

- category, boolean: accuracy, Cohen's κ, Krippendorff's α (nominal), precision/recall/F1/support
  per label, macro- and micro-F1, the confusion matrix (gold label → model label → count);
- number, integer: MAE, RMSE, Pearson and Spearman correlation, Krippendorff's α (interval);
- list: precision/recall/F1/support and α (present/absent) per label, macro- and micro-F1 over
  labels, exact-set accuracy;
- text: the share of exact matches after normalising case and whitespace.

Point figures are scikit-learn's (default labels: those present in either list; zero_division=0),
SciPy's and the ``krippendorff`` package's; ``ci95`` holds seeded percentile bootstrap intervals.
An undefined figure (κ with a single label, a correlation of constants) is None, never NaN.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from app.core.research.stats import (
    alpha_reading,
    confusion_figures,
    finite,
    interval_alpha_of_units,
    nominal_alpha_of_counts,
    percentile_ci,
    resample_indices,
)
from app.core.spec import FieldSpec

#: Figures of a block of resamples (rows of unit indices): name -> one value per resample (NaN: undefined).
Resampled = Callable[[np.ndarray], dict[str, np.ndarray]]


def label_text(value: Any) -> str:
    """A label as a JSON key: booleans as "true"/"false", everything else as its text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalise_text(value: str) -> str:
    """Case and runs of whitespace do not count when texts are compared."""
    return " ".join(str(value).split()).casefold()


def _ordered_labels(field: FieldSpec, present: set[str]) -> list[str]:
    """The labels present, in the codebook's order (then any others alphabetically)."""
    preferred = list(field.choices) if field.choices else (["true", "false"] if field.type == "boolean" else [])
    return [c for c in preferred if c in present] + sorted(present - set(preferred))


def _intervals(figures: Resampled, n: int, resamples: int, seed: int) -> dict[str, list[float] | None]:
    """Percentile 95% intervals of each figure over seeded bootstrap resamples of the compared rows."""
    if not resamples:
        return {}
    parts: dict[str, list[np.ndarray]] = {}
    for block in resample_indices(n, resamples, seed):
        for name, values in figures(block).items():
            parts.setdefault(name, []).append(values)
    intervals = {name: percentile_ci(np.concatenate(values)) for name, values in parts.items()}
    return {name: [ci[0], ci[1]] if ci else None for name, ci in intervals.items()}


def _quiet(call: Callable[[], Any]) -> Any:
    """Run a library call whose warnings about undefined figures we report as None instead."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return call()


def _pair_counts(first: np.ndarray, second: np.ndarray, width: int) -> np.ndarray:
    """Units × values counts for two coders' value codes (Krippendorff's value-by-unit table)."""
    counts = np.zeros((len(first), width), dtype=np.int64)
    rows = np.arange(len(first))
    np.add.at(counts, (rows, first), 1)
    np.add.at(counts, (rows, second), 1)
    return counts


def _categorical(field: FieldSpec, gold: list[Any], model: list[Any], resamples: int, seed: int) -> dict[str, Any]:
    from sklearn.metrics import (
        accuracy_score,
        cohen_kappa_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
    )

    g = [label_text(v) for v in gold]
    m = [label_text(v) for v in model]
    labels = _ordered_labels(field, set(g) | set(m))
    code = {label: i for i, label in enumerate(labels)}
    gc, mc, k = np.array([code[v] for v in g]), np.array([code[v] for v in m]), len(labels)
    precision, recall, f1, support = _quiet(lambda: precision_recall_fscore_support(g, m, labels=labels, zero_division=0))
    cm = _quiet(lambda: confusion_matrix(g, m, labels=labels))
    alpha = nominal_alpha_of_counts(_pair_counts(gc, mc, k))

    def resampled(block: np.ndarray) -> dict[str, np.ndarray]:
        cells = gc[block] * k + mc[block] + (np.arange(len(block)) * k * k)[:, None]
        return confusion_figures(np.bincount(cells.ravel(), minlength=len(block) * k * k).reshape(-1, k, k))

    n = len(g)
    return {
        "n": n,
        "accuracy": float(accuracy_score(g, m)),
        "cohen_kappa": finite(_quiet(lambda: cohen_kappa_score(g, m))),
        "krippendorff_alpha": alpha,
        "reading": alpha_reading(alpha),
        "macro_f1": float(_quiet(lambda: f1_score(g, m, average="macro", zero_division=0))),
        "micro_f1": float(_quiet(lambda: f1_score(g, m, average="micro", zero_division=0))),
        "per_label": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "confusion": {gl: {ml: int(cm[i, j]) for j, ml in enumerate(labels)} for i, gl in enumerate(labels)},
        "ci95": _intervals(resampled, n, resamples, seed),
    }


def _numeric(gold: list[Any], model: list[Any], resamples: int, seed: int) -> dict[str, Any]:
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import mean_absolute_error, mean_squared_error

    g, m = np.asarray(gold, dtype=np.float64), np.asarray(model, dtype=np.float64)
    alpha = interval_alpha_of_units(np.column_stack([g, m]))
    n = len(g)
    enough = n >= 2
    # Interval α of two complete coders by its closed form (see stats.interval_alpha_of_units):
    # per row the squared difference, the sum and the sum of squares are all a resample needs.
    with np.errstate(all="ignore"):  # values past 1e154 overflow their squares; α is then undefined
        gap, both, squares = np.abs(g - m), g + m, g * g + m * m

    def resampled(block: np.ndarray) -> dict[str, np.ndarray]:
        pairable = 2 * block.shape[1]
        with np.errstate(all="ignore"):
            expected = pairable * squares[block].sum(axis=1) - both[block].sum(axis=1) ** 2
            observed = (gap[block] ** 2).sum(axis=1)
            alpha = np.where(expected > 0, 1 - (pairable - 1) * observed / expected, np.nan)
        return {"mae": gap[block].mean(axis=1), "krippendorff_alpha": alpha}

    return {
        "n": n,
        "mae": finite(_quiet(lambda: mean_absolute_error(g, m))),  # None, not inf, when a value overflows
        "rmse": finite(_quiet(lambda: math.sqrt(mean_squared_error(g, m)))),
        "pearson": finite(_quiet(lambda: pearsonr(g, m).statistic)) if enough else None,
        "spearman": finite(_quiet(lambda: spearmanr(g, m).statistic)) if enough else None,
        "krippendorff_alpha": alpha,
        "reading": alpha_reading(alpha),
        "ci95": _intervals(resampled, n, resamples, seed),
    }


def _lists(field: FieldSpec, gold: list[Any], model: list[Any], resamples: int, seed: int) -> dict[str, Any]:
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    labels = _ordered_labels(field, {str(v) for answer in (*gold, *model) for v in answer})
    column = {label: j for j, label in enumerate(labels)}
    n = len(gold)

    def indicator(answers: list[Any]) -> np.ndarray:
        matrix = np.zeros((n, len(labels)), dtype=bool)
        for i, answer in enumerate(answers):
            matrix[i, [column[str(v)] for v in answer]] = True
        return matrix

    yg, ym = indicator(gold), indicator(model)
    exact = (yg == ym).all(axis=1)
    out: dict[str, Any] = {"n": n, "labels": len(labels), "exact_set_accuracy": float(exact.mean())}
    per_label: dict[str, dict[str, Any]] = {}
    if labels:
        precision, recall, f1, support = precision_recall_fscore_support(yg, ym, average=None, zero_division=0)
        for j, label in enumerate(labels):
            alpha = nominal_alpha_of_counts(_pair_counts(yg[:, j].astype(int), ym[:, j].astype(int), 2))
            per_label[label] = {
                "precision": float(precision[j]), "recall": float(recall[j]), "f1": float(f1[j]),
                "support": int(support[j]), "krippendorff_alpha": alpha, "reading": alpha_reading(alpha),
            }
    out["per_label"] = per_label
    out["macro_f1"] = float(f1_score(yg, ym, average="macro", zero_division=0)) if labels else None
    out["micro_f1"] = float(f1_score(yg, ym, average="micro", zero_division=0)) if labels else None
    hits, marked = (yg & ym).astype(np.int64), yg.astype(np.int64) + ym.astype(np.int64)

    def resampled(block: np.ndarray) -> dict[str, np.ndarray]:
        figures = {"exact_set_accuracy": exact[block].mean(axis=1)}
        if labels:  # macro-F1 over every label column, as scikit-learn computes it for indicator matrices
            tp, denominator = hits[block].sum(axis=1), marked[block].sum(axis=1)
            f1 = np.divide(2 * tp, denominator, out=np.zeros(tp.shape), where=denominator > 0)
            figures["macro_f1"] = f1.mean(axis=1)
        return figures

    out["ci95"] = _intervals(resampled, n, resamples, seed)
    return out


def _texts(gold: list[Any], model: list[Any], resamples: int, seed: int) -> dict[str, Any]:
    same = np.array([normalise_text(g) == normalise_text(m) for g, m in zip(gold, model)], dtype=bool)
    n = len(same)
    ci95 = _intervals(lambda block: {"exact_match": same[block].mean(axis=1)}, n, resamples, seed)
    return {"n": n, "exact_match": float(same.mean()), "ci95": ci95}


def _empty(field: FieldSpec) -> dict[str, Any]:
    """The figures' keys with no values: nothing to compare."""
    keys = {
        "category": ("accuracy", "cohen_kappa", "krippendorff_alpha", "macro_f1", "micro_f1"),
        "boolean": ("accuracy", "cohen_kappa", "krippendorff_alpha", "macro_f1", "micro_f1"),
        "number": ("mae", "rmse", "pearson", "spearman", "krippendorff_alpha"),
        "integer": ("mae", "rmse", "pearson", "spearman", "krippendorff_alpha"),
        "list": ("exact_set_accuracy", "macro_f1", "micro_f1"),
        "text": ("exact_match",),
    }[field.type]
    out: dict[str, Any] = {"n": 0, **dict.fromkeys(keys), "ci95": {}}
    if "krippendorff_alpha" in keys:
        out["reading"] = alpha_reading(None)
    if field.type in ("category", "boolean", "list"):
        out["per_label"] = {}
    if field.type in ("category", "boolean"):
        out["confusion"] = {}
    return out


def field_metrics(
    field: FieldSpec, gold: Sequence[Any], model: Sequence[Any], *, resamples: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Compare aligned gold and model answers of one field; pairs with a None on either side are left out."""
    pairs = [(g, m) for g, m in zip(gold, model) if g is not None and m is not None]
    g = [p[0] for p in pairs]
    m = [p[1] for p in pairs]
    if not pairs:
        figures = _empty(field)
    elif field.type in ("category", "boolean"):
        figures = _categorical(field, g, m, resamples, seed)
    elif field.type in ("number", "integer"):
        figures = _numeric(g, m, resamples, seed)
    elif field.type == "list":
        figures = _lists(field, g, m, resamples, seed)
    else:
        figures = _texts(g, m, resamples, seed)
    return {"type": field.type, **figures}
