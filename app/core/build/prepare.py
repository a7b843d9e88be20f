"""From spec + data to request files, an index of which rows each request carries, and a manifest.

This is what ``python -m app prepare`` runs, what the lifecycle engine runs before uploading, and
(in its preview form) what the GUI shows before anything is sent. The rows are checked, then
rendered, built and written request by request, a chunk of rows at a time: read from a text file,
memory does not grow with the number of rows.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

import app
from app.core.build.batchfiles import (
    READ_BUFFER,
    BatchLimits,
    SplitWriter,
    dumps_line,
    limits_for,
)
from app.core.data import DataIssue, Table, TableCheck, check_table, findings_text
from app.core.data.provenance import data_record
from app.core.data.stream import FileRows, TableRows, rows_of
from app.core.errors import CancelledError, DataError, SpecError
from app.core.build.pricing import describe_missing_price, job_cost, model_limits
from app.core.build.requests import OVERHEAD_TARGET, RequestBuilder, RowInput, output_tokens_per_row
from app.core.spec import JobSpec, spec_warnings
from app.core.build.template import check_placeholders, parse_template, placeholders
from app.core.build.tokens import TokenTally, token_counter

Progress = Callable[[int, int], None]
INDEX_FILE = "index.jsonl"
MANIFEST_FILE = "manifest.json"


@dataclass
class RowPlan:
    """Which rows of a table go into requests, and which are reported and left out."""

    table: Table
    template_columns: list[str]
    ids: list[str]
    positions: list[int]  # data positions (0-based) of the rows to send
    blank: list[str] = field(default_factory=list)  # IDs of rows with a blank text (not sent)


def plan_rows(spec: JobSpec, table: Table, only_ids: set[str] | None = None) -> RowPlan:
    """Check the template against the data and choose the rows to send; raise on blocking problems."""
    _check_columns(spec, table.columns)
    columns = placeholders(spec.input_template)
    issues = check_table(table, spec.id_column, columns, accept_unreadable=spec.accept_unreadable_rows)
    blocking = [i for i in issues if i.blocking]
    if blocking:
        raise DataError("\n".join(i.message for i in blocking), _fix_hint(blocking))
    ids = table.row_ids(spec.id_column).tolist()
    blank_rows = {row for issue in issues if issue.kind == "blank_text" for row in issue.rows}
    wanted = range(len(ids)) if only_ids is None else (p for p, rid in enumerate(ids) if rid in only_ids)
    positions: list[int] = []
    blank: list[str] = []
    for pos in wanted:
        if table.row_number(pos) in blank_rows:
            blank.append(ids[pos])
        else:
            positions.append(pos)
    return RowPlan(table, columns, ids, positions, blank)


def _check_columns(spec: JobSpec, columns: list[str]) -> None:
    """The template's placeholders and the ID column must name columns of the data."""
    problems = check_placeholders(spec.input_template, columns)
    if spec.id_column and spec.id_column not in columns:
        problems.append(
            f'"id_column" is "{spec.id_column}", but the data has no such column. '
            f"The columns are: {', '.join(columns)}."
        )
    if problems:
        raise SpecError(problems, "the job settings")


class _Selection:
    """Which rows of each chunk go into requests (not blank; among ``only_ids`` when given), as
    rendered :class:`RowInput`; the IDs of blank rows and of accepted unreadable ones on the side."""

    def __init__(self, spec: JobSpec, head: Table, issues: list[DataIssue], only_ids: set[str] | None) -> None:
        self.template = parse_template(spec.input_template, head.columns)
        self.id_column, self.only_ids = spec.id_column, only_ids
        self.blank_rows = {row for issue in issues if issue.kind == "blank_text" for row in issue.rows}
        self.unreadable_rows = {row for issue in issues if issue.kind == "unreadable" for row in issue.rows}
        self.start([])

    def start(self, _columns: list[str]) -> None:
        self.blank: list[str] = []
        self.unreadable: list[str] = []
        self.read = 0  # data rows seen: without an ID column, a row's ID is its position

    def rows(self, frame: pd.DataFrame, numbers: np.ndarray) -> Iterator[RowInput]:
        if self.id_column:
            ids = frame[self.id_column].tolist()
        else:
            ids = [str(n) for n in range(self.read + 1, self.read + len(frame) + 1)]
        self.read += len(frame)
        cells = [frame[c].tolist() for c in self.template.columns]
        for i, (row_id, number) in enumerate(zip(ids, numbers.tolist(), strict=True)):
            if self.only_ids is not None and row_id not in self.only_ids:
                continue
            if number in self.blank_rows:
                self.blank.append(row_id)
                continue
            if number in self.unreadable_rows:
                self.unreadable.append(row_id)
            yield RowInput(row_id, self.template.render([column[i] for column in cells]))


