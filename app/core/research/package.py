"""Replication packages: one zip with everything needed to inspect or rerun a job elsewhere.

The zip holds the spec (ready to rerun with ``python -m app run spec.json --wait``), the
codebook, the job folder (request files, index, manifests, the provider's batch objects and raw
output), the job's history (rows with their outcomes, batches, events, gold labels) as JSON, the
coded export, the methods report and SHA-256 checksums of every file. The data file goes in only
when asked (data may be confidential); its checksum is always recorded. Importing a package
restores the job (and its comparison runs) read-only, so a co-author or reviewer sees every row,
validation and report exactly as they were, and nothing can be sent to a provider from it by mistake.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import orjson

from app.core.errors import ImportFileError, JobError
from app.core.research.links import add_link, link_of, mark_read_only

if TYPE_CHECKING:
    from app.core.run.engine import Engine

FORMAT = "batchlab-replication-package/1"
SUMS = "SHA256SUMS"
#: History tables copied per job (``jobs`` by its id, the others by ``job_id``).
_TABLES = ("jobs", "batches", "rows", "events", "anomalies", "gold_labels", "gold_samples")
Progress = Callable[[int, int], None]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _history(engine: Engine, job_id: str) -> dict[str, list[dict[str, Any]]]:
    """The job's records in every history table that exists here, as plain dicts."""
    db = engine.store.db
    present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    out = {}
    for table in _TABLES:
        if table in present:
            key = "id" if table == "jobs" else "job_id"
            out[table] = [dict(r) for r in db.execute(f"SELECT * FROM {table} WHERE {key} = ?", (job_id,))]  # noqa: S608
    return out


def _readme(job_id: str, name: str, data_file: str, data_sha: str | None, with_data: bool) -> str:
    data_line = (
        f"- `data/{data_file}`: the data file (SHA-256 `{data_sha}`)."
        if with_data
        else f"- The data file `{data_file}` is NOT included (it may be confidential). Its SHA-256 is\n"
        f"  `{data_sha}`; put the original at `data/{data_file}` and check it with `sha256sum`."
    )
    return f"""# Replication package: {name}

Job `{job_id}`, written by BatchLab. Everything here comes from the job history, not from memory.

## Rerun the coding

```bash
# with BatchLab installed (the version is named in report.md, under Software):
python -m app run spec.json --wait          # needs the data file at data/{data_file} and an API key
python -m app export NEW_JOB_ID --out coded.csv
```

## Inspect it without rerunning

```bash
python -m app import PACKAGE.zip   # restores the job read-only: every row, validation, report
```

## Contents

- `report.html`, `report.md`: the methods report (paragraph for the paper, codebook, data
  provenance, lifecycle, cost, validation, stability, software, GUIDE-LLM checklist).
- `spec.json`: the job spec; `codebook.md`: instructions, row template and fields verbatim.
{data_line}
- `validation.json`, `gold/labels.csv` (when the job has hand-coded rows): the validation
  figures and every coder's labels.
- `coded.csv`: the coded rows (ID, one column per field, status and reason{", with the input columns" if with_data else ""}).
- `job/`: the job folder: request files exactly as sent, the index that maps answers to rows,
  manifests (token and cost estimates), each batch's provider object and raw output.
- `history/`: the job's records (rows and outcomes, batches, events, gold labels) as JSON.
- `runs/<job id>/` (when the job has comparison runs): each run's job folder and records;
  `agreement.json`: the agreement figures across the runs.
- `{SUMS}`: SHA-256 of every file; check with `sha256sum -c {SUMS}`.
"""


