"""Statistics shared by validation (model vs. people) and agreement (run vs. run).

Point figures come from well-kept libraries so that a reviewer can reproduce them: the
``krippendorff`` package for nominal α, scikit-learn for κ and F1 (see ``metrics.py``).
Two things are computed here directly, each checked against the library in the tests:

- interval α uses Krippendorff's closed form, because the package builds a units × values ×
  values array that does not fit in memory when numbers take many distinct values;
- the figures of bootstrap resamples are read off their confusion matrices, all at once, because
  calling the libraries a thousand times per field is what makes a validation slow.

"Undefined" is ``None`` everywhere (never NaN), so results go to JSON as ``null``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

#: Krippendorff's (2004) conventions for reading α.
RELIABLE = 0.800
TENTATIVE = 0.667


def finite(value: Any) -> float | None:
    """A plain float, or None for NaN, infinity and None."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def alpha_reading(alpha: float | None) -> str:
    """Krippendorff's reading of α: ≥ .800 reliable, .667–.800 tentative conclusions only, else not reliable."""
    if alpha is None:
        return "undefined"
    if alpha >= RELIABLE:
        return "reliable"
    if alpha >= TENTATIVE:
        return "tentative conclusions only"
    return "not reliable"


# ---- Krippendorff's alpha --------------------------------------------------------------------------
def value_counts(reliability: Sequence[Sequence[Any]]) -> tuple[np.ndarray, list[Any]]:
    """Units × values counts of how many coders gave each value to each unit; None is missing.

    ``reliability`` has one row per coder (or run) and one column per unit. Values are compared
    as they are (so ``True`` and ``"true"`` differ); the domain is sorted by its text for a
    stable order.
    """
    domain = sorted({v for row in reliability for v in row if v is not None}, key=lambda v: (str(type(v)), str(v)))
    index = {v: i for i, v in enumerate(domain)}
    n_units = len(reliability[0]) if reliability else 0
    counts = np.zeros((n_units, len(domain)), dtype=np.int64)
    for row in reliability:
        for unit, value in enumerate(row):
            if value is not None:
                counts[unit, index[value]] += 1
    return counts, domain


def nominal_alpha_of_counts(counts: np.ndarray) -> float | None:
    """Nominal α from a units × values count matrix (the ``krippendorff`` package does the work)."""
    import krippendorff

    if counts.shape[1] < 2 or not (counts.sum(axis=1) >= 2).any():
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        value = krippendorff.alpha(value_counts=counts, level_of_measurement="nominal")
    return finite(value)


def interval_alpha_of_units(values: np.ndarray) -> float | None:
    """Interval α of a units × coders float array (NaN = missing), by Krippendorff's closed form.

    With the squared difference as distance, both disagreements are sums of squares:
    D_o ∝ Σ_u (m_u·Σv² − (Σv)²)/(m_u − 1) over units with m_u ≥ 2 values, and
    D_e ∝ (n·Σv² − (Σv)²)/(n − 1) over those units' n values: exactly what the package computes.
    """
    present = ~np.isnan(values)
    m = present.sum(axis=1)
    pairable = m >= 2
    if not pairable.any():
        return None
    v = np.where(present, values, 0.0)[pairable]
    m = m[pairable].astype(np.float64)
    with np.errstate(all="ignore"):  # squares of values past 1e154 overflow: α is then undefined (None)
        s1, s2 = v.sum(axis=1), (v * v).sum(axis=1)
        n, t1, t2 = m.sum(), s1.sum(), s2.sum()
        expected = n * t2 - t1 * t1
        if not expected > 0 or n < 2:
            return None
        observed = ((m * s2 - s1 * s1) / (m - 1)).sum()
        return finite(1.0 - (n - 1) * observed / expected)


def interval_matrix(reliability: Sequence[Sequence[Any]]) -> np.ndarray:
    """Units × coders float array (NaN for missing) from coders × units values."""
    return np.array([[np.nan if v is None else float(v) for v in row] for row in reliability], dtype=np.float64).T


def krippendorff_alpha(reliability: list[list[Any]], level: str) -> float | None:
    """Krippendorff's α of coders × units data (None = missing), ``level`` "nominal" or "interval".

    None when α is undefined: fewer than two distinct values, or no unit with two values.
    """
    if level == "nominal":
        return nominal_alpha_of_counts(value_counts(reliability)[0])
    if level == "interval":
        return interval_alpha_of_units(interval_matrix(reliability))
    raise ValueError(f"level must be 'nominal' or 'interval', not {level!r}")


# ---- figures read off confusion matrices (for fast resampling) --------------------------------------------
def confusion_figures(cms: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, Cohen's κ, nominal α and macro-F1 of each of a stack of confusion matrices (…, k, k).

    Computed as scikit-learn and the krippendorff package compute them (macro-F1 over the labels
    present in either column, zero_division=0; α of two coders with a value each, whose coincidence
    matrix is cm + cmᵀ); NaN where a figure is undefined. A thousand resamples of a field then cost
    one array operation instead of a thousand library calls.
    """
    cms = np.asarray(cms, dtype=np.float64)
    total = cms.sum(axis=(-2, -1))
    hits = np.trace(cms, axis1=-2, axis2=-1)
    gold, model = cms.sum(axis=-1), cms.sum(axis=-2)
    with np.errstate(all="ignore"):
        accuracy = hits / total
        expected = (gold * model).sum(axis=-1) / total
        kappa = (hits - expected) / (total - expected)
        n = 2 * total  # pairable values: two per unit
        marginals = gold + model
        alpha = 1 - (n - 1) * (n - 2 * hits) / (n * n - (marginals * marginals).sum(axis=-1))
        present = marginals > 0
        f1 = np.where(present, 2 * np.diagonal(cms, axis1=-2, axis2=-1) / np.where(present, marginals, 1), 0.0)
        macro_f1 = f1.sum(axis=-1) / present.sum(axis=-1)
    return {"accuracy": accuracy, "cohen_kappa": kappa, "krippendorff_alpha": alpha, "macro_f1": macro_f1}


# ---- bootstrap -----------------------------------------------------------------------------------------
#: Index draws are made in blocks of about this many numbers, so memory stays small for big samples.
_BLOCK = 4_000_000


def resample_indices(n_units: int, resamples: int = 1000, seed: int = 0) -> Iterator[np.ndarray]:
    """Blocks of resamples (rows) of ``n_units`` unit indices drawn with replacement; seeded."""
    rng = np.random.default_rng(seed)
    per_block = max(1, _BLOCK // max(1, n_units))
    for start in range(0, resamples, per_block):
        yield rng.integers(0, n_units, (min(per_block, resamples - start), n_units))


def percentile_ci(values: Iterable[float | None] | np.ndarray) -> tuple[float, float] | None:
    """The 2.5th and 97.5th percentiles of the defined values (not None or NaN); None when there are none."""
    if not isinstance(values, np.ndarray):
        values = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    kept = values[np.isfinite(values)]
    if not len(kept):
        return None
    low, high = np.percentile(kept, [2.5, 97.5])
    return float(low), float(high)


def bootstrap_ci(
    statistic: Callable[[np.ndarray], float | None],
    n_units: int,
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile 95% interval of ``statistic(indices)`` over resamples of the unit indices.

    Resamples where the statistic is undefined are left out; None when all are (or no units).
    The same seed gives the same resamples (see :func:`resample_indices`), so a reported
    interval can be reproduced.
    """
    if n_units < 1 or resamples < 1:
        return None
    return percentile_ci(statistic(idx) for block in resample_indices(n_units, resamples, seed) for idx in block)
