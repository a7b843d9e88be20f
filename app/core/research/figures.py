"""Figures of a validation a person can put in a paper: the confusion matrix and F1 per label.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state, no Qt), so they can be
made in a worker thread and saved as PNG or SVG; the GUI shows the same files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.core.errors import UsageError

FORMATS = (".png", ".svg")


def _new_figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=150)


def save_figure(figure: Any, path: Path) -> Path:
    """Save as PNG or SVG, chosen by the file name."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise UsageError(f'Cannot save a figure as "{path.name}".', "Choose a file name ending in .png or .svg.")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, format=path.suffix.lower().lstrip("."))
    return path


def confusion_figure(field_result: dict[str, Any], path: Path, title: str = "") -> Path:
    """A heat map of the confusion matrix: hand-coded labels down, the model's across, counts in the cells."""
    confusion = field_result.get("confusion") or {}
    if not confusion:
        raise UsageError("This field has no confusion matrix (only category and yes/no fields have one).")
    labels = list(confusion)
    counts = [[confusion[g].get(m, 0) for m in labels] for g in labels]
    size = 1.2 + 0.7 * len(labels)
    figure = _new_figure(size + 1.2, size)
    axes = figure.subplots()
    image = axes.imshow(counts, cmap="Blues")
    top = max((c for row in counts for c in row), default=0)
    for i, row in enumerate(counts):
        for j, count in enumerate(row):
            axes.text(j, i, f"{count:,}", ha="center", va="center", color="white" if count > top / 2 else "black")
    axes.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("Model")
    axes.set_ylabel("Hand-coded")
    axes.set_title(title or "Confusion matrix", fontsize=10)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    return save_figure(figure, path)


def f1_figure(field_result: dict[str, Any], path: Path, title: str = "") -> Path:
    """Horizontal bars of F1 per label, with the number of hand-coded rows of each label."""
    per_label = field_result.get("per_label") or {}
    if not per_label:
        raise UsageError("This field has no per-label figures (only category, yes/no and list fields have them).")
    labels = list(per_label)
    scores = [per_label[label]["f1"] for label in labels]
    figure = _new_figure(5.5, 1.0 + 0.45 * len(labels))
    axes = figure.subplots()
    bars = axes.barh(range(len(labels)), scores, color="#3b75af")
    axes.bar_label(bars, labels=[f"{s:.2f}" for s in scores], padding=3, fontsize=8)
    axes.set_yticks(range(len(labels)), [f"{label} (n={per_label[label]['support']:,})" for label in labels])
    axes.invert_yaxis()
    axes.set_xlim(0, 1.1)
    axes.set_xlabel("F1")
    macro = field_result.get("macro_f1")
    axes.set_title(title or ("F1 per label" + (f" (macro-F1 {macro:.2f})" if macro is not None else "")), fontsize=10)
    return save_figure(figure, path)
