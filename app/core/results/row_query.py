"""A job's rows as the rows view reads them: beside their texts, sorted, filtered and searched in SQLite.

The job history is only read (opened read-only). The text each row was coded from is rendered once
from the job's copy of the data and kept in a small cache database of its own, keyed by the row's
position, with the spreadsheet row number and the row's input cells; every query joins the two.
A page is one indexed query (``LIMIT``/``OFFSET``), so a view can jump to any row of a million-row
job without reading the others.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from app.core.build.template import parse_template, placeholders
from app.core.data import load_job_table
from app.core.run.store import status_is
from app.core.spec import JobSpec

#: Sort keys besides the output fields' names.
SORT_KEYS = ("row", "id", "status", "reason", "text")
_CHUNK = 20_000
_CACHE_SCHEMA = """
CREATE TABLE IF NOT EXISTS texts (
    position INTEGER PRIMARY KEY,
    sheet_row INTEGER NOT NULL,
    text TEXT NOT NULL,
    inputs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class RowQuery:
    """Which rows, in which order: a status, field values (as stored), words to find, a sort key."""

    status: str | None = None
    #: Output field name → the value it must have (for list fields: one of its items).
    values: dict[str, Any] = field(default_factory=dict)
    search: str = ""
    sort: str = "row"  # one of SORT_KEYS or an output field's name
    descending: bool = False


@dataclass(frozen=True)
class RowView:
    """One row as the rows view shows it."""

    position: int
    sheet_row: int | None  # None until the texts are rendered
    row_id: str
    status: str
    reason: str
    values: dict[str, Any]
    text: str | None
    inputs: dict[str, str]
    input_tokens: int | None
    output_tokens: int | None
    cost: float | None
    attempt: int


def cache_path(history: Path, job_id: str) -> Path:
    """Where a job's rendered texts are kept: beside the job history, one small database per job."""
    return Path(history).parent / "row-texts" / f"{job_id}.sqlite3"


def _like(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _json_path(name: str) -> str:
    return '$."' + name.replace('"', '\\"') + '"'


class JobRows:
    """Queries over one job's rows; one instance per thread (SQLite connections are not shared)."""

    def __init__(self, history: Path, job_id: str, spec: JobSpec, cache: Path | None = None) -> None:
        self.history = Path(history)
        self.job_id = job_id
        self.spec = spec
        self._list_fields = {f.name for f in spec.fields if f.type == "list"}
        self._field_names = {f.name for f in spec.fields}
        cache = self.cache = cache or cache_path(history, job_id)
        cache.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(cache, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")  # the view reads while the texts are written
        self._db.executescript(_CACHE_SCHEMA)
        self._db.execute("ATTACH DATABASE ? AS history", (f"{Path(history).absolute().as_uri()}?mode=ro",))

    def close(self) -> None:
        self._db.close()

    # ---- texts ----------------------------------------------------------------------------------
    def texts_ready(self) -> bool:
        return self._db.execute("SELECT 1 FROM meta WHERE key = 'texts'").fetchone() is not None

    def render_texts(
        self, progress: Callable[[int, int], None] | None = None, should_cancel: Callable[[], bool] | None = None
    ) -> None:
        """Render every row's text from the job's data copy into the cache (once per job)."""
        if self.texts_ready():
            return
        table = load_job_table(self.spec, should_cancel=should_cancel)
        frame = table.frame
        columns = [c for c in placeholders(self.spec.input_template) if c in frame.columns]
        template = parse_template(self.spec.input_template, table.columns)
        shown = list(dict.fromkeys(([self.spec.id_column] if self.spec.id_column else []) + list(frame.columns)))
        sheet_rows = table.all_row_numbers()
        total = len(frame)
        self._db.execute("BEGIN")
        try:
            self._db.execute("DELETE FROM texts")
            for start in range(0, total, _CHUNK):
                if should_cancel is not None and should_cancel():
                    raise InterruptedError
                part = frame.iloc[start : start + _CHUNK]
                texts = template.render_rows({c: part[c].tolist() for c in columns})
                cells = part[shown].to_dict("records")
                self._db.executemany(
                    "INSERT INTO texts (position, sheet_row, text, inputs) VALUES (?, ?, ?, ?)",
                    (
                        (start + i, int(sheet_rows[start + i]), text, orjson.dumps(row).decode())
                        for i, (text, row) in enumerate(zip(texts, cells))
                    ),
                )
                if progress is not None:
                    progress(min(start + _CHUNK, total), total)
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('texts', 'done')")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def input_columns(self) -> list[str]:
        """The data's columns, in file order (empty until the texts are rendered)."""
        row = self._db.execute("SELECT inputs FROM texts LIMIT 1").fetchone()
        return list(orjson.loads(row[0])) if row else []

    # ---- queries --------------------------------------------------------------------------------
    def _where(self, query: RowQuery) -> tuple[str, list[Any], bool]:
        """The WHERE clause, its arguments, and whether it needs the texts joined."""
        clauses, args, needs_texts = ["r.job_id = ?"], [self.job_id], False
        if query.status:
            clauses.append(status_is(query.status, "r."))
            args.append(query.status)
        for name, value in query.values.items():
            if name not in self._field_names:
                continue
            if name in self._list_fields:
                clauses.append("EXISTS (SELECT 1 FROM json_each(r.values_json, ?) WHERE value = ?)")
            else:
                clauses.append("json_extract(r.values_json, ?) = ?")
            args += [_json_path(name), value]
        if query.search.strip():
            pattern = _like(query.search.strip())
            searched = ["r.row_id", "r.reason", "r.values_json"]
            if self.texts_ready():
                searched.append("t.text")
                needs_texts = True
            clauses.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in searched) + ")")
            args += [pattern] * len(searched)
        return " AND ".join(clauses), args, needs_texts

    def _order(self, query: RowQuery) -> tuple[str, list[Any], bool]:
        direction = "DESC" if query.descending else "ASC"
        if query.sort in ("row", ""):
            return f"r.position {direction}", [], False
        simple = {"id": "r.row_id", "status": "r.status", "reason": "r.reason", "text": "t.text"}
        if query.sort in simple:
            return f"{simple[query.sort]} {direction}, r.position", [], query.sort == "text"
        if query.sort in self._field_names:
            return f"json_extract(r.values_json, ?) {direction}, r.position", [_json_path(query.sort)], False
        raise ValueError(f"unknown sort key {query.sort!r}")

    def count(self, query: RowQuery) -> int:
        where, args, needs_texts = self._where(query)
        join = "LEFT JOIN texts t ON t.position = r.position" if needs_texts else ""
        return int(self._db.execute(f"SELECT COUNT(*) FROM history.rows r {join} WHERE {where}", args).fetchone()[0])

    def _positions_sql(self, query: RowQuery) -> tuple[str, list[Any]]:
        where, args, where_texts = self._where(query)
        order, order_args, order_texts = self._order(query)
        join = "LEFT JOIN texts t ON t.position = r.position" if where_texts or order_texts else ""
        return f"SELECT r.position FROM history.rows r {join} WHERE {where} ORDER BY {order}", [*args, *order_args]

    def positions(self, query: RowQuery) -> array[int]:
        """Every matching row's position, in the query's order: one pass, after which any page of
        the result is a lookup (how the view reaches the end of a filtered million-row job at once)."""
        sql, args = self._positions_sql(query)
        return array("q", (p for (p,) in self._db.execute(sql, args)))

    def page(self, query: RowQuery, offset: int, limit: int) -> list[RowView]:
        """Rows ``offset`` … ``offset + limit`` of the query, with their texts."""
        sql, args = self._positions_sql(query)
        return self.rows_at([p for (p,) in self._db.execute(f"{sql} LIMIT ? OFFSET ?", [*args, limit, offset])])

    def rows_at(self, positions: Sequence[int]) -> list[RowView]:
        """These rows (by position), in this order, with their texts."""
        chosen = list(positions)
        if not chosen:
            return []
        marks = ", ".join("?" * len(chosen))
        cursor = self._db.execute(
            "SELECT r.*, t.sheet_row, t.text, t.inputs FROM history.rows r "
            f"LEFT JOIN texts t ON t.position = r.position WHERE r.job_id = ? AND r.position IN ({marks})",
            [self.job_id, *chosen],
        )
        cursor.row_factory = sqlite3.Row
        found = {row["position"]: _view(row) for row in cursor}
        return [found[p] for p in chosen if p in found]

    def field_values(self, name: str, limit: int = 200) -> list[tuple[Any, int]]:
        """The values a field takes (list fields: their items), most frequent first, with counts."""
        if name in self._list_fields:
            sql = (
                "SELECT j.value AS v, COUNT(*) AS n FROM history.rows r, json_each(r.values_json, ?) j "
                "WHERE r.job_id = ? GROUP BY v ORDER BY n DESC, v LIMIT ?"
            )
        else:
            sql = (
                "SELECT json_extract(r.values_json, ?) AS v, COUNT(*) AS n FROM history.rows r "
                "WHERE r.job_id = ? AND v IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT ?"
            )
        return [(v, n) for v, n in self._db.execute(sql, (_json_path(name), self.job_id, limit))]


def _view(row: sqlite3.Row) -> RowView:
    return RowView(
        position=row["position"],
        sheet_row=row["sheet_row"],
        row_id=row["row_id"],
        status=row["status"],
        reason=row["reason"],
        values=orjson.loads(row["values_json"]) if row["values_json"] else {},
        text=row["text"],
        inputs=orjson.loads(row["inputs"]) if row["inputs"] else {},
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        cost=row["cost"],
        attempt=row["attempt"],
    )
