"""The command line: ``python -m app COMMAND …``; without a command, the desktop app starts.

Every command works on the same saved job spec the GUI writes, so a replication package or a
server can prepare, run, poll and export a job headless. Errors meant for people print as plain
messages (never tracebacks) and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import app
from app.commands import positive
from app.core.data.words import count
from app.core.errors import BatchLabError


def _money(value: float | None, currency: str = "USD") -> str:
    if value is None:
        return "unknown"
    return f"${value:,.2f}" if currency == "USD" else f"{value:,.2f} {currency}"


def summarise_manifest(manifest: dict[str, Any]) -> str:
    """A short human summary of a prepared job."""
    tokens, cost = manifest["tokens"], manifest["cost"]
    files = manifest["files"]
    lines = [
        f"{manifest['name']}: {count(manifest['rows_sent'], 'row')} in {count(manifest['requests'], 'request')} "
        f"({manifest['provider']} {manifest['model']}; {_per_request(manifest)}), {len(files)} file(s), "
        f"{manifest['bytes'] / 1e6:,.1f} MB",
        f"Input tokens: about {tokens['input_total']:,} ({tokens['method']})",
        f"Estimated cost at batch prices: {_money(cost.get('total'), cost.get('currency', 'USD'))}"
        + (f" — {cost['note']}" if cost.get("note") else ""),
    ]
    blank = manifest["rows_not_sent"]["blank_text"]
    if blank:
        shown = ", ".join(blank[:10]) + (f" and {len(blank) - 10} more" if len(blank) > 10 else "")
        lines.append(f"Not sent (blank text): {len(blank)} row(s): {shown}")
    lines += manifest.get("data", {}).get("findings", [])  # every data finding the Data step shows
    lines += [f"Note: {n}" for n in manifest["notes"]]
    lines += [f"Warning: {w}" for w in manifest["warnings"]]
    return "\n".join(lines)


def _per_request(manifest: dict[str, Any]) -> str:
    """"12 rows per request, chosen automatically, compact rows" and the like."""
    text = f"{count(manifest.get('rows_per_request') or 1, 'row')} per request"
    if manifest.get("rows_per_request_setting") == "auto":
        text += ", chosen automatically"
    if manifest.get("row_format"):
        text += f", {manifest['row_format']} rows"
    return text


def _load_spec(path: str, warn: bool = True) -> Any:
    """Load a spec; with ``warn``, print the settings that are allowed but most likely not meant
    (``prepare`` leaves that to the manifest's warnings, which the preview shows too)."""
    from app.core.spec import load_spec, spec_warnings

    spec = load_spec(Path(path))
    for warning in spec_warnings(spec) if warn else []:
        print(f"Warning: {warning}", file=sys.stderr)
    return spec


def cmd_prepare(args: argparse.Namespace) -> int:
    # numpy (which pyarrow loads) starts OpenBLAS with threads and buffers sized to the machine:
    # 50-70 ms of a 100k-row prepare, which does no linear algebra. Only read before that import.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from app.core.build.tokens import counting_helper
    from app.core.paths import check_output_folder

    out = check_output_folder(Path(args.out), "the --out folder")
    spec = _load_spec(args.spec, warn=False)
    with counting_helper(spec.provider, spec.model):  # the tokenizer is built beside the imports and the reading
        from app.core.build.prepare import prepare

        prepared = prepare(spec, out, progress=_progress_printer("Building requests"))
    print(summarise_manifest(prepared.manifest))
    print(f"Wrote {len(prepared.files)} request file(s) and manifest.json to {prepared.folder}")
    global _skip_teardown
    _skip_teardown = True  # every file prepare wrote is closed, the helper let go
    return 0


def _progress_printer(label: str):  # noqa: ANN202 - small closure
    """A progress callback that rewrites one line on a terminal and stays quiet otherwise."""
    if sys.stderr is None or not sys.stderr.isatty():  # None: a windowed Windows build has no console
        return None

    def report(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        sys.stderr.write(f"\r{label}: {percent}%")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report


def _engine(args: argparse.Namespace):  # noqa: ANN202 - import kept lazy for a fast --help
    from app.core.run.engine import Engine

    return Engine(poll_interval=float(getattr(args, "poll", None) or os.environ.get("BATCHLAB_POLL_SECONDS", 30)))


def _job_line(job: Any) -> str:
    counts = ", ".join(f"{n:,} {status}" for status, n in job.status_counts.items() if n)
    return f"{job.id}  {job.state:<10} {job.name} ({job.provider} {job.model}): {counts or 'no rows'} — {job.message}"


def _job_json(job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "name": job.name,
        "provider": job.provider,
        "model": job.model,
        "state": job.state,
        "rows": job.rows_total,
        "counts": job.status_counts,
        "provider_counts": {"done": job.provider_done, "failed": job.provider_failed, "total": job.provider_total},
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "estimated_cost": job.estimated_cost,
        "actual_cost": job.actual_cost,
        "folder": str(job.folder),
        "message": job.message,
    }


def _resume_others(engine: Any, skip: str | None = None) -> None:
    """Unfinished jobs move on whenever a command starts (one step each, never waiting)."""
    for job_id in engine.unfinished():
        if job_id != skip and engine.job(job_id).state != "ready":
            try:
                engine.advance(job_id)
            except BatchLabError as exc:
                print(f"Job {job_id}: {exc.message}", file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    spec = _load_spec(args.spec)
    engine = _engine(args)
    job_id = engine.create_job(spec, progress=_progress_printer("Building requests"))
    print(f"Job {job_id} created: {engine.job(job_id).folder}")
    _resume_others(engine, skip=job_id)
    job = engine.run(job_id, wait=args.wait)
    print(_job_line(job))
    if not job.finished:
        print(f"The job goes on at the provider. Check it with: python -m app status {job_id}")
    return 0 if job.state != "failed" else 1


def cmd_resume(args: argparse.Namespace) -> int:
    engine = _engine(args)
    states = []
    for job_id in engine.unfinished():
        job = engine.run(job_id, wait=args.wait)
        states.append(job.state)
        print(_job_line(job))
    return 1 if "failed" in states else 0


def cmd_status(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if not args.no_refresh:
        _resume_others(engine)
    jobs = [engine.job(args.job)] if args.job else engine.jobs()
    if args.json:
        print(json.dumps([_job_json(j) for j in jobs], indent=2))
    elif not jobs:
        print("No jobs yet. Start one with: python -m app run SPEC --wait")
    for job in jobs if not args.json else []:
        print(_job_line(job))
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    engine = _engine(args)
    engine.cancel(args.job)
    job = engine.run(args.job, wait=args.wait)
    print(_job_line(job))
    return 1 if job.state == "failed" else 0


def cmd_retry(args: argparse.Namespace) -> int:
    engine = _engine(args)
    engine.retry(args.job)
    job = engine.run(args.job, wait=args.wait)
    print(_job_line(job))
    return 1 if job.state == "failed" else 0


def cmd_pilot(args: argparse.Namespace) -> int:
    from app.core.data import load_job_table
    from app.core.run.pilot import run_pilot

    spec = _load_spec(args.spec)
    results = run_pilot(spec, load_job_table(spec), rows=args.rows)
    for r in results:
        detail = json.dumps(r.values, ensure_ascii=False) if r.status == "coded" else r.reason
        print(f"{r.row_id}\t{r.status}\t{detail}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from app.core.paths import check_output_file
    from app.core.research.columns import quote_columns
    from app.core.research.links import require_data_to_export

    out = check_output_file(Path(args.out), "the export file")
    engine = _engine(args)
    require_data_to_export(engine.store, args.job, engine.spec(args.job).data)
    summary = engine.export(args.job, out, excel_bom=args.excel_bom, extra_columns=quote_columns(engine, args.job))
    print(f"Exported {summary.rows:,} rows to {summary.path}")
    for note in summary.notes:
        print(f"Note: {note}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from app.core.simulator import Scenario, run_standalone

    scenario = Scenario(progress="time", seconds_per_step=args.seconds_per_step) if args.seconds_per_step else None
    run_standalone(
        args.port, Path(args.state) if args.state else None, args.key, scenario, until_stdin_closes=args.until_stdin_closes
    )
    return 0


def cmd_screenshots(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.ui.screenshots import render_screenshots

    for path in render_screenshots(Path(args.out)):
        print(path)
    return 0


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) < 65536:  # 0: any free port (the Demo provider asks so)
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description="BatchLab: code texts in a spreadsheet with a language model through batch APIs. "
        "Without a command, the desktop app starts.",
    )
    parser.add_argument("--version", action="version", version=f"BatchLab {app.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("prepare", help="write a job's request files and manifest.json without sending anything")
    p.add_argument("spec", help="the job spec (.json)")
    p.add_argument("--out", required=True, help="folder for the request files")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("run", help="create a job from a spec and submit it (with --wait: until it finishes)")
    p.add_argument("spec", help="the job spec (.json)")
    p.add_argument("--wait", action="store_true", help="poll until the job has finished and its results are in")
    p.add_argument("--poll", type=positive(float), help="longest wait between polls, in seconds (default 30)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("resume", help="carry on every unfinished job")
    p.add_argument("--wait", action="store_true", help="poll until they have finished")
    p.add_argument("--poll", type=positive(float), help="longest wait between polls, in seconds (default 30)")
    p.set_defaults(func=cmd_resume)

    p = sub.add_parser("status", help="list jobs (or one job) with their state and row counts")
    p.add_argument("job", nargs="?", help="a job id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--no-refresh", action="store_true", help="do not ask the providers for news first")
    p.set_defaults(func=cmd_status)

    for name, func, text in (
        ("cancel", cmd_cancel, "cancel a job; rows already coded are kept"),
        ("retry", cmd_retry, "send the rows that did not succeed again, in the same job"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("job", help="a job id")
        p.add_argument("--wait", action="store_true", help="poll until the job has finished")
        p.add_argument("--poll", type=positive(float), help="longest wait between polls, in seconds (default 30)")
        p.set_defaults(func=func)

    p = sub.add_parser("pilot", help="code a few sampled rows right away (direct, non-batch calls)")
    p.add_argument("spec", help="the job spec (.json)")
    p.add_argument("--rows", type=positive(int), default=5, help="how many rows (default 5)")
    p.set_defaults(func=cmd_pilot)

    p = sub.add_parser("export", help="write a job's rows with their coding to .csv or .xlsx")
    p.add_argument("job", help="a job id")
    p.add_argument("--out", required=True, help="the file to write (.csv or .xlsx)")
    p.add_argument("--excel-bom", action="store_true", help="CSV with a UTF-8 byte-order mark, for Excel")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("simulate", help="run BatchLab's simulated batch service (OpenAI and Anthropic formats)")
    p.add_argument("--port", type=_port, default=8765)
    p.add_argument("--state", help="folder to keep the service's state in (default: memory only)")
    p.add_argument("--key", help="require this API key")
    p.add_argument("--seconds-per-step", type=positive(float), help="batches advance with the clock (default: one step per poll)")
    p.add_argument("--until-stdin-closes", action="store_true", help="stop when standard input closes (used by the app)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("screenshots", help="render every main screen to PNG files (offscreen)")
    p.add_argument("--out", required=True, help="folder for the PNG files")
    p.set_defaults(func=cmd_screenshots)

    from app.commands import register_all

    register_all(sub)
    return parser


def _plain(exc: BaseException) -> BatchLabError | None:
    """The errors a broken environment raises from deep inside, in words for people; None for bugs."""
    from app.core.errors import JobHistoryError, StorageError

    if isinstance(exc, OSError) and exc.errno is not None and not isinstance(exc, (TimeoutError, ConnectionError)):
        if exc.filename:
            return StorageError.from_os_error(exc, "read or write")
        return StorageError(f"A file or folder could not be read or written: {StorageError.reason(exc)}.")
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return JobHistoryError(
            "The job history is in use by another BatchLab process and stayed locked for too long.",
            "Wait for the other command or window to finish its step, then try again.",
        )
    damaged = ("not a database", "malformed", "disk image")
    if sqlite3 is not None and isinstance(exc, sqlite3.DatabaseError) and any(w in str(exc) for w in damaged):
        from app.core.paths import database_path

        return JobHistoryError(
            f"The job history {database_path()} is damaged or is not a BatchLab database.",
            "Move that file away (keep it for a bug report); BatchLab then starts a new, empty history. "
            "Job folders and their files stay where they are.",
        )
    return None


def _report_bug(exc: BaseException) -> str:
    """Save the traceback of an unexpected failure to a log file; its path, or a note that it failed."""
    import tempfile
    import traceback

    folder = Path(tempfile.gettempdir())
    try:
        from app.core.paths import data_home

        folder = data_home() / "logs"
        folder.mkdir(exist_ok=True)
    except (BatchLabError, OSError):
        pass
    log = folder / "errors.log"
    try:
        with log.open("a", encoding="utf-8") as out:
            out.write("".join(traceback.format_exception(exc)) + "\n")
    except OSError:
        return "the details could not be saved"
    return f"the details were saved to {log}"


def _print_error(exc: BatchLabError) -> None:
    print(f"Error: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(exc.hint, file=sys.stderr)


def _start_window() -> int:
    """Start the desktop app, unless the system lacks what Qt needs: Qt would abort with a guess."""
    from app.core.system import display_problem, missing_qt_libraries

    missing = missing_qt_libraries()
    if missing is not None:
        _print_error(BatchLabError(missing.message(), missing.hint()))
        return 2
    nowhere = display_problem()
    if nowhere:
        _print_error(
            BatchLabError(
                f"BatchLab's window cannot open: {nowhere}.",
                "Start it from a desktop session, or use the command line (python -m app --help).",
            )
        )
        return 2
    from app.ui.main import run_gui

    return run_gui()


#: Set by a command that leaves nothing open: ``python -m app`` then ends without the teardown.
_skip_teardown = False


def exit_process(code: int) -> NoReturn:
    """End ``python -m app`` with ``code``: at once after a command that left nothing open.

    The interpreter's teardown (running finalizers and freeing every module: Arrow and NumPy after
    ``prepare``) took 0.05-0.15 s of a 100k-row ``prepare``, and had nothing left to do then.
    """
    if not _skip_teardown:
        raise SystemExit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a reader gone away, a stream closed
            pass
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure ends in a plain message and a non-zero exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return _start_window()
    try:
        return int(args.func(args) or 0)
    except BatchLabError as exc:
        _print_error(exc)
        return 2
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped early (… | head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence between a bug and the person
        if os.environ.get("BATCHLAB_DEBUG"):
            raise
        plain = _plain(exc)
        if plain is not None:
            _print_error(plain)
            return 2
        print(
            f"Error: BatchLab ran into an unexpected problem; {_report_bug(exc)}.\n"
            "Nothing already saved was lost. Please include that file if you report it.",
            file=sys.stderr,
        )
        return 3
