"""From spec + data to request files, an index of which rows each request carries, and a manifest.

This is what ``python -m app prepare`` runs, what the lifecycle engine runs before uploading, and
(in its preview form) what the GUI shows before anything is sent. The rows are read once, a
chunk at a time, and each chunk is checked, rendered, built and written: read from a text file,
memory does not grow with the number of rows. Only what differs between requests is serialised
per request (:mod:`app.core.build.lines`); a job is written to a scratch folder and published
once every check has passed.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import random
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

import app
from app.core.build.batchfiles import (
    READ_BUFFER,
    BatchLimits,
    WRITE_BUFFER,
    SplitWriter,
    WrittenFile,
    dumps_line,
    limits_for,
)
from app.core.build.lines import BLOCK_CHARS, LineMaker
from app.core.build.standins import stand_ins
from app.core.data.checks import RowFindings, TableCheck, check_table, findings_text
from app.core.data.table import Chunk, DataIssue, Table
from app.core.data.provenance import data_record, sha256_meanwhile
from app.core.data.stream import FileRows, TableRows, rows_of
from app.core.errors import CancelledError, DataError, SpecError
from app.core.build.expected import estimate_section, fit_warnings
from app.core.build.requests import RequestBuilder, RowInput
from app.core.spec import JobSpec, spec_warnings
from app.core.build.template import check_placeholders, parse_template, placeholders
from app.core.build.tokens import TokenTally, token_counter

Progress = Callable[[int, int], None]
INDEX_FILE = "index.jsonl"
MANIFEST_FILE = "manifest.json"
#: Every row's ID in the data's order (sent or not), a JSON list per chunk a line; written on request.
ROW_IDS_FILE = "row_ids.jsonl"


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


class _Groups:
    """Rows gathered into requests of ``size`` rows: what is left over waits for the next chunk."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.ids: list[str] = []
        self.texts: list[str] = []

    def add(self, ids: list[str], texts: list[str]) -> tuple[list[str], list[str]]:
        """The rows of every request these rows complete, in order (a whole number of requests)."""
        if self.ids:
            ids, texts = self.ids + ids, self.texts + texts
        whole = len(ids) - len(ids) % self.size
        self.ids, self.texts = ids[whole:], texts[whole:]
        return ids[:whole], texts[:whole]

    def finish(self) -> tuple[list[str], list[str]]:
        """The rows of the last, partly filled request (none when there is none)."""
        rest = self.ids, self.texts
        self.ids, self.texts = [], []
        return rest


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
    """Yield ``(custom_id, rows, batch line)`` for every request of a planned table, a block at a time."""
    template = parse_template(builder.spec.input_template, plan.table.columns)
    size, frame, block = builder.rows_per_request, plan.table.frame, 10_000
    groups, numbers = _Groups(size), itertools.count(1)

    def requests(ids: list[str], texts: list[str]) -> Iterator[tuple[str, list[RowInput], dict[str, Any]]]:
        rows = list(map(RowInput, ids, texts))
        for first in range(0, len(rows), size):
            custom_id, group = f"{prefix}-{next(numbers):06d}", rows[first : first + size]
            yield custom_id, group, builder.batch_line(custom_id, group)

    for start in range(0, len(plan.positions), block):
        positions = plan.positions[start : start + block]
        cells = [frame[c].take(positions).tolist() for c in template.columns]
        yield from requests(*groups.add([plan.ids[p] for p in positions], template.render_all(cells, len(positions))))
    yield from requests(*groups.finish())