class _Writer:
    """Adds files to the zip as they come (large job folders stream from disk) and keeps their SHA-256."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.sums: dict[str, str] = {}

    def add(self, name: str, data: bytes) -> None:
        self.archive.writestr(name, data)
        self.sums[name] = _sha256(data)

    def add_file(self, name: str, path: Path) -> None:
        digest = hashlib.sha256()
        with path.open("rb") as source, self.archive.open(name, "w", force_zip64=True) as target:
            while block := source.read(1 << 20):
                digest.update(block)
                target.write(block)
        self.sums[name] = digest.hexdigest()


def _job_files(folder: Path, with_data: bool) -> list[Path]:
    """A job folder's files; without the data, its copy of the data and any samples of it stay out."""
    private = ("input/", "comparisons/")
    return [
        p for p in sorted(folder.rglob("*"))
        if p.is_file() and (with_data or not p.relative_to(folder).as_posix().startswith(private))
    ]


def _without_texts(validation: dict[str, Any], with_data: bool) -> dict[str, Any]:
    """A disagreement shows the row's text: without the data, that stays home too."""
    if with_data:
        return validation
    return {**validation, "disagreements": [{**d, "text": None} for d in validation.get("disagreements", [])]}


def write_package(engine: Engine, job_id: str, out: Path, *, with_data: bool = False, progress: Progress | None = None) -> Path:
    """Write the job's replication package to ``out`` (a .zip); the path written.

    The job's comparison runs (its whole family, see :func:`linked_runs`) go in too, under
    ``runs/``, so the agreement figures can be inspected after an import.
    """
    from app.core.research.gold_store import GoldStore
    from app.core.research.report import build_report, codebook_markdown, validation_json, write_report
    from app.core.research.report_facts import job_spec

    job, spec = engine.job(job_id), job_spec(engine, job_id)
    if not job.finished:
        raise JobError("This job has not finished yet; package it once it has.", "Or cancel it first: rows already coded are kept.")
    if not spec.data.is_file():
        raise ImportFileError(
            "This job's data file is not on this computer (it was imported without it), so it cannot be packaged again.",
            "Share the package you imported it from instead.",
        )
    report = build_report(engine, job_id)
    assert report.facts is not None
    data_sha = report.facts.provenance.get("sha256")
    runs = [r for r in report.agreement.runs if r != job_id] if report.agreement else []
    files = [(f"job/{p.relative_to(job.folder).as_posix()}", p) for p in _job_files(job.folder, with_data)]
    for run in runs:
        folder = engine.job(run).folder
        files += [(f"runs/{run}/job/{p.relative_to(folder).as_posix()}", p) for p in _job_files(folder, with_data)]
    total = len(files) + 10
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
            tempfile.TemporaryDirectory(prefix="batchlab-package-") as tmp:
        writer = _Writer(archive)
        rerun = spec.to_dict()
        rerun["data"] = f"data/{spec.data.name}"
        writer.add("README.md", _readme(job_id, spec.name, spec.data.name, data_sha, with_data).encode())
        writer.add("spec.json", (json.dumps(rerun, indent=2, ensure_ascii=False) + "\n").encode())
        writer.add("codebook.md", codebook_markdown(spec).encode())
        for suffix in (".html", ".md"):
            writer.add_file(f"report{suffix}", write_report(report, Path(tmp) / f"report{suffix}"))
        writer.add_file("coded.csv", _coded_export(engine, job_id, spec, Path(tmp), with_data))
        if with_data:
            writer.add_file(f"data/{spec.data.name}", spec.data)
        validation = validation_json(engine, job_id, job.folder)
        if validation:
            writer.add("validation.json", json.dumps(_without_texts(validation, with_data), indent=2, ensure_ascii=False).encode())
            writer.add_file("gold/labels.csv", GoldStore(engine.store).export_csv(job_id, Path(tmp) / "labels.csv", [f.name for f in spec.fields]))
        if report.agreement:
            agreement = report.agreement.to_json()
            agreement["validations"] = {r: _without_texts(v, with_data) for r, v in (agreement.get("validations") or {}).items()}
            writer.add("agreement.json", json.dumps(agreement, indent=2, ensure_ascii=False).encode())
        family = [job_id, *runs]
        meta = {"format": FORMAT, "job_id": job_id, "runs": runs, "data_file": spec.data.name, "data_sha256": data_sha,
                "with_data": with_data, "links": {j: link_of(engine.store, j) for j in family}}
        writer.add("history/package.json", json.dumps(meta, indent=2).encode())
        for member in family:
            prefix = "" if member == job_id else f"runs/{member}/"
            for table, records in _history(engine, member).items():
                writer.add(f"{prefix}history/{table}.json", orjson.dumps(records, default=str))
        for done, (name, path) in enumerate(files, start=11):
            writer.add_file(name, path)
            if progress:
                progress(done, total)
        sums = [f"{digest}  {name}" for name, digest in sorted(writer.sums.items())]
        if not with_data and data_sha:
            sums.append(f"# not included: {data_sha}  data/{spec.data.name}")
        archive.writestr(SUMS, "\n".join(sums) + "\n")
    partial.replace(out)
    if progress:
        progress(total, total)
    return out


