"""Validation and agreement figures as small tables (DataFrames for DataFrameModel): one row per measure.

Only formatting lives here: which measures a field type reports, their plain names, how a figure
and its interval are written. The figures themselves come from app.core.research.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from app.core.research.report_blocks import figure_text

#: Measures shown per field, in this order, with their plain names (missing ones are skipped).
MEASURES: tuple[tuple[str, str], ...] = (
    ("accuracy", "Accuracy"),
    ("exact_set_accuracy", "Exact-set accuracy"),
    ("exact_match", "Exact matches"),
    ("cohen_kappa", "Cohen's κ"),
    ("krippendorff_alpha", "Krippendorff's α"),
    ("macro_f1", "Macro-F1"),
    ("micro_f1", "Micro-F1"),
    ("mae", "Mean absolute error"),
    ("rmse", "Root mean squared error"),
    ("pearson", "Pearson r"),
    ("spearman", "Spearman ρ"),
)


def figure(value: Any) -> str:
    """A figure as the methods report writes it (:func:`~app.core.research.report_blocks.figure_text`),
    "–" when there is none (e.g. a correlation of constant answers, or a mean error that overflows)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    return figure_text(value)


def interval(bounds: Any) -> str:
    if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
        return ""
    return f"{figure(bounds[0])} – {figure(bounds[1])}"


def validation_frame(fields: Mapping[str, Mapping[str, Any]], human: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Per field and measure: the model against gold, humans against each other beside it, the model's 95%
    interval and Krippendorff's reading.

    Fields without any compared row are left out (the summary names them); a field's name and row
    count head its first measure only, so the table reads as one block per field.
    """
    records = []
    for name, result in fields.items():
        if not result.get("n"):
            continue
        other = human.get(name, {})
        keys = [(key, label) for key, label in MEASURES if key in result]
        for i, (key, label) in enumerate(keys):
            records.append(
                {
                    "Field": f"{name} (n={result['n']:,})" if i == 0 else "",
                    "Measure": label,
                    "Model vs. gold": figure(result.get(key)),
                    "Human vs. human": figure(other.get(key)) if other else "",
                    "95% interval": interval((result.get("ci95") or {}).get(key)),
                    "Reading": str(result.get("reading") or "") if key == "krippendorff_alpha" else "",
                }
            )
    columns = ["Field", "Measure", "Model vs. gold", "Human vs. human", "95% interval", "Reading"]
    return pd.DataFrame(records, columns=columns).astype("str")


def agreement_frame(fields: Mapping[str, Mapping[str, Any]], rows_compared: int) -> pd.DataFrame:
    """Per field: Krippendorff's α across runs, its 95% interval, the share of rows all runs agree on, the reading."""
    records = [
        {
            "Field": name,
            "Rows": f"{rows_compared:,}",
            "Krippendorff's α": figure(result.get("krippendorff_alpha")),
            "95% interval": interval(result.get("ci95")),
            "All runs agree": "–" if result.get("all_agree") is None else f"{result['all_agree']:.1%}",
            "Reading": str(result.get("reading") or ""),
        }
        for name, result in fields.items()
    ]
    columns = ["Field", "Rows", "Krippendorff's α", "95% interval", "All runs agree", "Reading"]
    return pd.DataFrame(records, columns=columns).astype("str")


def runs_validation_frame(validations: Mapping[str, Mapping[str, Any]], run_names: Mapping[str, str]) -> pd.DataFrame:
    """Each run's validation against the gold labels, side by side: one row per field and measure."""
    runs = list(validations)
    first = validations[runs[0]].get("fields", {}) if runs else {}
    records = []
    for name in first:
        for key, label in MEASURES:
            if key not in first[name]:
                continue
            record = {"Field": name, "Measure": label}
            for run in runs:
                record[run_names.get(run, run)] = figure(validations[run].get("fields", {}).get(name, {}).get(key))
            records.append(record)
    columns = ["Field", "Measure", *(run_names.get(r, r) for r in runs)]
    return pd.DataFrame(records, columns=columns).astype("str")