class _Writer:
    """The one reading of the rows: checks each chunk, and writes its rows as requests (batch files,
    index, token tally) into a scratch folder that becomes the output only if every check passes."""

    def __init__(
        self, spec: JobSpec, scratch: Path, prefix: str, only_ids: set[str] | None, limits: BatchLimits, list_ids: bool
    ) -> None:
        self.spec, self.scratch, self.prefix, self.only_ids, self.limits = spec, scratch, prefix, only_ids, limits
        self.list_ids = list_ids  # also write every row's ID (ROW_IDS_FILE)
        self.check = TableCheck(spec.id_column, placeholders(spec.input_template), accept_unreadable=spec.accept_unreadable_rows)
        self.files: SplitWriter | None = None
        self.index: IO[bytes] | None = None
        self.ids: IO[bytes] | None = None

    @functools.cached_property
    def builder(self) -> RequestBuilder:
        """Made when the reading starts, not before: with rows per request "auto" it counts tokens,
        and the tokenizer may still be being built beside the reading (``tokens.counting_helper``)."""
        return RequestBuilder(self.spec)

    @functools.cached_property
    def lines(self) -> LineMaker:
        return LineMaker(self.builder)

    def start(self, columns: list[str]) -> None:
        """Begin, or begin again when the file turns out to need another reading: drop what was written."""
        size = self.builder.rows_per_request  # the spec's own problems first
        _check_columns(self.spec, columns)
        self.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir(parents=True)  # beside the output folder, so publishing is renames
        self.check.start(columns)
        self.template = parse_template(self.spec.input_template, columns)
        self.files = SplitWriter(self.scratch, self.limits)
        self.index = (self.scratch / INDEX_FILE).open("wb", buffering=WRITE_BUFFER)
        self.ids = (self.scratch / ROW_IDS_FILE).open("wb", buffering=WRITE_BUFFER) if self.list_ids else None
        self.tally = TokenTally(token_counter(self.spec.provider, self.spec.model))  # its static tokens at the end
        self.groups = _Groups(size)
        self.blank: list[str] = []
        self.unreadable: list[str] = []
        self.read = self.sent = self.requests = 0  # without an ID column, a row's ID is its position

    def add(self, chunk: Chunk) -> None:
        found = self.check.add(chunk)
        count = len(chunk)
        if self.spec.id_column:
            ids = chunk.values(self.spec.id_column)
        else:
            ids = [str(n) for n in range(self.read + 1, self.read + count + 1)]
        self.read += count
        if self.ids is not None:
            self.ids.write(dumps_line(ids))
        texts = self.template.render_all([chunk.values(c) for c in self.template.columns], count)
        if found.blank or found.unreadable or self.only_ids is not None:
            ids, texts = self._select(ids, texts, found)
        self._write(self.groups.add(ids, texts))

    def _select(self, ids: list[str], texts: list[str], found: RowFindings) -> tuple[list[str], list[str]]:
        """The rows to send (among ``only_ids`` when given, not blank); blank and unreadable IDs noted."""
        blank, unreadable, wanted = set(found.blank), set(found.unreadable), self.only_ids
        kept = [i for i, row_id in enumerate(ids) if wanted is None or row_id in wanted]
        self.blank += [ids[i] for i in kept if i in blank]
        self.unreadable += [ids[i] for i in kept if i in unreadable and i not in blank]
        kept = [i for i in kept if i not in blank]
        return [ids[i] for i in kept], [texts[i] for i in kept]

    def _write(self, rows: tuple[list[str], list[str]]) -> None:
        """Write the requests of these rows (IDs and texts, a whole number of requests but the last)
        to the batch files and the index. Each step runs over the chunk's requests at once: a
        million-row job makes 200,000 requests, and a Python loop per request was most of its time."""
        assert self.files is not None and self.index is not None
        ids, texts = rows
        if not ids:
            return
        size = self.builder.rows_per_request
        prefix, first, requests = self.prefix, self.requests + 1, -(-len(ids) // size)
        custom_ids = [f"{prefix}-{seq:06d}" for seq in range(first, first + requests)]
        contents = self.builder.user_contents(ids, texts)
        counts = [size] * requests
        counts[-1] = len(ids) - size * (requests - 1)  # the last request may be partly filled
        step = max(1, BLOCK_CHARS * len(contents) // (sum(map(len, contents)) or 1))  # requests per block
        files: list[int] = []
        for start in range(0, len(contents), step):
            part = slice(start, start + step)
            block = self.lines.block(custom_ids[part], contents[part])
            files += self.files.write_block(custom_ids[part], block, counts[part])
        self.tally.add_many(custom_ids, contents)
        index = _index_block(custom_ids, files, ids, size)
        if index is None:
            index = _index_lines(custom_ids, files, [ids[start : start + size] for start in range(0, len(ids), size)])
        self.index.write(index)
        self.sent += len(ids)
        self.requests += requests

    def finish(self) -> None:
        self._write(self.groups.finish())
        self.close()
        self.tally.finish()
        # counted only now: the tokenizer may have been built beside the reading (tokens.counting_helper)
        self.tally.static_tokens = self.builder.shared_prompt_tokens

    def close(self) -> None:
        for handle in (self.files, self.index, self.ids):
            if handle is not None:
                handle.close()


def _index_lines(custom_ids: list[str], files: list[int], groups: list[list[str]]) -> bytes:
    """The index lines of these requests, as ``dumps_line`` writes each: serialised as one JSON list
    (one call instead of one per request, three times faster), then split into lines where one
    entry ends and the next begins. ``},{"custom_id":`` occurs nowhere else: inside a JSON string
    every quotation mark is escaped."""
    entries = [{"custom_id": c, "file": file, "rows": group} for c, file, group in zip(custom_ids, files, groups)]
    return orjson.dumps(entries)[1:-1].replace(b'},{"custom_id":', b'}\n{"custom_id":') + b"\n"


def _index_block(custom_ids: list[str], files: list[int], ids: list[str], size: int) -> bytes | None:
    """:func:`_index_lines` of requests that all went to one file, ``size`` rows each (the last
    perhaps fewer), made in a few calls: the custom_ids and row IDs are joined with stand-in
    characters around them (:mod:`app.core.build.standins`), escaped at once, and the stand-ins
    replaced by the JSON between them. None when the requests went to two files or too few stand-ins
    are free. (At one row per request it takes a third of the time of serialising an entry each.)"""
    marks = stand_ins(3, ("".join(ids), "".join(custom_ids)))
    if marks is None or files[0] != files[-1]:  # the files of consecutive requests never go back
        return None
    opening, between, closing = marks
    leads = [between] * len(ids)  # what goes before each row ID: the custom_id for a request's first
    leads[::size] = [closing + custom_id + opening for custom_id in custom_ids]
    leads[0] = leads[0][1:]
    pieces = [closing] * (2 * len(ids) + 1)
    pieces[0:-1:2], pieces[1::2] = leads, ids
    head = b'{"custom_id":"'
    escaped = orjson.dumps("".join(pieces))[1:-1]
    escaped = escaped.replace(opening.encode(), b'","file":%d,"rows":["' % files[0]).replace(between.encode(), b'","')
    return head + escaped.replace(closing.encode(), b'"]}\n' + head)[: -len(head)]


@dataclass
class Prepared:
    """What ``prepare`` wrote; ``manifest`` is also saved as manifest.json."""

    folder: Path
    manifest: dict[str, Any]
    files: list[Path]


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
    row_ids: Path | None = None,
) -> Prepared:
    """Write the request files, ``index.jsonl`` (custom_id → row IDs) and ``manifest.json`` to ``out_dir``
    (and, with ``row_ids``, every row's ID in the data's order to that file: :func:`read_row_ids`).

    The rows are read once, a chunk at a time, and checked and written as they come; the files go
    to a scratch folder beside ``out_dir`` and move into it only when every check passed, so a
    refused job leaves nothing behind. Without ``table``, a text file is read from disk, so memory stays flat
    however many rows it has.
    """
    out_dir = Path(out_dir)
    created = next((p for p in reversed([out_dir, *out_dir.parents]) if not p.exists()), None)
    scratch = out_dir.parent / f".{out_dir.name}.preparing"
    writer = _Writer(spec, scratch, prefix, only_ids, limits or limits_for(spec.provider), row_ids is not None)
    checksum = sha256_meanwhile(spec.data)
    if table is not None:
        source: TableRows | FileRows = TableRows(table)
    else:
        source = rows_of(spec.data, spec.load_options(), progress=progress, should_cancel=should_cancel)
    try:
        head = source.feed(writer.start, _steps(writer, source, progress, should_cancel))
        writer.finish()
        check = writer.check
        issues = check.issues(head)
        if blocking := [i for i in issues if i.blocking]:
            raise DataError("\n".join(i.message for i in blocking), _fix_hint(blocking))
        if not writer.sent and only_ids is None:
            raise DataError(
                "There are no rows to send: every selected row has a blank text.",
                "Check that the row template uses the columns that hold the texts.",
            )
        files = _publish(writer, out_dir, row_ids)
    except BaseException:
        writer.close()
        for folder in (scratch, created):  # a refused job leaves no folder behind
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        raise
    shutil.rmtree(scratch, ignore_errors=True)
    if progress:
        progress(writer.sent, writer.sent)
    builder, tally = writer.builder, writer.tally
    manifest = {
        "batchlab_version": app.__version__,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "name": spec.name,
        "provider": spec.provider,
        "model": spec.model,
        "endpoint": builder.url if spec.provider != "anthropic" else "/v1/messages/batches",
        "custom_id_prefix": prefix,
        "rows_total": check.rows,
        "rows_sent": writer.sent,
        "rows_not_sent": {"blank_text": writer.blank},
        "data": data_record(
            spec.data, head.layout, check.rows, {"blank_text": len(writer.blank)}, writer.unreadable,
            findings_text(head, issues), checksum(),
        ),
        "rows_per_request": builder.rows_per_request,
        "rows_per_request_setting": spec.rows_per_request,  # "auto" or the number the spec set
        "row_format": builder.row_format if builder.multi else None,
        "requests": tally.requests,
        "files": [f.to_dict() for f in files],
        "bytes": sum(f.bytes for f in files),
        **estimate_section(spec, builder, tally, writer.sent, len(files)),
        "notes": builder.notes,
        "warnings": spec_warnings(spec) + fit_warnings(spec, builder, tally),  # shown in the preview and by the CLI
    }
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return Prepared(out_dir, manifest, [f.path for f in files])


def _steps(
    writer: _Writer, source: TableRows | FileRows, progress: Progress | None, should_cancel: Callable[[], bool] | None
) -> Callable[[Chunk], None]:
    """``writer.add`` with a cancel check per chunk, and progress in rows for a table in memory (a
    file being read reports its own progress, in bytes). The token sample is counted as it is
    drawn, where a helper process counts (``TokenTally.count_ahead``)."""
    total = len(source.table) if isinstance(source, TableRows) else 0
    done = 0

    def step(chunk: Chunk) -> None:
        nonlocal done
        if should_cancel and should_cancel():
            raise CancelledError()
        writer.add(chunk)
        writer.tally.count_ahead(source.share)
        done += len(chunk)
        if progress and total:
            progress(done, total)

    return step


def _publish(writer: _Writer, out_dir: Path, row_ids: Path | None) -> list[WrittenFile]:
    """Move the finished files from the scratch folder into ``out_dir`` (the row IDs to ``row_ids``)."""
    assert writer.files is not None
    out_dir.mkdir(parents=True, exist_ok=True)
    files = writer.files.files
    for written in files:
        written.path = written.path.replace(out_dir / written.path.name)
    (writer.scratch / INDEX_FILE).replace(out_dir / INDEX_FILE)
    if row_ids is not None:
        (writer.scratch / ROW_IDS_FILE).replace(row_ids)
    return files


def preview_requests(spec: JobSpec, table: Table, count: int = 3, sample: bool = False) -> list[dict[str, Any]]:
    """The first (or ``sample``: randomly chosen) requests exactly as they will be sent."""
    plan = plan_rows(spec, table)
    builder = RequestBuilder(spec)
    if sample and len(plan.positions) > count * builder.rows_per_request:
        rng = random.Random(0)
        plan.positions = sorted(rng.sample(plan.positions, count * builder.rows_per_request))
    out = []
    for _, _, line in iter_requests(builder, plan, "preview"):
        out.append(line)
        if len(out) == count:
            break
    return out


def read_index(folder: Path, file: int | None = None) -> Iterator[tuple[str, int, list[str]]]:
    """Stream ``(custom_id, file number, row IDs)`` from a prepared folder's index; with ``file``,
    only the requests of that batch file.

    The index lists requests in file order (the files are written one after another), so reading
    for one file parses only its lines, found by their text, and stops after them: a million-row
    job's batches each parsed the whole index (~0.4 s a batch). An index written in another
    spacing (by an older BatchLab) is read whole.
    """
    path = Path(folder) / INDEX_FILE
    if file is None:
        yield from _index_entries(path)
        return
    found = False
    for entry in _index_entries(path, b'"file":%d,' % file):  # a quote inside an ID is escaped: no match
        found = True
        yield entry
    if not found:
        yield from (entry for entry in _index_entries(path) if entry[1] == file)


def _index_entries(path: Path, marker: bytes = b"") -> Iterator[tuple[str, int, list[str]]]:
    """The index's entries on lines holding ``marker``, up to the first line without it after them."""
    seen = False
    with path.open("rb", buffering=READ_BUFFER) as handle:
        for line in handle:
            if marker in line:
                seen = True
                entry = orjson.loads(line)
                yield entry["custom_id"], entry["file"], entry["rows"]
            elif seen:
                return


def read_row_ids(path: Path) -> Iterator[str]:
    """Every row's ID from a file ``prepare(row_ids=…)`` wrote, in the data's order."""
    with Path(path).open("rb", buffering=READ_BUFFER) as handle:
        for line in handle:
            yield from orjson.loads(line)


def sample_rows(ids: Sequence[str], count: int, seed: int = 0) -> list[str]:
    """A reproducible random sample of row IDs (for pilots)."""
    if count >= len(ids):
        return list(ids)
    return random.Random(seed).sample(list(ids), count)
