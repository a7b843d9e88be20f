"""Results a person downloaded from a provider's console, read into the job they belong to.

A batch can be finished outside BatchLab (the app was uninstalled, the job was submitted by
hand, the results were fetched from the OpenAI or Anthropic dashboard). Such a file, an OpenAI
batch output or error JSONL, or an Anthropic results JSONL, maps back to rows exactly as the
engine maps its own downloads: by ``custom_id`` through the job's index, with the same parser
(:func:`app.core.results.parse.parse_batch`). The file is copied into the job folder first, so
every row's raw answer can be opened later and the replication package carries it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.build.prepare import read_index
from app.core.errors import ImportFileError, JobError
from app.core.results.parse import parse_batch
from app.core.run.store import now

if TYPE_CHECKING:
    from app.core.run.engine import Engine

_FINAL_BATCH_STATES = ("parsed", "failed", "cancelled")


def _lines(path: Path) -> list[tuple[dict[str, Any], bytes]]:
    """Every JSON object line of the file with its raw bytes; a file that is not JSONL is refused."""
    out = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except ValueError:
                obj = None
            if not isinstance(obj, dict) or "custom_id" not in obj:
                raise ImportFileError(
                    f"Line {number} of {path.name} is not a provider result (a JSON object with a custom_id).",
                    "Import the batch's output, error or results file (.jsonl) exactly as the provider gave it.",
                )
            out.append((obj, raw if raw.endswith(b"\n") else raw + b"\n"))
    if not out:
        raise ImportFileError(f"{path.name} holds no results.", "Check that you downloaded the right file.")
    return out


def _kind(obj: dict[str, Any], provider: str, name: str) -> str:
    """The engine's name for this kind of result file, after checking it fits the job's provider."""
    anthropic = "result" in obj
    if anthropic != (provider == "anthropic"):
        theirs = "an Anthropic" if anthropic else "an OpenAI"
        raise ImportFileError(f"{name} is {theirs} results file, but this job ran on another provider.")
    if anthropic:
        return "results"
    response = obj.get("response") or {}
    return "output" if response.get("status_code") == 200 else "errors"


def _save(target_dir: Path, kind: str, data: bytes) -> tuple[Path, bool]:
    """Keep the lines in the batch's folder, beside (never over) what was downloaded before;
    the file, and whether it is new there (the same file read twice is billed once)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{kind}.jsonl"
    n = 2
    while target.exists() and target.read_bytes() != data:
        target, n = target_dir / f"imported-{n}-{kind}.jsonl", n + 1
    new = not target.exists()
    target.write_bytes(data)
    return target, new


def import_results_file(engine: Engine, job_id: str, path: Path) -> int:
    """Read a provider's results file into the job; the number of rows it gave an outcome."""
    from app.core.research.links import read_only_source

    if read_only_source(engine.store, job_id):
        raise JobError("This job was imported from a replication package and is read-only.")
    with engine.locks.held(job_id):  # never while another process advances the job
        return _import(engine, job_id, Path(path))


def _import(engine: Engine, job_id: str, path: Path) -> int:
    job, spec = engine.job(job_id), engine.spec(job_id)
    lines = _lines(path)
    index: dict[str, tuple[int, int, list[str]]] = {}  # custom_id → attempt, batch number, rows
    for requests in sorted(job.folder.glob("attempt-*/requests")):
        attempt = int(requests.parent.name.split("-")[1])
        index |= {cid: (attempt, seq, rows) for cid, seq, rows in read_index(requests)}
    groups: dict[tuple[int, int], list[tuple[dict[str, Any], bytes]]] = defaultdict(list)
    for obj, raw in lines:
        if str(obj["custom_id"]) in index:
            attempt, seq, _ = index[str(obj["custom_id"])]
            groups[(attempt, seq)].append((obj, raw))
    if not groups:
        raise ImportFileError(
            f"None of the {len(lines):,} results in {path.name} belong to job {job_id}.",
            "Each result's custom_id starts with the job it was sent for; check the job id.",
        )
    batch_ids = {(b["attempt"], b["seq"]): b["id"] for b in engine.store.batches(job_id)}
    rows = 0
    for (attempt, seq), group in sorted(groups.items()):
        folder = job.folder / f"attempt-{attempt}" / f"batch-{seq:03d}"
        saved, new = _save(folder, _kind(group[0][0], spec.provider, path.name), b"".join(raw for _, raw in group))
        wanted = {str(obj["custom_id"]) for obj, _ in group}  # requests not in the file keep their outcome
        parsed = parse_batch(
            spec,
            {cid: index[cid][2] for cid in wanted},
            [(saved, saved.relative_to(job.folder).as_posix())],
            attempt=attempt,
            batch_id=batch_ids[(attempt, seq)],
            sink=lambda chunk: engine.store.set_rows(job_id, *chunk),
        )
        rows += parsed.rows
        batch_id = batch_ids[(attempt, seq)]
        if parsed.anomalies:  # kept beside those an earlier download or import of the batch recorded
            earlier = [(a["custom_id"], a["kind"], a["detail"]) for a in engine.store.anomalies(job_id) if a["batch_id"] == batch_id]
            engine.store.set_anomalies(job_id, batch_id, earlier + parsed.anomalies)
        if new:  # the batch's usage and reported models, as the engine records them for its downloads
            batch = engine.store.batch(batch_id)
            usage = Counter(json.loads(batch["usage"] or "{}")) + Counter(parsed.usage)
            models = Counter(json.loads(batch["models"] or "{}")) + parsed.models
            engine.store.update_batch(batch_id, usage=dict(usage), models=dict(models))
    unmatched = len(lines) - sum(len(g) for g in groups.values())
    engine.store.log(
        job_id,
        f"Imported {path.name}: {rows:,} rows read back" + (f"; {unmatched:,} results matched no request of this job." if unmatched else "."),
    )
    _settle(engine, job_id, index)
    return rows


def _settle(engine: Engine, job_id: str, index: dict[str, tuple[int, int, list[str]]]) -> None:
    """A batch with no row left pending is finished; a job whose batches all are, is done."""
    query = "SELECT row_id FROM rows WHERE job_id = ? AND status = 'pending'"
    pending = {r[0] for r in engine.store.db.execute(query, (job_id,))}
    open_batches: set[tuple[int, int]] = {(a, s) for a, s, rows in index.values() if any(r in pending for r in rows)}
    for batch in engine.store.batches(job_id):
        if batch["state"] not in _FINAL_BATCH_STATES and (batch["attempt"], batch["seq"]) not in open_batches:
            engine.store.update_batch(batch["id"], state="parsed")
    job = engine.job(job_id)
    if not job.finished and all(b["state"] in _FINAL_BATCH_STATES for b in engine.store.batches(job_id)):
        message = f"Finished from imported results: {job.status_counts.get('coded', 0):,} rows coded."
        engine.store.update_job(job_id, state="done", message=message, finished_at=now())
        engine.store.log(job_id, message)
