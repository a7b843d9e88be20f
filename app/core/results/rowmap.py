"""Map a request's answer back to its rows by ID, never by order.

A multi-row answer is a list of items each claiming a row id. Items are matched to the rows the
request actually carried; an id that was not sent (invented) or that comes twice (duplicate) is
recorded as an anomaly and never merged into a real row; a row nobody answered ends ``missing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.results.answers import Answer, check_row, item_id, row_values, split_multi_row
from app.core.build.schema import ROW_ID_KEY
from app.core.spec import FieldSpec

#: Answer statuses that are final for every row of the request.
_WHOLE_REQUEST = {"refused": "refused", "truncated": "truncated", "invalid": "invalid", "failed": "failed"}


@dataclass
class RowOutcome:
    """What one row ended as."""

    row_id: str
    status: str
    reason: str = ""
    values: dict[str, Any] | None = None


@dataclass
class Anomaly:
    """Something in an answer that could not belong to a row (kept for the record)."""

    kind: str  # "invented_id" | "duplicate_id" | "no_id"
    detail: str


def map_answer(
    fields: list[FieldSpec], row_ids: list[str], answer: Answer, multi: bool
) -> tuple[list[RowOutcome], list[Anomaly]]:
    """Every row of the request with its outcome, plus anomalies found in the answer."""
    if answer.status != "ok":
        status = _WHOLE_REQUEST.get(answer.status, "failed")
        return [RowOutcome(r, status, answer.reason) for r in row_ids], []
    if not multi:
        return [_judge(fields, row_ids[0], answer.data, ())], []
    items = split_multi_row(answer.data)
    if items is None:
        reason = "the answer did not contain the list of results"
        return [RowOutcome(r, "invalid", reason) for r in row_ids], []
    expected = set(row_ids)
    stripped: dict[str, str | None] | None = None  # built only when an id does not match as sent
    outcomes: dict[str, RowOutcome] = {}
    anomalies: list[Anomaly] = []
    for item in items:
        claimed = item_id(item)
        if claimed is not None and claimed not in expected:
            stripped = stripped if stripped is not None else _by_stripped_id(row_ids)
            claimed = stripped.get(claimed.strip()) or claimed
        if claimed is None:
            anomalies.append(Anomaly("no_id", f"an answer item had no row id: {str(item)[:200]}"))
        elif claimed not in expected:
            anomalies.append(Anomaly("invented_id", f'the answer included row id "{claimed}", which was not sent'))
        elif claimed in outcomes:
            anomalies.append(Anomaly("duplicate_id", f'row id "{claimed}" was answered more than once; the first answer was kept'))
        else:
            outcomes[claimed] = _judge(fields, claimed, item, (ROW_ID_KEY,))
    missing = "the model's answer left this row out"
    return [outcomes.get(r) or RowOutcome(r, "missing", missing) for r in row_ids], anomalies


def _by_stripped_id(row_ids: list[str]) -> dict[str, str | None]:
    """A model may drop spaces around an ID it copies; accept that only where it is unambiguous (None)."""
    stripped: dict[str, str | None] = {}
    for r in row_ids:
        stripped[r.strip()] = None if r.strip() in stripped else r
    return stripped


def _judge(fields: list[FieldSpec], row_id: str, data: Any, extra: tuple[str, ...]) -> RowOutcome:
    problems = check_row(fields, data, extra)
    if problems:
        return RowOutcome(row_id, "invalid", "; ".join(problems), data if isinstance(data, dict) else None)
    return RowOutcome(row_id, "coded", "", row_values(fields, data))
