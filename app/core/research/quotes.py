"""Checking that a model's "quotes" really are in the row's text.

Models invent or merge quotes (in one public project about one in ten was not a span of the
source), so a text field marked ``verbatim_quote`` is checked against the text the model was
sent: the row rendered with the job's template. Case, runs of whitespace and Unicode's two ways
of writing an accented letter (é as one character or as e plus an accent; a model answers in the
first whatever the text holds) are ignored, since a quote that differs only in those is still the
author's words.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from app.core.build.template import parse_template
from app.core.data import Table
from app.core.spec import FieldSpec, JobSpec

if TYPE_CHECKING:
    from app.core.run.engine import Engine

def _flat(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()).casefold())


def quote_in_text(answer: str, text: str) -> bool:
    """True when ``answer`` occurs in ``text``, ignoring case and runs of whitespace (an empty answer claims nothing)."""
    return _flat(answer) in _flat(text)


def quote_fields(spec: JobSpec) -> list[FieldSpec]:
    """The fields whose answers must be verbatim quotes."""
    return [f for f in spec.fields if f.type == "text" and f.verbatim_quote]


class RowTexts:
    """The text each row was sent as (the template filled in), and its spreadsheet row number, by row id."""

    def __init__(self, spec: JobSpec, table: Table) -> None:
        self.table = table
        self.template = parse_template(spec.input_template, table.columns)
        self.position = {str(rid): pos for pos, rid in enumerate(table.row_ids(spec.id_column).tolist())}
        self._cells = {c: table.frame[c].tolist() for c in self.template.columns}

    def __contains__(self, row_id: str) -> bool:
        return row_id in self.position

    def text(self, row_id: str) -> str:
        pos = self.position[row_id]
        return self.template.render([self._cells[c][pos] for c in self.template.columns])

    def row_number(self, row_id: str) -> int:
        return self.table.row_number(self.position[row_id])


def job_texts(spec: JobSpec) -> RowTexts:
    """The row texts of a job's own copy of its data, read as the job read it."""
    from app.core.data import load_job_table

    return RowTexts(spec, load_job_table(spec))


def quote_flags(engine: Engine, job_id: str) -> dict[str, dict[str, bool]]:
    """field -> row_id -> whether the quote is in the text, for every coded row and verbatim-quote field."""
    spec = engine.spec(job_id)
    fields = quote_fields(spec)
    if not fields:
        return {}
    texts = job_texts(spec)
    flags: dict[str, dict[str, bool]] = {f.name: {} for f in fields}
    for row in engine.each_row(job_id, "coded"):
        if row.row_id not in texts:
            continue
        text = texts.text(row.row_id)
        for f in fields:
            answer: Any = row.values.get(f.name)
            if isinstance(answer, str):
                flags[f.name][row.row_id] = quote_in_text(answer, text)
    return flags