def _coded_export(engine: Engine, job_id: str, spec: Any, tmp: Path, with_data: bool) -> Path:
    """The engine's export; without the data, the input columns are dropped (all but the ID)."""
    import pandas as pd

    path = Path(engine.export(job_id, tmp / "coded.csv"))
    if with_data:
        return path
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    added = list(frame.columns[-(len(spec.fields) + 2):])  # one column per field, then status and reason
    ids = frame[[spec.id_column]] if spec.id_column else pd.DataFrame({"row": range(1, len(frame) + 1)})
    pd.concat([ids, frame[added]], axis=1).to_csv(path, index=False)
    return path


# ---- import ---------------------------------------------------------------------------------------------
def _checked(path: Path) -> Path:
    """The package, after checking that it is one and that every file matches its SHA256SUMS."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if SUMS not in names or "history/package.json" not in names:
                raise ImportFileError(f"{path.name} is not a BatchLab replication package.", "Write one with `python -m app package`.")
            bad = []
            for line in archive.read(SUMS).decode().splitlines():
                if not line or line.startswith("#"):
                    continue
                digest, _, name = line.partition("  ")
                if name not in names or _zip_sha256(archive, name) != digest:
                    bad.append(name)
            outside = [n for n in names if n.startswith("/") or ".." in PurePosixPath(n).parts]
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(f"{path.name} is not a readable zip file ({exc}).") from None
    if bad:
        raise ImportFileError(
            f"{len(bad)} file(s) in {path.name} do not match their checksums: {', '.join(bad[:5])}.",
            "The package was changed or damaged after it was written; ask for a fresh copy.",
        )
    if outside:
        raise ImportFileError(f"{path.name} holds files outside its own folders ({outside[0]}); it is not imported.")
    return path


def _zip_sha256(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def import_package(engine: Engine, path: Path) -> str:
    """Restore a package as read-only jobs (the job and its comparison runs, linked as they were);
    the job's id, the original one when it is free here."""
    from app.core.research.gold_store import GoldStore

    path = Path(path)
    with zipfile.ZipFile(_checked(path)) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        meta = json.loads(archive.read("history/package.json"))
        family = [meta["job_id"], *meta.get("runs", [])]
        new_ids: dict[str, str] = {}
        for old in family:
            new_ids[old] = old if engine.store.job(old) is None else _free_id(engine, set(new_ids.values()))
        folders = {old: engine.store.path.parent / "jobs" / new for old, new in new_ids.items()}  # the engine's job folders
        taken = [str(f) for f in folders.values() if f.exists()]
        if taken:
            raise ImportFileError(f"A job folder already exists at {taken[0]}.", "Move it away and import again.")
        GoldStore(engine.store)  # creates the gold tables, so gold labels have somewhere to go
        restored: list[str] = []
        try:
            for old in family:
                prefix = "" if old == meta["job_id"] else f"runs/{old}/"
                _extract(archive, [n for n in names if n.startswith(f"{prefix}job/")], f"{prefix}job/", folders[old])
                history = {
                    n.removeprefix(f"{prefix}history/").removesuffix(".json"): orjson.loads(archive.read(n))
                    for n in names
                    if n.startswith(f"{prefix}history/") and n != "history/package.json"
                }
                _restore_history(engine, history, old, new_ids[old], folders[old])
                restored.append(new_ids[old])
            _keep_packaged_figures(archive, names, meta, new_ids, folders)
            for old, link in meta.get("links", {}).items():
                if link and link["parent_id"] in new_ids and old in new_ids:
                    add_link(engine.store, new_ids[link["parent_id"]], new_ids[old], link["kind"], link["detail"])
        except BaseException:
            for job_id in restored:
                engine.store.delete_job(job_id)
            for folder in folders.values():
                shutil.rmtree(folder, ignore_errors=True)
            raise
    for new in new_ids.values():
        mark_read_only(engine.store, new, path.name)
        engine.store.log(new, f"Imported read-only from the replication package {path.name}.")
    return new_ids[meta["job_id"]]


