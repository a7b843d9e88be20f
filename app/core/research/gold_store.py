"""Gold labels (what people coded) kept with the job in the job history database.

One row per job, coder and data row, its field values as JSON; hand coding saves each row as
it is coded, so a session can stop and resume anywhere. The tables belong to this module and
are created on first use; deleting a job deletes its gold labels and sample with it.

Validation results are kept too, keyed by a fingerprint of the instructions (instructions,
template, fields, model), so the Review step can show how the instructions it is about to send
last did against the gold labels, whether in a pilot or a full job.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from app.core.errors import JobError
from app.core.research.sampling import Sample
from app.core.run.store import Store, now
from app.core.spec import JobSpec

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gold_labels (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    coder TEXT NOT NULL,
    row_id TEXT NOT NULL,
    values_json TEXT NOT NULL,
    source TEXT NOT NULL,
    seq INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (job_id, coder, row_id)
);
CREATE TABLE IF NOT EXISTS gold_samples (
    job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    sample_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS validation_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL,
    job_id TEXT,
    kind TEXT NOT NULL,
    result_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS validation_results_by_fingerprint ON validation_results (fingerprint, id);
"""
_TABLES = ("gold_labels", "gold_samples", "validation_results")
HAND_CODED = "hand coding"


class GoldStore:
    """Read and write one database's gold labels and hand-coding samples."""

    def __init__(self, store: Store) -> None:
        self.store = store
        marks = ", ".join("?" for _ in _TABLES)
        found = store.db.execute(
            f"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ({marks})", _TABLES
        ).fetchone()[0]
        if found < len(_TABLES):  # creating only when missing keeps a read-only history readable
            store.db.executescript(_SCHEMA)

    def _check_job(self, job_id: str) -> None:
        if self.store.job(job_id) is None:
            raise JobError(f'There is no job "{job_id}".', "See the list of jobs with `python -m app status`.")

    def save_labels(self, job_id: str, coder: str, labels: dict[str, dict[str, Any]], source: str) -> int:
        """Replace ``coder``'s labels for the job with ``labels`` (row_id -> field -> value); the count saved.

        An import replaces rather than merges, so rows taken out of a corrected file do not linger.
        """
        self._check_job(job_id)
        stamp = now()
        with self.store.transaction() as db:
            db.execute("DELETE FROM gold_labels WHERE job_id = ? AND coder = ?", (job_id, coder))
            db.executemany(
                "INSERT INTO gold_labels (job_id, coder, row_id, values_json, source, seq, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (job_id, coder, str(row_id), json.dumps(values, ensure_ascii=False), source, seq, stamp)
                    for seq, (row_id, values) in enumerate(labels.items())
                ),
            )
        return len(labels)

    def set_label(self, job_id: str, coder: str, row_id: str, values: dict[str, Any]) -> None:
        """Save one hand-coded row at once (merged into what the coder saved for it before)."""
        self._check_job(job_id)
        with self.store.transaction() as db:
            found = db.execute(
                "SELECT values_json, seq FROM gold_labels WHERE job_id = ? AND coder = ? AND row_id = ?",
                (job_id, coder, row_id),
            ).fetchone()
            if found:
                merged = {**json.loads(found["values_json"]), **values}
                seq = found["seq"]
            else:
                merged = dict(values)
                seq = db.execute(
                    "SELECT COALESCE(MAX(seq), -1) + 1 FROM gold_labels WHERE job_id = ? AND coder = ?", (job_id, coder)
                ).fetchone()[0]
            db.execute(
                "INSERT OR REPLACE INTO gold_labels (job_id, coder, row_id, values_json, source, seq, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job_id, coder, row_id, json.dumps(merged, ensure_ascii=False), HAND_CODED, seq, now()),
            )

    def labels(self, job_id: str, coder: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
        """coder -> row_id -> field -> value, in the order the rows were saved."""
        query = "SELECT coder, row_id, values_json FROM gold_labels WHERE job_id = ?"
        args: tuple[str, ...] = (job_id,)
        if coder is not None:
            query += " AND coder = ?"
            args += (coder,)
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for row in self.store.db.execute(query + " ORDER BY coder, seq", args):
            out.setdefault(row["coder"], {})[row["row_id"]] = json.loads(row["values_json"])
        return out

    def coders(self, job_id: str) -> list[str]:
        """Coders with labels for the job, in the order they first saved one."""
        query = "SELECT coder FROM gold_labels WHERE job_id = ? GROUP BY coder ORDER BY MIN(updated_at), MIN(rowid)"
        return [row[0] for row in self.store.db.execute(query, (job_id,))]

    def delete_coder(self, job_id: str, coder: str) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM gold_labels WHERE job_id = ? AND coder = ?", (job_id, coder))

    def save_sample(self, job_id: str, sample: Sample) -> None:
        """Keep the job's hand-coding sample (one per job; a new one replaces it)."""
        self._check_job(job_id)
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO gold_samples (job_id, sample_json, created_at) VALUES (?, ?, ?)",
                (job_id, json.dumps(sample.to_dict()), now()),
            )

    def sample(self, job_id: str) -> Sample | None:
        row = self.store.db.execute("SELECT sample_json FROM gold_samples WHERE job_id = ?", (job_id,)).fetchone()
        return Sample.from_dict(json.loads(row[0])) if row else None

    def save_result(self, spec: JobSpec, result: dict[str, Any], kind: str, job_id: str | None = None) -> None:
        """Keep a validation result (``Validation.to_json()``; the disagreements are left out) for these instructions."""
        figures = {k: v for k, v in result.items() if k != "disagreements"}
        figures["disagreement_count"] = len(result.get("disagreements") or [])
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO validation_results (fingerprint, job_id, kind, result_json, created_at) VALUES (?, ?, ?, ?, ?)",
                (instructions_fingerprint(spec), job_id, kind, json.dumps(figures, ensure_ascii=False), now()),
            )

    def last_result(self, spec: JobSpec) -> dict[str, Any] | None:
        """The latest validation of these exact instructions: {"kind", "job_id", "at", "result"}, or None."""
        row = self.store.db.execute(
            "SELECT job_id, kind, result_json, created_at FROM validation_results WHERE fingerprint = ? "
            "ORDER BY id DESC LIMIT 1",
            (instructions_fingerprint(spec),),
        ).fetchone()
        if row is None:
            return None
        return {"kind": row["kind"], "job_id": row["job_id"], "at": row["created_at"], "result": json.loads(row["result_json"])}

    def export_csv(self, job_id: str, path: Path, fields: list[str] | None = None) -> Path:
        """Write every coder's labels as CSV: coder, row_id, one column per field, source, saved at.

        ``fields`` orders the field columns (the job's fields); by default they are the fields seen.
        Values are written as the rows view shows them (yes/no, lists joined by "; "), which the
        gold import reads back; texts a spreadsheet would run as formulas are neutralised.
        """
        import csv

        from app.core.results.cells import cell_text, neutralise_column, shown

        query = "SELECT coder, row_id, values_json, source, updated_at FROM gold_labels WHERE job_id = ? ORDER BY coder, seq"
        records = self.store.db.execute(query, (job_id,)).fetchall()
        values = [json.loads(r["values_json"]) for r in records]
        names = fields if fields is not None else list(dict.fromkeys(k for v in values for k in v))
        columns: list[list[object]] = [
            [r["coder"] for r in records],
            [r["row_id"] for r in records],
            *([cell_text(shown(v.get(name))) for v in values] for name in names),  # 1e-7 as 0.0000001
            [r["source"] for r in records],
            [r["updated_at"] for r in records],
        ]
        for column in columns:
            neutralise_column(column)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["coder", "row_id", *names, "source", "saved_at"])
            writer.writerows(zip(*columns))
        return path


def instructions_fingerprint(spec: JobSpec) -> str:
    """Identifies what the model is asked: instructions, row template, fields and model."""
    what = {
        "instructions": spec.instructions,
        "input_template": spec.input_template,
        "fields": [f.to_dict() for f in spec.fields],
        "provider": spec.provider,
        "model": spec.model,
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