def _fix_hint(blocking: list[DataIssue]) -> str:
    hint = "Fix the data file and load it again."
    if any(i.kind == "unreadable" for i in blocking):
        hint += (
            " To send the rows with unreadable letters as they are, accept them in the Data step "
            '(or set "accept_unreadable_rows": true in the spec); they are then listed in the manifest.'
        )
    return hint


def iter_requests(
    builder: RequestBuilder, plan: RowPlan, prefix: str
) -> Iterator[tuple[str, list[RowInput], dict[str, Any]]]:
    """Yield ``(custom_id, rows, batch line)`` for every request, rendering rows lazily."""
    template = parse_template(builder.spec.input_template, plan.table.columns)
    requests = _Requests(builder, prefix)
    for pos, values in _cells(plan, template.columns):
        if request := requests.add(RowInput(plan.ids[pos], template.render(values))):
            yield request
    if request := requests.finish():
        yield request


Request = tuple[str, list[RowInput], dict[str, Any]]


class _Requests:
    """Rows grouped into requests of ``rows_per_request``, each numbered ``{prefix}-000001`` on."""

    def __init__(self, builder: RequestBuilder, prefix: str) -> None:
        self.builder, self.prefix = builder, prefix
        self.rows: list[RowInput] = []
        self.seq = 0

    def add(self, row: RowInput) -> Request | None:
        """The request this row completes, if it completes one."""
        self.rows.append(row)
        return self.finish() if len(self.rows) == self.builder.spec.rows_per_request else None

    def finish(self) -> Request | None:
        """The last, partly filled request (None when there is none)."""
        if not self.rows:
            return None
        rows, self.rows = self.rows, []
        self.seq += 1
        custom_id = f"{self.prefix}-{self.seq:06d}"
        return custom_id, rows, self.builder.batch_line(custom_id, rows)


def _cells(plan: RowPlan, columns: tuple[str, ...], block: int = 10_000) -> Iterator[tuple[int, list[str]]]:
    """``(position, cells)`` for each planned row, taking cells out of the table a block at a time
    (one cell at a time from Arrow-backed columns is slow; all at once would copy the whole table)."""
    frame = plan.table.frame
    for start in range(0, len(plan.positions), block):
        positions = plan.positions[start : start + block]
        taken = [frame[c].take(positions).tolist() for c in columns]
        for i, pos in enumerate(positions):
            yield pos, [column[i] for column in taken]


@dataclass
class Prepared:
    """What ``prepare`` wrote; ``manifest`` is also saved as manifest.json."""

    folder: Path
    manifest: dict[str, Any]
    files: list[Path]


def _estimate(spec: JobSpec, builder: RequestBuilder, tally: TokenTally, rows: int, batches: int) -> dict[str, Any]:
    output_tokens = output_tokens_per_row(spec) * rows
    reasoning_tokens = builder.reasoning_tokens_per_request * tally.requests
    tokens = {
        "input_total": tally.total,
        "input_per_request_max": tally.max_tokens + tally.static_tokens,
        "input_per_request_average": round(tally.total / tally.requests) if tally.requests else 0,
        "shared_prompt_per_request": tally.static_tokens,
        "output_estimate_total": output_tokens,
        "reasoning_estimate_total": reasoning_tokens,
        "overhead_per_row": round(builder.overhead_per_row(), 1),
        "method": tally.describe(),
        "exact": tally.counter.exact and tally.requests <= tally.sample,
    }
    cost = job_cost(
        spec.provider,
        spec.model,
        requests=tally.requests,
        batches=batches,
        input_tokens=tally.total,
        shared_tokens=tally.static_tokens,
        output_tokens=output_tokens,
        reasoning_tokens=reasoning_tokens,
        cache_ttl=builder.cache_ttl,
    )
    if cost is None:
        cost = {"total": None, "note": describe_missing_price(spec.provider, spec.model)}
    else:
        cost["note"] = _cost_note(spec, builder, cost)
    return {"tokens": tokens, "cost": cost}


