"""Agreement across linked runs of a job: does the coding hold when it is done again?

Per field, on the rows every run coded: Krippendorff's α (nominal for categories and booleans,
interval for numbers, present/absent per label for lists) with a seeded bootstrap 95% interval,
the share of rows on which all runs agree, and per row the majority answer with its share.
Rows a run did not code are left out rather than counted as disagreement, and the number compared
is reported with the figures. Each α equals the ``krippendorff`` package's (the tests check it);
intervals use the same seeded resamples as validation (:func:`.stats.resample_indices`), read off
sums over units so that many runs × 100,000 rows take seconds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from app.core.errors import JobError
from app.core.research.stats import (
    alpha_reading,
    finite,
    interval_matrix,
    percentile_ci,
    resample_indices,
    value_counts,
)
from app.core.spec import FieldSpec

if TYPE_CHECKING:
    from app.core.run.engine import Engine

#: Field type → how its α is measured.
LEVELS = {"category": "nominal", "boolean": "nominal", "number": "interval", "integer": "interval",
          "list": "nominal, per label (present/absent)", "text": "exact match only"}
RunValues = dict[str, dict[str, Any]]  # row_id → field → value
Expected = Callable[[np.ndarray], np.ndarray]  # unit sums → α's expected-disagreement term
Key = tuple[str, str | None]  # (field, label of a list field or None for the field itself)


@dataclass
class Agreement:
    """Agreement figures of a set of runs (``runs[0]`` is the job they are compared with)."""

    runs: list[str]
    rows_compared: int
    fields: dict[str, dict[str, Any]]
    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # row → field → majority, agreement
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    validations: dict[str, dict[str, Any]] | None = None
    rows_coded: dict[str, int] = field(default_factory=dict)  # run → rows it coded
    pairwise: dict[str, dict[str, float | None]] = field(default_factory=dict)  # run → field → α with runs[0]

    def to_json(self) -> dict[str, Any]:
        fields = {
            name: {k: v for k, v in info.items() if k in ("type", "level", "krippendorff_alpha", "ci95", "all_agree", "reading", "per_label")}
            for name, info in self.fields.items()
        }
        out: dict[str, Any] = {"runs": self.runs, "rows_compared": self.rows_compared, "rows_coded": self.rows_coded,
                               "fields": fields, "pairwise": self.pairwise}
        if self.validations:
            out["validations"] = self.validations
        return out


def _normalised(kind: str, value: Any) -> Any:
    """A value in a form that compares the way a person means it (lists as sets, texts trimmed)."""
    if value is None:
        return None
    if kind == "list":
        return tuple(sorted({str(v) for v in value})) if isinstance(value, list) else None
    if kind in ("number", "integer"):
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if kind == "text":
        return " ".join(str(value).split()).casefold()
    return value


def _column(spec: FieldSpec, values: RunValues, rows: list[str]) -> list[Any]:
    """One run's normalised answers to a field for ``rows`` (categories and yes/no compare as they are)."""
    name = spec.name
    if spec.type in ("category", "boolean"):
        return [values[r].get(name) for r in rows]
    return [_normalised(spec.type, values[r].get(name)) for r in rows]


# ---- α as sums over units, so a thousand bootstrap resamples are a few matrix products ------------------
# Krippendorff's α = 1 − (n − 1)·D/E, where D (observed disagreement) and E (expected) are built from
# sums over the pairable units (those with two or more values). Each unit contributes a row of
# "features" whose weighted sum gives D, n and what E needs; a resample is a weight per unit (how
# often it was drawn), so every resample of a block is one product W @ F. The tests check every α
# against the ``krippendorff`` package and every interval against a resample-by-resample bootstrap.
def _nominal_features(counts: np.ndarray) -> np.ndarray:
    """Units × values counts → [D_u, m_u, counts…] (zero for units with fewer than two values)."""
    m = counts.sum(axis=1).astype(np.float64)
    pairable = m >= 2
    with np.errstate(all="ignore"):
        d = np.where(pairable, (m * m - (counts * counts).sum(axis=1)) / (m - 1), 0.0)
    return np.column_stack([d, m * pairable, counts * pairable[:, None]])


def _nominal_expected(sums: np.ndarray) -> np.ndarray:
    return sums[:, 1] ** 2 - (sums[:, 2:] ** 2).sum(axis=1)


