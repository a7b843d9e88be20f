"""The methods report of a job: what ran, on which data, at what cost, how valid and how stable.

Social scientists must report exactly what was done (the GUIDE-LLM checklist, Nature Human
Behaviour 2026): prompt and codebook, exact model version and dates, access mode, settings,
validation, costs. The report is built from :mod:`.report_facts` (the job history and folder) as
sections of plain blocks (:mod:`.report_sections`, :mod:`.report_blocks`), which :mod:`.report_html`
writes as one self-contained HTML file or as Markdown with the same content. No key is ever read,
and no text of the data appears unless the person asks for ``example_rows``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.research import report_sections as sections
from app.core.research.report_blocks import Report, Section, stamp
from app.core.research.report_facts import job_facts

if TYPE_CHECKING:
    from app.core.run.engine import Engine

#: Where an imported job keeps the validation its package carried (and, for the job its runs are
#: compared with, each run's validation), when the data did not come along to compute them again.
PACKAGED_VALIDATION = "packaged-validation.json"
PACKAGED_RUN_VALIDATIONS = "packaged-run-validations.json"


def build_report(engine: Engine, job_id: str, *, example_rows: int = 0) -> Report:
    """Gather the job's facts (with its linked runs and validation) into a report."""
    from app.core.research.agreement import run_agreement
    from app.core.research.runs import linked_runs

    facts = job_facts(engine, job_id)
    validation = validation_json(engine, job_id, facts.summary.folder)
    family = linked_runs(engine, job_id)
    finished = [r for r in family if engine.job(r).finished]
    agreement = run_agreement(engine, finished) if len(finished) > 1 else None
    body = [
        Section("For the methods section", [sections.paragraph(facts, validation, agreement)]),
        sections.codebook(facts.spec), sections.data(facts), sections.model(facts), sections.lifecycle(facts), sections.cost(facts),
        sections.validation_section(validation), sections.stability(engine, job_id, agreement),
    ]
    if example_rows > 0:
        body.append(sections.examples(engine, facts, example_rows))
    body += [sections.software(facts), sections.checklist(facts, validation, agreement, example_rows)]
    written = dt.datetime.now(dt.timezone.utc)
    subtitle = f"Job {job_id} · {facts.summary.state} · report written {stamp(written)} from the job history"
    return Report(f"Methods report: {facts.spec.name}", subtitle, body, facts, agreement)


def validation_json(engine: Engine, job_id: str, folder: Path) -> dict[str, Any] | None:
    """The job's validation against its gold labels, if it has any; for a job imported without its
    data (the quote checks need the texts) the validation that came in its package."""
    from app.core.research.gold_store import GoldStore

    packaged = folder / PACKAGED_VALIDATION
    if packaged.is_file():
        return json.loads(packaged.read_text(encoding="utf-8"))
    if not GoldStore(engine.store).labels(job_id):
        return None
    from app.core.research.validate import validate_job

    return validate_job(engine, job_id).to_json()


def write_report(report: Report, path: Path) -> Path:
    """Write the report as .html (one self-contained file) or .md."""
    from app.core.errors import UsageError
    from app.core.research.report_html import render_html, render_markdown

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".html", ".htm", ".md"):
        raise UsageError(f'Cannot write a report to "{path.name}".', "Choose a file name ending in .html or .md.")
    text = render_html(report) if suffix in (".html", ".htm") else render_markdown(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def codebook_markdown(spec: Any) -> str:
    """The codebook alone, as Markdown (for a replication package)."""
    from app.core.research.report_html import render_markdown

    title = f"Codebook: {spec.name}"
    return render_markdown(Report(title, "Instructions, row template and output fields, verbatim", [sections.codebook(spec)]))