def _extract(archive: zipfile.ZipFile, names: list[str], prefix: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = folder / name.removeprefix(prefix)
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(name) as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)


def _keep_packaged_figures(
    archive: zipfile.ZipFile, names: list[str], meta: dict[str, Any], new_ids: dict[str, str], folders: dict[str, Path]
) -> None:
    """Without the data, validation cannot be computed again here (its quote checks need the texts):
    the figures the package carried are kept with the jobs for their reports."""
    from app.core.research.report import PACKAGED_RUN_VALIDATIONS, PACKAGED_VALIDATION

    if meta.get("with_data"):
        return
    if "validation.json" in names:
        (folders[meta["job_id"]] / PACKAGED_VALIDATION).write_bytes(archive.read("validation.json"))
    if "agreement.json" in names:
        agreement = json.loads(archive.read("agreement.json"))
        validations = {new_ids.get(run, run): v for run, v in (agreement.get("validations") or {}).items()}
        if validations and agreement["runs"][0] in folders:
            target = folders[agreement["runs"][0]] / PACKAGED_RUN_VALIDATIONS
            target.write_text(json.dumps(validations, ensure_ascii=False), encoding="utf-8")


def _free_id(engine: Engine, chosen: set[str]) -> str:
    while True:
        job_id = secrets.token_hex(4)
        if job_id not in chosen and engine.store.job(job_id) is None:
            return job_id


def _restore_history(engine: Engine, history: dict[str, list[dict[str, Any]]], old_id: str, job_id: str, folder: Path) -> None:
    """Insert the job's records in one transaction, with the new job id, folder and batch numbers."""
    with engine.store.transaction() as db:
        columns = {t: {r[1] for r in db.execute(f"PRAGMA table_info({t})")} for t in _TABLES}
        batch_ids: dict[int, int] = {}

        def insert(table: str, record: dict[str, Any]) -> int:
            record = {k: v for k, v in record.items() if k in columns[table]}
            names = ", ".join(record)
            marks = ", ".join("?" * len(record))
            return db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(record.values())).lastrowid  # noqa: S608

        for job in history.get("jobs", []):
            insert("jobs", {**job, "id": job_id, "folder": str(folder)})
        for batch in history.get("batches", []):
            old = batch.pop("id")
            batch_ids[old] = insert("batches", {**batch, "job_id": job_id, "tag": batch["tag"].replace(old_id, job_id)})
        for table in ("rows", "events", "anomalies", "gold_labels", "gold_samples"):
            if not columns.get(table):
                continue
            for record in history.get(table, []):
                if record.get("batch_id") is not None:
                    record["batch_id"] = batch_ids.get(record["batch_id"])
                insert(table, {**record, "job_id": job_id})