def _interval_features(units: np.ndarray) -> np.ndarray:
    """Units × runs numbers (NaN missing) → [D_u, m_u, Σv, Σv²] (zero for units with fewer than two values)."""
    present = ~np.isnan(units)
    m = present.sum(axis=1).astype(np.float64)
    v = np.where(present, units, 0.0)
    pairable = m >= 2
    with np.errstate(all="ignore"):  # squares past 1e154 overflow: α is then undefined (NaN → None)
        s1, s2 = v.sum(axis=1), (v * v).sum(axis=1)
        d = np.where(pairable, (m * s2 - s1 * s1) / (m - 1), 0.0)
        return np.column_stack([d, m, s1, s2]) * pairable[:, None]


def _interval_expected(sums: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return sums[:, 1] * sums[:, 3] - sums[:, 2] ** 2


def _alphas(sums: np.ndarray, expected: Expected) -> np.ndarray:
    """α of each row of unit sums; NaN where undefined (no pairable unit, or no variation at all)."""
    e = expected(sums)
    with np.errstate(all="ignore"):
        return np.where(e > 1e-12 * np.maximum(sums[:, 1] ** 2, 1), 1 - (sums[:, 1] - 1) * sums[:, 0] / e, np.nan)


def _alpha_figures(targets: dict[Key, tuple[np.ndarray, Expected]], n: int, resamples: int, seed: int) -> dict[Key, dict[str, Any]]:
    """α, seeded percentile 95% interval and reading of each target (features per unit, its expected form).

    Every target is resampled with the same draws (those of :func:`bootstrap_ci`), so one block of
    weights serves all fields: a block costs one ``bincount`` and one matrix product.
    """
    alphas = {k: finite(_alphas(f.sum(axis=0, keepdims=True), e)[0]) for k, (f, e) in targets.items()}
    live = [k for k in targets if alphas[k] is not None]
    draws: dict[Key, list[np.ndarray]] = {k: [] for k in live}
    if live and resamples > 0:
        stacked = np.hstack([targets[k][0] for k in live])
        edges = np.cumsum([0] + [targets[k][0].shape[1] for k in live])
        for block in resample_indices(n, resamples, seed):
            r = len(block)
            weights = np.bincount((block + np.arange(r)[:, None] * n).ravel(), minlength=r * n).reshape(r, n)
            sums = weights.astype(np.float64) @ stacked
            for i, k in enumerate(live):
                draws[k].append(_alphas(sums[:, edges[i] : edges[i + 1]], targets[k][1]))
    out = {}
    for k in targets:
        ci = percentile_ci(np.concatenate(draws[k])) if draws.get(k) else None
        out[k] = {"krippendorff_alpha": alphas[k], "ci95": list(ci) if ci else None, "reading": alpha_reading(alphas[k])}
    return out


def _field_targets(spec: FieldSpec, matrix: list[list[Any]]) -> dict[str | None, tuple[np.ndarray, Expected]]:
    """What α is computed on for a field (runs × rows of normalised values); nothing for free text."""
    if spec.type in ("category", "boolean"):
        return {None: (_nominal_features(value_counts(matrix)[0]), _nominal_expected)}
    if spec.type in ("number", "integer"):
        return {None: (_interval_features(interval_matrix(matrix)), _interval_expected)}
    if spec.type != "list":
        return {}
    labels = list(spec.choices) or sorted({v for row in matrix for s in row if s for v in s})
    targets: dict[str | None, tuple[np.ndarray, Expected]] = {
        label: (_nominal_features(_presence_counts(matrix, label)), _nominal_expected) for label in labels
    }
    # The field's own α pools every row × label decision; a resample draws a row with all its labels,
    # so a row's features are the sum of its labels'.
    targets[None] = (sum(f for f, _ in targets.values()), _nominal_expected)
    return targets


def _presence_counts(matrix: list[list[Any]], label: str) -> np.ndarray:
    """Rows × [absent, present]: how many runs left ``label`` out of a row's answer, and how many chose it."""
    chosen = np.array([[np.nan if s is None else float(label in s) for s in row] for row in matrix]).T
    return np.column_stack([(chosen == 0).sum(axis=1), (chosen == 1).sum(axis=1)])


def _majority(answers: list[Any]) -> tuple[int | None, float]:
    """Which run gave the most common answer (ties go to the earliest run) and the share of runs that gave it."""
    if answers[0] is not None and answers.count(answers[0]) == len(answers):  # the usual case, fast
        return 0, 1.0
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None, 0.0
    best = max(counts.values())
    return next(k for k, a in enumerate(answers) if a is not None and counts[a] == best), best / len(answers)


def agreement_of(fields: list[FieldSpec], runs: dict[str, RunValues], *, resamples: int = 1000, seed: int = 0) -> Agreement:
    """Agreement of runs given as ``{run_id: {row_id: {field: value}}}`` (coded rows only), first run first."""
    ids = list(runs)
    first = runs[ids[0]]
    common = [r for r in first if all(r in runs[other] for other in ids[1:])]
    result = Agreement(ids, len(common), {}, rows_coded={run: len(values) for run, values in runs.items()})
    result.rows = {r: {} for r in common}
    matrices = {f.name: [_column(f, runs[run], common) for run in ids] for f in fields}
    targets = {
        (f.name, label): target
        for f in fields if common
        for label, target in _field_targets(f, matrices[f.name]).items()
    }
    alphas = _alpha_figures(targets, len(common), resamples, seed)
    for spec in fields:
        figures: dict[str, Any] = {"type": spec.type, "level": LEVELS[spec.type]}
        figures |= alphas.get((spec.name, None)) or {
            "krippendorff_alpha": None, "ci95": None, "reading": "not computed for free text" if spec.type == "text" else "undefined"}
        if spec.type == "list" and common:
            figures["per_label"] = {label: alphas[(name, label)] for name, label in alphas if name == spec.name and label is not None}
        figures["all_agree"] = _rows_agreement(result, spec, matrices[spec.name], runs) / len(common) if common else None
        result.fields[spec.name] = figures
    result.pairwise = {
        run: {f.name: _point_alpha(f, [matrices[f.name][0], matrices[f.name][k]]) for f in fields}
        for k, run in enumerate(ids[1:], start=1)
    } if common else {}
    return result


def _point_alpha(spec: FieldSpec, matrix: list[list[Any]]) -> float | None:
    """α of one field without an interval (each run against the job, where the chart needs no more)."""
    target = _field_targets(spec, matrix).get(None)
    return finite(_alphas(target[0].sum(axis=0, keepdims=True), target[1])[0]) if target else None


def _rows_agreement(result: Agreement, spec: FieldSpec, matrix: list[list[Any]], runs: dict[str, RunValues]) -> int:
    """Fill in each row's majority answer and its share (and the disagreements); the rows where all runs agree."""
    ids = result.runs
    agree = 0
    for u, row_id in enumerate(result.rows):
        answers = [column[u] for column in matrix]
        winner, share = _majority(answers)
        # the majority answer as a run gave it: a list stays a list, a quote keeps its case
        shown = runs[ids[winner]][row_id].get(spec.name) if winner is not None else None
        result.rows[row_id][spec.name] = {"majority": shown, "agreement": share}
        if share == 1.0:
            agree += 1
        else:
            result.disagreements.append(
                {"row_id": row_id, "field": spec.name, "answers": {run: runs[run][row_id].get(spec.name) for run in ids}}
            )
    return agree


def _coded_values(engine: Engine, job_id: str) -> RunValues:
    query = "SELECT row_id, values_json FROM rows WHERE job_id = ? AND status = 'coded' ORDER BY position"
    return {r[0]: orjson.loads(r[1]) if r[1] else {} for r in engine.store.db.execute(query, (job_id,))}


def run_agreement(engine: Engine, job_ids: list[str], *, resamples: int = 1000, seed: int = 0) -> Agreement:
    """Agreement of finished jobs (a job and its comparison runs), with each run's validation where gold labels exist."""
    if len(job_ids) < 2:
        raise JobError(
            "Agreement needs at least two runs; this job has no comparison runs yet.",
            "Start one with `python -m app compare JOB --runs 3` (or Comparison → New runs in the app).",
        )
    from app.core.research.report_facts import job_spec

    specs = [job_spec(engine, j) for j in job_ids]  # also for a job imported without its data
    names = [f.name for f in specs[0].fields]
    for job_id, spec in zip(job_ids[1:], specs[1:]):
        if [f.name for f in spec.fields] != names:
            raise JobError(f"Job {job_id} codes other fields than {job_ids[0]}, so they cannot be compared.")
    unfinished = [j for j in job_ids if not engine.job(j).finished]
    if unfinished:
        raise JobError(f"These runs have not finished yet: {', '.join(unfinished)}.", "Compare them once they have finished.")
    result = agreement_of(specs[0].fields, {j: _coded_values(engine, j) for j in job_ids}, resamples=resamples, seed=seed)
    result.validations = _validations(engine, job_ids, specs[0].fields)
    return result


def _validations(engine: Engine, job_ids: list[str], fields: list[FieldSpec]) -> dict[str, dict[str, Any]] | None:
    """Each run's validation figures against the gold labels of the job they compare with, if it has any
    (one coder's labels, or the coders' majority, as validation itself takes them)."""
    from app.core.research.gold_store import GoldStore
    from app.core.research.report import PACKAGED_RUN_VALIDATIONS

    packaged = engine.job(job_ids[0]).folder / PACKAGED_RUN_VALIDATIONS  # an import without the data
    if packaged.is_file():
        figures = json.loads(packaged.read_text(encoding="utf-8"))
        return {j: figures[j] for j in job_ids if j in figures} or None
    by_coder = GoldStore(engine.store).labels(job_ids[0])
    if not by_coder:
        return None
    from app.core.research.validate import consensus, validate_job

    gold = next(iter(by_coder.values())) if len(by_coder) == 1 else consensus(fields, list(by_coder.values()))
    return {j: validate_job(engine, j, gold=gold).to_json() for j in job_ids}


def agreement_columns(agreement: Agreement) -> dict[str, dict[str, Any]]:
    """Extra export columns ``<field>__majority`` and ``<field>__agreement`` → {row_id: value}.

    Pass them to the export as ``extra_columns``: it renames any that an input column already uses.
    """
    columns: dict[str, dict[str, Any]] = {}
    for name in agreement.fields:
        columns[f"{name}__majority"] = {r: cells[name]["majority"] for r, cells in agreement.rows.items()}
        columns[f"{name}__agreement"] = {r: cells[name]["agreement"] for r, cells in agreement.rows.items()}
    return columns


def alpha_chart(agreement_or_list: Agreement | list[Agreement], path: Path) -> Path:
    """A bar chart of α per field: all runs together (with the 95% interval) and, for three runs or
    more, each run against the job; given several agreements, one bar per agreement."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    items = agreement_or_list if isinstance(agreement_or_list, list) else [agreement_or_list]
    names = [n for n, info in items[0].fields.items() if info["type"] != "text"]
    series: list[tuple[str, list[float | None], list[list[float]] | None]] = []
    for item in items:
        alphas = [item.fields[n]["krippendorff_alpha"] for n in names]
        cis = [item.fields[n]["ci95"] or [a, a] if a is not None else [0.0, 0.0] for a, n in zip(alphas, names)]
        errors = [[(a or 0) - lo for a, (lo, _) in zip(alphas, cis)], [hi - (a or 0) for a, (_, hi) in zip(alphas, cis)]]
        series.append((f"all {len(item.runs)} runs" + (f" ({', '.join(item.runs)})" if len(items) > 1 else ""), alphas, errors))
    if len(items) == 1 and len(items[0].runs) > 2:
        first = items[0].runs[0]
        series += [(f"{run} with {first}", [items[0].pairwise.get(run, {}).get(n) for n in names], None) for run in items[0].runs[1:]]
    figure = Figure(figsize=(max(4.5, 0.5 * len(names) * len(series) + 2.5), 3.4), dpi=120)
    axes = figure.subplots()
    width = 0.8 / len(series)
    for k, (label, alphas, errors) in enumerate(series):
        positions = [i + (k - (len(series) - 1) / 2) * width for i in range(len(names))]
        axes.bar(positions, [a or 0 for a in alphas], width, yerr=errors, capsize=3, label=label)
    axes.axhline(0.800, color="grey", linestyle="--", linewidth=0.8)
    axes.axhline(0.667, color="grey", linestyle=":", linewidth=0.8)
    axes.set_xticks(range(len(names)), names)
    axes.set_ylim(min(0.0, *[a or 0 for _, alphas, _ in series for a in alphas]), 1.05)
    axes.set_ylabel("Krippendorff's α")
    axes.set_title("Agreement across runs (95% bootstrap intervals; lines at .800 and .667)", fontsize=9)
    if len(series) > 1:
        axes.legend(fontsize=7)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
