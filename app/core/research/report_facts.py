"""What a methods report states, read from the job history and the job folder, never from memory.

Each figure comes from where the job left it: row outcomes, tokens and costs from the SQLite
history; the exact model version from the provider's own responses in the downloaded result
files; batch times from the provider's batch objects (``provider-batch.json``); rows read and
excluded from the manifest that prepare wrote; the data's SHA-256 from the job's copy of the
data file. Nothing here holds a key, and no text of the data is read except the opted-in examples.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

import app
from app.core.build.prepare import MANIFEST_FILE
from app.core.data.provenance import file_sha256
from app.core.spec import JobSpec, parse_spec

if TYPE_CHECKING:
    from app.core.run.engine import Engine

_END_KEYS = ("ended_at", "completed_at", "failed_at", "expired_at", "cancelled_at")


@dataclass
class BatchFacts:
    """One provider batch as the lifecycle table shows it."""

    attempt: int
    seq: int
    provider_id: str | None
    requests: int
    state: str
    provider_status: str | None
    counts: dict[str, int]
    created: dt.datetime | None
    ended: dt.datetime | None
    error: str | None
    usage: dict[str, int] = field(default_factory=dict)  # what the provider billed for the batch, when recorded


@dataclass
class JobFacts:
    """Everything the report says about one job."""

    job_id: str
    summary: Any  # JobSummary
    spec: Any  # JobSpec
    manifests: list[dict[str, Any]]
    provenance: dict[str, Any]
    batches: list[BatchFacts]
    models: Counter[str]
    fingerprints: Counter[str]
    input_tokens: int  # the batches' totals as the provider reported them; else the rows' shares summed
    output_tokens: int
    retries: list[str]
    events: list[tuple[dt.datetime, str]] = field(default_factory=list)

    @property
    def first_created(self) -> dt.datetime | None:
        times = [b.created for b in self.batches if b.created]
        return min(times) if times else None

    @property
    def billed(self) -> dict[str, int]:
        """Token totals of every batch as the provider reported them (empty when none were recorded)."""
        totals: dict[str, int] = {}
        for batch in self.batches:
            for key, value in batch.usage.items():
                totals[key] = totals.get(key, 0) + int(value or 0)
        return totals

    @property
    def last_ended(self) -> dt.datetime | None:
        times = [b.ended for b in self.batches if b.ended]
        return max(times) if times else None


def provenance(data: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """File name, size, SHA-256, rows read and rows excluded: the manifest's record, written when the
    requests were built (jobs prepared before it existed get it computed from the job's data copy)."""
    if manifest.get("data"):
        return dict(manifest["data"])
    present = data.is_file()
    return {
        "file": data.name,
        "bytes": data.stat().st_size if present else None,
        "sha256": file_sha256(data) if present else None,
        "rows_read": manifest.get("rows_total"),
        "rows_excluded": {"blank_text": len(manifest.get("rows_not_sent", {}).get("blank_text", []))},
    }


def _time(value: Any) -> dt.datetime | None:
    """A provider timestamp (Unix seconds for OpenAI, ISO 8601 for Anthropic) as aware UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _batch_facts(folder: Path, row: Any) -> BatchFacts:
    """A batch from its history row, with its times from the provider's own batch object."""
    saved = folder / f"attempt-{row['attempt']}" / f"batch-{row['seq']:03d}" / "provider-batch.json"
    raw = json.loads(saved.read_text(encoding="utf-8")) if saved.exists() else {}
    recorded = {k: row[k] for k in ("created_at", "ended_at", "usage") if k in row.keys()}  # kept by newer engines
    ended = next((_time(raw[k]) for k in _END_KEYS if raw.get(k)), None) or _time(recorded.get("ended_at"))
    return BatchFacts(
        attempt=row["attempt"],
        seq=row["seq"],
        provider_id=row["provider_batch_id"],
        requests=row["requests"],
        state=row["state"],
        provider_status=row["provider_status"],
        counts=json.loads(row["counts"] or "{}"),
        created=_time(raw.get("created_at")) or _time(recorded.get("created_at")),
        ended=ended,
        error=row["error"],
        usage=json.loads(recorded["usage"]) if recorded.get("usage") else {},
    )


def _answer(line: Any) -> dict[str, Any]:
    """The provider's answer in a result line (OpenAI: response.body; Anthropic: result.message)."""
    holder = (line.get("response") or line.get("result")) if isinstance(line, dict) else None
    answer = (holder.get("body") or holder.get("message")) if isinstance(holder, dict) else None
    return answer if isinstance(answer, dict) else {}


def scan_models(folder: Path) -> tuple[Counter[str], Counter[str]]:
    """How often each model version (and OpenAI system fingerprint) appears in the provider's answers."""
    models: Counter[str] = Counter()
    fingerprints: Counter[str] = Counter()
    for path in sorted(folder.glob("attempt-*/batch-*/*.jsonl")):  # batch folders hold only result files
        with path.open("rb") as handle:
            for line in handle:
                try:
                    answer = _answer(orjson.loads(line))
                except orjson.JSONDecodeError:
                    continue
                if answer.get("model"):
                    models[str(answer["model"])] += 1
                    if answer.get("system_fingerprint"):
                        fingerprints[str(answer["system_fingerprint"])] += 1
    return models, fingerprints


def job_spec(engine: Engine, job_id: str) -> JobSpec:
    """The job's spec, also for a job imported without its data file (loading a spec checks the file exists)."""
    folder = engine.job(job_id).folder
    raw = json.loads((folder / "spec.json").read_text(encoding="utf-8"))
    data = (folder / raw["data"]).resolve()
    if data.is_file():
        return engine.spec(job_id)
    spec = parse_spec({**raw, "data": "spec.json"}, folder, "spec.json")
    spec.data = data
    return spec


def job_facts(engine: Engine, job_id: str) -> JobFacts:
    """Read one job's facts from its history and folder."""
    summary = engine.job(job_id)
    spec = job_spec(engine, job_id)
    folder = summary.folder
    manifests = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob(f"attempt-*/requests/{MANIFEST_FILE}"), key=lambda p: int(p.parts[-3].split("-")[1]))
    ]
    tokens = engine.store.db.execute(
        "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0) FROM rows WHERE job_id = ?", (job_id,)
    ).fetchone()
    models, fingerprints = scan_models(folder)
    events = engine.events(job_id)
    batches = [_batch_facts(folder, b) for b in engine.store.batches(job_id)]
    billed = [b.usage for b in batches if b.usage]
    if billed:
        tokens = (sum(u.get("input_tokens", 0) for u in billed), sum(u.get("output_tokens", 0) for u in billed))
    return JobFacts(
        job_id=job_id,
        summary=summary,
        spec=spec,
        manifests=manifests,
        provenance=provenance(spec.data, manifests[0] if manifests else {}),
        batches=batches,
        models=models,
        fingerprints=fingerprints,
        input_tokens=int(tokens[0]),
        output_tokens=int(tokens[1]),
        retries=[m for _, m in events if m.startswith("Retry")],
        events=events,
    )


def software_versions() -> dict[str, str]:
    """BatchLab, the provider SDKs and Python, as installed where the report is written."""
    versions = {"BatchLab": app.__version__}
    for package in ("openai", "anthropic"):
        try:
            versions[f"{package} SDK"] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[f"{package} SDK"] = "not installed"
    versions["Python"] = platform.python_version()
    return versions
