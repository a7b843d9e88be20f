"""Comparison runs: the same job again, with another model, or with reworded instructions.

A coding that changes when the same prompt is sent again is not a measurement (Reiss 2023;
Barrie, Palaiologou & Törnberg's prompt stability score), so a person can rerun any job as
*linked* runs and compare them (see :mod:`app.core.research.agreement`). Each run is an ordinary
job made by :meth:`Engine.create_job` (half price, crash-safe, retryable), on all the parent's rows
or on a seeded random sample of them; small samples can go through the direct endpoints instead,
answered at once at the full price.
"""

from __future__ import annotations

import difflib
import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.build.prepare import plan_rows, sample_rows
from app.core.build.pricing import default_models
from app.core.data import load_job_table
from app.core.errors import JobError, ProviderError
from app.core.research.links import add_link, children_of, link_of, read_only_source
from app.core.research.provider_import import import_results_file
from app.core.spec import PROVIDERS, JobSpec, parse_spec

if TYPE_CHECKING:
    from app.core.run.engine import Engine

KINDS = ("repeat", "model", "instructions")
#: Above this many rows the direct path would mean thousands of full-price calls: use a batch.
DIRECT_MAX_ROWS = 500
_SAMPLES = "comparisons"
#: How a sample file (UTF-8 CSV, header in row 1) is read, whatever the parent's file needed.
_SAMPLE_READING = {"sheet": None, "encoding": "utf-8", "delimiter": ",", "header_row": 1}


@dataclass
class ComparisonPlan:
    """What the comparison runs change, and on which rows they run."""

    kind: str = "repeat"
    runs: int = 3
    rows: int | None = None  # None: every row of the parent; else a seeded random sample of this size
    seed: int = 0
    provider: str | None = None  # "model" runs: the other provider (default: the parent's)
    model: str | None = None  # "model" runs: the other model
    instructions: str | None = None  # "instructions" runs: the reworded instructions
    direct: bool = False  # code now through the direct endpoints (small samples) instead of a batch


def _check(plan: ComparisonPlan, parent: JobSpec) -> None:
    problems = []
    if plan.kind not in KINDS:
        problems.append(f'The kind of comparison must be one of {", ".join(KINDS)}, not "{plan.kind}".')
    if plan.runs < 1:
        problems.append("At least one run is needed.")
    if plan.rows is not None and plan.rows < 1:
        problems.append("The sample needs at least one row.")
    if plan.kind == "model" and not (plan.model or plan.provider):
        problems.append("Name the other model (and, if it is another provider's, the provider).")
    if plan.provider and plan.provider not in PROVIDERS:
        problems.append(f'The provider must be one of {", ".join(PROVIDERS)}, not "{plan.provider}".')
    if plan.kind == "instructions" and not (plan.instructions or "").strip():
        problems.append("Write the reworded instructions.")
    elif plan.kind == "instructions" and plan.instructions == parent.instructions:
        problems.append("The reworded instructions are the same as the job's; change them first.")
    if problems:
        raise JobError(" ".join(problems), "Change the comparison's settings and try again.")


def _sample_file(engine: Engine, parent_id: str, spec: JobSpec, plan: ComparisonPlan) -> Path:
    """The parent's data, or a seeded sample of its sendable rows saved once in the parent's folder."""
    if plan.rows is None:
        return spec.data
    folder = engine.job(parent_id).folder / _SAMPLES
    path = folder / f"{spec.data.stem}-sample-{plan.rows}-seed{plan.seed}.csv"
    if not path.exists():
        table = load_job_table(spec)
        rows = plan_rows(spec, table)
        chosen = set(sample_rows([rows.ids[p] for p in rows.positions], plan.rows, plan.seed))
        keep = [p for p in rows.positions if rows.ids[p] in chosen]
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        table.frame.iloc[keep].to_csv(partial, index=False, encoding="utf-8")
        partial.replace(path)
    return path


def _variant(parent: JobSpec, plan: ComparisonPlan) -> dict[str, Any]:
    """The spec settings a run changes."""
    if plan.kind == "instructions":
        return {"instructions": plan.instructions}
    if plan.kind != "model":
        return {}
    provider = plan.provider or parent.provider
    same = provider == parent.provider
    model = plan.model or (default_models(provider) or [parent.model])[0]
    return {
        "provider": provider,
        "model": model,
        "base_url": parent.base_url if same else None,
        "endpoint": parent.endpoint if same and provider != "anthropic" else "chat",
    }


