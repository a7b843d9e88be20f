"""Map a request's answer back to its rows by ID, never by order.

A multi-row answer is a list of items each claiming a row id. Items are matched to the rows the
request actually carried; an id that was not sent (invented) or that comes twice (duplicate) is
recorded as an anomaly and never merged into a real row; a row nobody answered ends ``missing``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.core.build.schema import ROW_ID_KEY
from app.core.results.answers import Answer, FieldRules, item_id, split_multi_row
from app.core.spec import FieldSpec

#: Answer statuses that are final for every row of the request.
_WHOLE_REQUEST = {"refused": "refused", "truncated": "truncated", "invalid": "invalid", "failed": "failed"}
_LEFT_OUT = "the model's answer left this row out"
_NO_LIST = "the answer did not contain the list of results"


@dataclass(slots=True)
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


class RowMapper:
    """Maps answers to rows with the field rules prepared once, for the many answers of a job."""

    def __init__(self, fields: list[FieldSpec], multi: bool) -> None:
        self.multi = multi
        self._rules = FieldRules(fields, (ROW_ID_KEY,) if multi else ())

    def map(self, row_ids: Sequence[str], answer: Answer) -> tuple[list[RowOutcome], list[Anomaly]]:
        """Every row of the request with its outcome, plus anomalies found in the answer."""
        if answer.status != "ok":
            status = _WHOLE_REQUEST.get(answer.status, "failed")
            return [RowOutcome(r, status, answer.reason) for r in row_ids], []
        if not self.multi:
            return [self._judge(row_ids[0], answer.data)], []
        if (usual := self.usual_values(row_ids, answer)) is not None:
            return [RowOutcome(r, "coded", "", values) for r, values in zip(row_ids, usual)], []
        items = split_multi_row(answer.data)
        if items is None:
            return [RowOutcome(r, "invalid", _NO_LIST) for r in row_ids], []
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
                outcomes[claimed] = self._judge(claimed, item)
        return [outcomes.get(r) or RowOutcome(r, "missing", _LEFT_OUT) for r in row_ids], anomalies

    def usual_values(self, row_ids: Sequence[str], answer: Answer) -> list[dict[str, Any]] | None:
        """Each row's values, in the order of ``row_ids``, when the answer is the usual one: every
        row answered once, in the order sent, with exactly the output fields, all valid (every row
        ``coded``, no anomaly). None for any other answer, which :meth:`map` judges in full."""
        if answer.status != "ok":
            return None
        if not self.multi:
            return self._rules.exact_values_of((answer.data,))
        items = split_multi_row(answer.data)
        if items is None or len(items) != len(row_ids):
            return None
        for row_id, item in zip(row_ids, items):
            if type(item) is not dict or item.get(ROW_ID_KEY) != row_id:
                return None
        return self._rules.exact_values_of(items)

    def _judge(self, row_id: str, data: Any) -> RowOutcome:
        values = self._rules.valid_values(data)
        if values is not None:
            return RowOutcome(row_id, "coded", "", values)
        problems = "; ".join(self._rules.problems(data))
        return RowOutcome(row_id, "invalid", problems, data if isinstance(data, dict) else None)


def map_answer(
    fields: list[FieldSpec], row_ids: Sequence[str], answer: Answer, multi: bool
) -> tuple[list[RowOutcome], list[Anomaly]]:
    """Every row of the request with its outcome, plus anomalies found in the answer (one-off use;
    a job's many answers go through one :class:`RowMapper`)."""
    return RowMapper(fields, multi).map(row_ids, answer)


def _by_stripped_id(row_ids: Sequence[str]) -> dict[str, str | None]:
    """A model may drop spaces around an ID it copies; accept that only where it is unambiguous (None)."""
    stripped: dict[str, str | None] = {}
    for r in row_ids:
        stripped[r.strip()] = None if r.strip() in stripped else r
    return stripped