def _overhead_note(builder: RequestBuilder) -> str:
    """How many input tokens a row costs beyond its text, and how many rows per request would lower it."""
    note = (
        f" Beyond its own text, each row costs about {builder.overhead_per_row():.0f} input tokens (its share "
        "of the instructions and schema, and its framing)"
    )
    suggested = builder.suggested_rows_per_request()
    if suggested is None:
        return note + "."
    return note + f"; {suggested} rows per request would bring that to about {OVERHEAD_TARGET}."


def _cost_note(spec: JobSpec, builder: RequestBuilder, cost: dict[str, Any]) -> str:
    return _price_note(spec, builder, cost) + _overhead_note(builder)


def _price_note(spec: JobSpec, builder: RequestBuilder, cost: dict[str, Any]) -> str:
    note = f"Batch prices. Output assumed ~{output_tokens_per_row(spec)} tokens per row"
    if builder.reasoning_tokens_per_request:
        note += (
            f"; the model's hidden reasoning at effort \"{builder.effort}\" adds roughly "
            f"{builder.reasoning_tokens_per_request:,} output tokens per request, about ${cost['reasoning']:,.4f} "
            "in all (a rough figure; billed as output)"
        )
    if builder.cache_ttl:
        return note + (
            f". The shared instructions are written to the cache once per batch (${cost['cache_writes']:,.4f}) "
            f"and read by the other requests (${cost['cache_reads']:,.4f}); the provider's cache hits are best "
            "effort, so the input may cost more."
        )
    return note + ". Prompt caching can make the input cheaper."


def _fit_warnings(spec: JobSpec, builder: RequestBuilder, tally: TokenTally) -> list[str]:
    limits = model_limits(spec.provider, spec.model)
    warnings = []
    largest = tally.max_tokens + tally.static_tokens
    budget = builder.max_output or 0
    if limits.context_window and largest + budget > limits.context_window:
        warnings.append(
            f"The longest request ({tally.max_custom_id}, about {largest:,} tokens) may not fit "
            f"{spec.model}'s context window of {limits.context_window:,} tokens. Shorten that text, "
            "lower rows per request, or choose a model with a larger context."
        )
    needed = output_tokens_per_row(spec) * spec.rows_per_request
    if builder.max_output and builder.max_output < needed:
        warnings.append(
            f"The output budget ({builder.max_output} tokens) is below the ~{needed} tokens an answer of "
            f"{spec.rows_per_request} row(s) needs; answers may come back truncated."
        )
    if limits.max_output_tokens and budget > limits.max_output_tokens:
        warnings.append(
            f"The output budget ({budget:,}) is above {spec.model}'s maximum of {limits.max_output_tokens:,} tokens."
        )
    return warnings