def plan_specs(engine: Engine, parent_id: str, plan: ComparisonPlan) -> list[JobSpec]:
    """The specs of the runs ``plan`` would start (for a cost preview before anything is sent)."""
    if read_only_source(engine.store, parent_id):
        raise JobError("This job was imported from a replication package and is read-only.",
                       "To rerun it, run the package's spec.json as a new job and compare with that.")
    parent = engine.spec(parent_id)
    _check(plan, parent)
    data = _sample_file(engine, parent_id, parent, plan)
    changes = _variant(parent, plan)
    label = {"repeat": "repeat", "model": f"model {changes.get('model')}", "instructions": "reworded"}[plan.kind]
    specs = []
    for i in range(1, plan.runs + 1):
        name = f"{parent.name} · {label}" + (f" {i}/{plan.runs}" if plan.runs > 1 else "")
        spec = replace(parent, name=name, data=data, **changes, **({} if data == parent.data else _SAMPLE_READING))
        specs.append(parse_spec(spec.to_dict(), data.parent, "the comparison run"))  # the same checks as any spec
    return specs


def start_comparison(engine: Engine, parent_id: str, plan: ComparisonPlan) -> list[str]:
    """Create the linked runs and return their job ids.

    Batch runs are left ready for the engine (the command line's ``--wait`` or the app's jobs
    controller submits them); direct runs are coded here, before this returns.
    """
    specs = plan_specs(engine, parent_id, plan)
    table = load_job_table(specs[0])
    if plan.direct and len(table) > DIRECT_MAX_ROWS:
        raise JobError(
            f"The direct path is for small samples (at most {DIRECT_MAX_ROWS} rows); this run has {len(table):,}.",
            "Choose a smaller sample, or run it as a batch (half the price).",
        )
    detail = {"rows": plan.rows, "seed": plan.seed, "direct": plan.direct, "runs": plan.runs}
    ids = []
    for i, spec in enumerate(specs, start=1):
        job_id = engine.create_job(spec, table)
        add_link(engine.store, parent_id, job_id, plan.kind, {**detail, "run": i, "provider": spec.provider, "model": spec.model})
        if plan.direct:
            _code_directly(engine, job_id, spec)
        ids.append(job_id)
    return ids


def _code_directly(engine: Engine, job_id: str, spec: JobSpec) -> None:
    """Send the job's prepared requests through the direct endpoint and read the answers back.

    The answers are written as the provider's batch results file would hold them and imported
    with :func:`import_results_file`, so they are judged by the batch parser, kept in the job
    folder (with the model version the provider reported) and mapped to rows by custom_id.
    """
    from concurrent.futures import ThreadPoolExecutor

    from app.core.run.pilot import MAX_CONCURRENT
    from app.core.run.providers import connect

    folder = engine.job(job_id).folder
    provider = connect(spec.provider, engine.keys, base_url=spec.base_url, endpoint=spec.endpoint, timeout=60)
    anthropic = spec.provider == "anthropic"
    requests = [
        json.loads(line)
        for path in sorted((folder / "attempt-1" / "requests").glob("batch-*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]

    def ask(request: dict[str, Any]) -> dict[str, Any]:
        cid = request["custom_id"]
        try:
            answer = provider.direct(request["params" if anthropic else "body"])
        except ProviderError as exc:  # a rejected key is not a ProviderError and stops the run
            error = {"type": "api_error", "message": exc.message}
            return {"custom_id": cid, "result": {"type": "errored", "error": {"error": error}}} if anthropic else {
                "custom_id": cid, "response": None, "error": error}
        if anthropic:
            return {"custom_id": cid, "result": {"type": "succeeded", "message": answer}}
        return {"custom_id": cid, "response": {"status_code": 200, "body": answer}, "error": None}

    with ThreadPoolExecutor(MAX_CONCURRENT) as pool:
        lines = list(pool.map(ask, requests))
    with tempfile.TemporaryDirectory(prefix="batchlab-direct-") as tmp:
        answers = Path(tmp) / "direct-answers.jsonl"
        answers.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
        import_results_file(engine, job_id, answers)
    with engine.store.transaction() as db:  # direct calls cost the full price: twice the batch price
        db.execute("UPDATE rows SET cost = cost * 2 WHERE job_id = ? AND cost IS NOT NULL", (job_id,))
        db.execute("UPDATE batches SET provider_status = 'direct' WHERE job_id = ?", (job_id,))
    engine.store.log(job_id, f"Coded {len(requests):,} requests through the direct endpoint (full price), not as a batch.")


def linked_runs(engine: Engine, job_id: str) -> list[str]:
    """The family of a job: its root job first, then every comparison run under it, oldest first."""
    root = job_id
    seen = {root}
    while (link := link_of(engine.store, root)) is not None and link["parent_id"] not in seen:
        root = link["parent_id"]
        seen.add(root)
    family, queue = [root], [root]
    while queue:
        for child in children_of(engine.store, queue.pop(0)):
            if child not in family:
                family.append(child)
                queue.append(child)
    return family


def instructions_diff(old: str, new: str) -> str:
    """The change from the parent's instructions to a run's, as a unified diff (empty when equal)."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile="the job's instructions", tofile="this run's instructions", lineterm=""
    )
    return "\n".join(lines)
