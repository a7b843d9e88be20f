"""Validation: the model's coding compared with hand-coded (gold) rows, field by field.

Only rows with a gold label *and* a coded model answer are compared. Gold rows the model did not
code are counted per status beside the figures, with the share of gold rows covered: a model that
refuses the hard rows must not look better for it. With two or more people coding the same rows,
their agreement with each other is computed the same way, so a reader sees whether the model is
as reliable as a second coder.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from app.core.errors import JobError
from app.core.research.gold_store import GoldStore
from app.core.research.metrics import field_metrics, normalise_text
from app.core.research.quotes import RowTexts, job_texts, quote_fields, quote_in_text
from app.core.spec import FieldSpec, JobSpec

if TYPE_CHECKING:
    from app.core.data import Table
    from app.core.keys import KeyStore
    from app.core.run.engine import Engine

Labels = dict[str, dict[str, Any]]  # row_id -> field -> value


class ModelRow(Protocol):
    """What validation needs of a model's row (an engine or pilot ``RowResult``)."""

    status: str
    values: dict[str, Any]


@dataclass
class _Row:
    status: str
    values: dict[str, Any]


@dataclass
class Validation:
    """The result of comparing a job (or pilot) with gold labels; ``to_json`` is the command line's shape."""

    job_id: str
    rows_with_gold: int
    rows_compared: int
    not_coded: dict[str, int]
    coverage: float | None
    fields: dict[str, dict[str, Any]]
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    human: dict[str, dict[str, Any]] | None = None
    coder: str | None = None  # whose labels were the gold (None: one coder, or the coders' majority)
    coders: list[str] = field(default_factory=list)
    unknown_ids: list[str] = field(default_factory=list)  # gold rows that are not rows of the job

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "job": self.job_id,
            "rows_with_gold": self.rows_with_gold,
            "rows_compared": self.rows_compared,
            "not_coded": self.not_coded,
            "coverage": self.coverage,
            "fields": self.fields,
            "coders": self.coders,
            "coder": self.coder,
            "unknown_ids": len(self.unknown_ids),
            "disagreements": self.disagreements,
        }
        if self.human is not None:
            out["human"] = self.human
        return out


def _comparable(kind: str, value: Any) -> Any:
    """A value as a person compares it: lists as sets, texts without case and spacing."""
    if kind == "list" and isinstance(value, list):
        return frozenset(str(v) for v in value)
    if kind == "text" and isinstance(value, str):
        return normalise_text(value)
    if kind in ("number", "integer") and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def consensus(fields: list[FieldSpec], by_coder: list[Labels]) -> Labels:
    """Per row and field, the value most coders gave (ties go to the earliest coder)."""
    merged: Labels = {}
    for row_id in dict.fromkeys(r for labels in by_coder for r in labels):
        values: dict[str, Any] = {}
        for f in fields:
            answers = [labels[row_id][f.name] for labels in by_coder if labels.get(row_id, {}).get(f.name) is not None]
            if answers:
                counts = Counter(_comparable(f.type, a) for a in answers)
                best = max(counts.values())
                values[f.name] = next(a for a in answers if counts[_comparable(f.type, a)] == best)
        if values:
            merged[row_id] = values
    return merged


def human_agreement(
    fields: list[FieldSpec], by_coder: dict[str, Labels], *, resamples: int = 1000, seed: int = 0
) -> dict[str, dict[str, Any]]:
    """Agreement between people per field: all figures for two coders, α across all for three or more."""
    coders = list(by_coder)
    if len(coders) == 2:
        first, second = by_coder[coders[0]], by_coder[coders[1]]
        common = [r for r in first if r in second]
        return {
            f.name: {
                "coders": coders,
                **field_metrics(
                    f, [first[r].get(f.name) for r in common], [second[r].get(f.name) for r in common],
                    resamples=resamples, seed=seed,
                ),
            }
            for f in fields
        }
    from app.core.research.agreement import agreement_of

    result = agreement_of(fields, by_coder, resamples=resamples, seed=seed)
    return {
        name: {"coders": coders, "n": result.rows_compared, **figures, "ci95": {"krippendorff_alpha": figures["ci95"]}}
        for name, figures in result.fields.items()
    }


def validate_rows(
    spec: JobSpec,
    gold: Labels,
    model_rows: Mapping[str, ModelRow],
    *,
    texts: RowTexts | None = None,
    resamples: int = 1000,
    seed: int = 0,
    job_id: str = "",
) -> Validation:
    """Compare ``gold`` with model answers by row id (a job's rows, or a pilot's on the gold rows).

    Gold rows absent from ``model_rows`` are listed as ``unknown_ids`` and left out. With ``texts``,
    disagreements carry the row's text and number, and verbatim quotes are checked.
    """
    known = [r for r in gold if r in model_rows]
    not_coded: Counter[str] = Counter(model_rows[r].status for r in known if model_rows[r].status != "coded")
    compared = [r for r in known if model_rows[r].status == "coded"]
    quotes = quote_fields(spec) if texts is not None else []
    quote_name = quotes[0].name if quotes else None
    fields: dict[str, dict[str, Any]] = {}
    disagreements: list[dict[str, Any]] = []
    for f in spec.fields:
        gold_values = [gold[r].get(f.name) for r in compared]
        model_values = [model_rows[r].values.get(f.name) for r in compared]
        figures = field_metrics(f, gold_values, model_values, resamples=resamples, seed=seed)
        # Compared rows this field leaves out, and why: a blank gold cell, or no value from the model.
        figures["without_gold"] = sum(g is None for g in gold_values)
        figures["without_model_value"] = sum(g is not None and m is None for g, m in zip(gold_values, model_values))
        if f in quotes and texts is not None:
            checked = [(r, v) for r, v in zip(compared, model_values) if isinstance(v, str) and r in texts]
            missing = sum(not quote_in_text(v, texts.text(r)) for r, v in checked)
            figures |= {"quotes_checked": len(checked), "quotes_not_in_text": missing}
        fields[f.name] = figures
        for r, g, m in zip(compared, gold_values, model_values):
            if g is None or m is None or _comparable(f.type, g) == _comparable(f.type, m):
                continue
            entry: dict[str, Any] = {"row_id": r, "row": None, "field": f.name, "gold": g, "model": m, "text": None}
            quote = model_rows[r].values.get(quote_name) if quote_name else None
            entry |= {"quote": quote, "quote_ok": None}
            if texts is not None and r in texts:
                text = texts.text(r)
                entry |= {"row": texts.row_number(r), "text": text}
                if isinstance(quote, str):
                    entry["quote_ok"] = quote_in_text(quote, text)
            disagreements.append(entry)
    return Validation(
        job_id=job_id,
        rows_with_gold=len(known),
        rows_compared=len(compared),
        not_coded=dict(sorted(not_coded.items())),
        coverage=len(compared) / len(known) if known else None,
        fields=fields,
        disagreements=disagreements,
        unknown_ids=[r for r in gold if r not in model_rows],
    )