def prepare(
    spec: JobSpec,
    out_dir: Path,
    *,
    table: Table | None = None,
    prefix: str = "req",
    only_ids: set[str] | None = None,
    limits: BatchLimits | None = None,
    progress: Progress | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Prepared:
    """Write the request files, ``index.jsonl`` (custom_id → row IDs) and ``manifest.json`` to ``out_dir``.

    The rows go through twice, a chunk at a time: once to check them (nothing is written when a
    check fails), once to build and write the requests. Without ``table``, a text file is read from
    disk each time, so memory stays flat however many rows it has.
    """
    if table is not None:
        source: TableRows | FileRows = TableRows(table)
    else:
        source = rows_of(spec.data, spec.load_options(), progress=progress, should_cancel=should_cancel)
    check = TableCheck(spec.id_column, placeholders(spec.input_template), accept_unreadable=spec.accept_unreadable_rows)
    head = source.feed(check.start, check.add)
    _check_columns(spec, head.columns)
    issues = check.issues(head)
    if blocking := [i for i in issues if i.blocking]:
        raise DataError("\n".join(i.message for i in blocking), _fix_hint(blocking))
    selection = _Selection(spec, head, issues, only_ids)
    total = check.rows - len(selection.blank_rows) if only_ids is None else min(len(only_ids), check.rows)
    if not total:
        raise DataError(
            "There are no rows to send: every selected row has a blank text.",
            "Check that the row template uses the columns that hold the texts.",
        )
    builder = RequestBuilder(spec)
    counter = token_counter(spec.provider, spec.model)
    tally = TokenTally(counter, static_tokens=builder.shared_prompt_tokens)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    done = 0
    with SplitWriter(out_dir, limits or limits_for(spec.provider)) as writer, (out_dir / INDEX_FILE).open("wb") as index:

        def write(request: Request) -> None:
            nonlocal done
            custom_id, rows, line = request
            writer.write(custom_id, dumps_line(line), len(rows))
            tally.add(custom_id, builder.user_content(rows))
            index.write(dumps_line({"custom_id": custom_id, "file": len(writer.files), "rows": [r.row_id for r in rows]}))
            done += len(rows)
            if done % 5_000 < len(rows):
                if should_cancel and should_cancel():
                    raise CancelledError()
                if progress:
                    progress(done, total)

        requests = _Requests(builder, prefix)

        def add(frame: pd.DataFrame, numbers: np.ndarray) -> None:
            for row in selection.rows(frame, numbers):
                if request := requests.add(row):
                    write(request)

        source.feed(selection.start, add)
        if request := requests.finish():
            write(request)
    tally.finish()
    if progress:
        progress(done, done)
    manifest = {
        "batchlab_version": app.__version__,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "name": spec.name,
        "provider": spec.provider,
        "model": spec.model,
        "endpoint": builder.url if spec.provider != "anthropic" else "/v1/messages/batches",
        "custom_id_prefix": prefix,
        "rows_total": check.rows,
        "rows_sent": done,
        "rows_not_sent": {"blank_text": selection.blank},
        "data": data_record(
            spec.data, head.layout, check.rows, {"blank_text": len(selection.blank)}, selection.unreadable,
            findings_text(head, issues),
        ),
        "rows_per_request": spec.rows_per_request,
        "requests": tally.requests,
        "files": [f.to_dict() for f in writer.files],
        "bytes": sum(f.bytes for f in writer.files),
        **_estimate(spec, builder, tally, done, len(writer.files)),
        "notes": builder.notes,
        "warnings": spec_warnings(spec) + _fit_warnings(spec, builder, tally),  # shown in the preview and by the CLI
    }
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return Prepared(out_dir, manifest, [f.path for f in writer.files])


def preview_requests(spec: JobSpec, table: Table, count: int = 3, sample: bool = False) -> list[dict[str, Any]]:
    """The first (or ``sample``: randomly chosen) requests exactly as they will be sent."""
    plan = plan_rows(spec, table)
    if sample and len(plan.positions) > count * spec.rows_per_request:
        rng = random.Random(0)
        plan.positions = sorted(rng.sample(plan.positions, count * spec.rows_per_request))
    builder = RequestBuilder(spec)
    out = []
    for _, _, line in iter_requests(builder, plan, "preview"):
        out.append(line)
        if len(out) == count:
            break
    return out


def read_index(folder: Path) -> Iterator[tuple[str, int, list[str]]]:
    """Stream ``(custom_id, file number, row IDs)`` from a prepared folder's index."""
    with (Path(folder) / INDEX_FILE).open("rb", buffering=READ_BUFFER) as handle:
        for line in handle:
            entry = orjson.loads(line)
            yield entry["custom_id"], entry["file"], entry["rows"]


def sample_rows(ids: Sequence[str], count: int, seed: int = 0) -> list[str]:
    """A reproducible random sample of row IDs (for pilots)."""
    if count >= len(ids):
        return list(ids)
    return random.Random(seed).sample(list(ids), count)