def _model_rows(engine: Engine, job_id: str, ids: Iterable[str]) -> dict[str, _Row]:
    rows: dict[str, _Row] = {}
    for row_id in ids:
        stored = engine.store.row(job_id, row_id)
        if stored is not None:
            values = json.loads(stored["values_json"]) if stored["values_json"] else {}
            rows[row_id] = _Row(stored["status"], values)
    return rows


def _gold_of(engine: Engine, job_id: str, spec: JobSpec, coder: str | None) -> tuple[Labels, dict[str, Labels], str | None]:
    """The gold to compare with, every coder's labels, and whose labels the gold is."""
    store = GoldStore(engine.store)
    by_coder = {name: store.labels(job_id, name).get(name, {}) for name in store.coders(job_id)}
    if not by_coder:
        raise JobError(
            "This job has no hand-coded rows yet.",
            "Import a file of hand-coded labels (python -m app validate JOB --gold FILE) or code a sample in the app.",
        )
    if coder is not None:
        if coder not in by_coder:
            raise JobError(f'No labels by "{coder}" for this job.', f"The coders are: {', '.join(by_coder)}.")
        return by_coder[coder], by_coder, coder
    if len(by_coder) == 1:
        name = next(iter(by_coder))
        return by_coder[name], by_coder, name
    return consensus(spec.fields, list(by_coder.values())), by_coder, None


def validate_job(
    engine: Engine,
    job_id: str,
    gold: Labels | None = None,
    *,
    coder: str | None = None,
    resamples: int = 1000,
    seed: int = 0,
    rows: Iterable[str] | None = None,
    texts: RowTexts | None = None,
) -> Validation:
    """Validate a job against ``gold``, or against the labels stored with it (one coder, or their majority).

    ``rows`` restricts the comparison (e.g. to the test part of the hand-coding sample); ``texts``
    saves reading the job's data again when the caller has already read it.
    """
    spec = engine.spec(job_id)
    by_coder: dict[str, Labels] = {}
    if gold is None:
        gold, by_coder, coder = _gold_of(engine, job_id, spec, coder)
    if rows is not None:
        keep = set(rows)
        gold = {r: v for r, v in gold.items() if r in keep}
        by_coder = {c: {r: v for r, v in labels.items() if r in keep} for c, labels in by_coder.items()}
    result = validate_rows(
        spec, gold, _model_rows(engine, job_id, gold), texts=texts if texts is not None else job_texts(spec),
        resamples=resamples, seed=seed, job_id=job_id,
    )
    result.coder = coder
    result.coders = list(by_coder)
    if len(by_coder) >= 2:
        result.human = human_agreement(spec.fields, by_coder, resamples=resamples, seed=seed)
    GoldStore(engine.store).save_result(spec, result.to_json(), "job", job_id)
    return result


def pilot_on_gold(
    spec: JobSpec,
    table: Table,
    gold: Labels,
    *,
    rows: Iterable[str] | None = None,
    keys: KeyStore | None = None,
    should_cancel: Callable[[], bool] | None = None,
    resamples: int = 1000,
    seed: int = 0,
    store: GoldStore | None = None,
) -> Validation:
    """Pilot the instructions on hand-coded rows (``rows``: e.g. the development part) and validate them.

    The pilot sends these rows exactly as the batch would (see :mod:`app.core.run.pilot`), so a
    person can tune the instructions on part of the gold rows before paying for every row. With
    ``store``, the result is kept for the Review step (:meth:`GoldStore.last_result`).
    """
    from app.core.run.pilot import run_pilot

    wanted = set(gold) if rows is None else set(rows) & set(gold)
    keep = table.row_ids(spec.id_column).astype(str).isin(wanted).to_numpy()
    numbers = np.array([table.row_number(int(p)) for p in np.flatnonzero(keep)], dtype=np.int64)  # as in the file
    subset = dataclasses.replace(table, frame=table.frame[keep].reset_index(drop=True), row_numbers=numbers)
    answers = run_pilot(spec, subset, rows=len(subset), keys=keys, should_cancel=should_cancel)
    texts = RowTexts(spec, subset)
    result = validate_rows(
        spec, {r: v for r, v in gold.items() if r in wanted}, {a.row_id: a for a in answers},
        texts=texts, resamples=resamples, seed=seed,
    )
    if store is not None:
        store.save_result(spec, result.to_json(), "pilot")
    return result
