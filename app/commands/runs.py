"""Commands for comparison runs and write-ups: compare, agreement, report, package, import."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.commands import positive
from app.core.paths import check_output_file
from app.core.errors import UsageError


def _engine(args: argparse.Namespace):  # noqa: ANN202 - the import stays lazy for a fast --help
    from app.cli import _engine as engine

    return engine(args)


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f'Cannot read "{path}": {exc.strerror or exc}.', "Check the file name.") from None
    except UnicodeDecodeError:
        raise UsageError(f'"{path}" is not UTF-8 text.', "Save it as UTF-8 and try again.") from None


def cmd_compare(args: argparse.Namespace) -> int:
    from app.cli import _job_line
    from app.core.research.runs import ComparisonPlan, start_comparison

    instructions = _read_text(args.instructions) if args.instructions else None
    kind = "instructions" if instructions else "model" if (args.model or args.provider) else "repeat"
    runs = args.runs if args.runs is not None else (3 if kind == "repeat" else 1)
    plan = ComparisonPlan(kind, runs, args.rows, args.seed, args.provider, args.model, instructions, args.direct)
    engine = _engine(args)
    ids = start_comparison(engine, args.job, plan)
    print(f"Started {len(ids)} comparison run(s) of {args.job}: {', '.join(ids)}")
    for job_id in ids:
        print(_job_line(engine.run(job_id, wait=args.wait)))
    if not args.wait and not args.direct:
        print(f"When they have finished: python -m app agreement {args.job}")
    return 0


#: Fields whose validation has one Krippendorff's α (lists have one per label, texts none).
_ALPHA_TYPES = ("category", "boolean", "number", "integer")


def cmd_agreement(args: argparse.Namespace) -> int:
    from app.core.research.agreement import run_agreement
    from app.core.research.runs import linked_runs

    engine = _engine(args)
    result = run_agreement(engine, linked_runs(engine, args.job), resamples=args.resamples, seed=args.seed)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return 0
    print(f"{len(result.runs)} runs ({', '.join(result.runs)}), {result.rows_compared:,} rows coded by every run.")
    for name, info in result.fields.items():
        alpha, ci = info["krippendorff_alpha"], info["ci95"]
        shown = "—" if alpha is None else f"{alpha:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")
        agree = "—" if info["all_agree"] is None else f"{info['all_agree']:.0%}"
        print(f"  {name:<20} α = {shown:<24} all runs agree on {agree} of rows   {info['reading']}")
    for run, validation in (result.validations or {}).items():
        alphas = ", ".join(  # a field compared but with α undefined shows "—", never disappears
            f"{name} {'—' if m.get('krippendorff_alpha') is None else format(m['krippendorff_alpha'], '.3f')}"
            for name, m in validation["fields"].items()
            if m.get("krippendorff_alpha") is not None or (m.get("n") and m.get("type") in _ALPHA_TYPES)
        )
        print(f"  {run} against the hand-coded rows ({validation['rows_compared']:,} compared): α {alphas or '—'}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from app.core.research.report import build_report, write_report

    if Path(args.out).suffix.lower() not in (".html", ".md"):
        raise UsageError(f'Cannot write a report to "{args.out}".', "Choose a file name ending in .html or .md.")
    if args.examples < 0:
        raise UsageError("--examples must be 0 or more.")
    check_output_file(Path(args.out), "the report")
    engine = _engine(args)
    path = write_report(build_report(engine, args.job, example_rows=args.examples), Path(args.out))
    print(f"Wrote the methods report of job {args.job} to {path}")
    return 0


def cmd_package(args: argparse.Namespace) -> int:
    from app.core.research.package import write_package

    if Path(args.out).suffix.lower() != ".zip":
        raise UsageError(f'Cannot write a package to "{args.out}".', "Choose a file name ending in .zip.")
    check_output_file(Path(args.out), "the package")
    engine = _engine(args)
    path = write_package(engine, args.job, Path(args.out), with_data=args.with_data)
    note = "with the data file" if args.with_data else "without the data file (its SHA-256 is recorded)"
    print(f"Wrote the replication package of job {args.job} to {path}, {note}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f'There is no file "{args.file}".', "Check the file name.")
    engine = _engine(args)
    if args.job:
        from app.core.research.provider_import import import_results_file

        rows = import_results_file(engine, args.job, path)
        print(f"Read {rows:,} rows from {path.name} into job {args.job}.")
        return 0
    if path.suffix.lower() != ".zip":
        raise UsageError(
            f'"{path.name}" is not a replication package (.zip).',
            "To import a provider's results file into a job, add --job JOB.",
        )
    from app.core.research.package import import_package

    job_id = import_package(engine, path)
    print(f"Imported {path.name} as read-only job {job_id}. See it with: python -m app status {job_id}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("compare", help="rerun a job as linked comparison runs (repeat, another model, reworded instructions)")
    p.add_argument("job", help="the job to compare with")
    p.add_argument("--runs", type=int, help="how many runs (default 3 for repeats, else 1)")
    p.add_argument("--rows", type=int, help="a seeded random sample of this many rows (default: every row)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    p.add_argument("--model", help="another model")
    p.add_argument("--provider", help="another provider (openai, anthropic, compatible, demo)")
    p.add_argument("--instructions", help="a text file with reworded instructions")
    p.add_argument("--direct", action="store_true", help="code a small sample now through direct calls (full price)")
    p.add_argument("--wait", action="store_true", help="poll until the runs have finished")
    p.add_argument("--poll", type=positive(float), help="longest wait between polls, in seconds (default 30)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("agreement", help="agreement across a job's linked runs (Krippendorff's α per field)")
    p.add_argument("job", help="the job or any of its comparison runs")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--resamples", type=positive(int, zero=True), default=1000, help="bootstrap resamples for the 95%% intervals")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    p.set_defaults(func=cmd_agreement)

    p = sub.add_parser("report", help="write a job's methods report (.html or .md)")
    p.add_argument("job", help="a job id")
    p.add_argument("--out", required=True, help="the file to write (.html or .md)")
    p.add_argument("--examples", type=int, default=0, help="include this many example rows with their text (default 0)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("package", help="write a job's replication package (.zip)")
    p.add_argument("job", help="a job id")
    p.add_argument("--out", required=True, help="the .zip file to write")
    p.add_argument("--with-data", action="store_true", help="include the data file (otherwise only its checksum)")
    p.set_defaults(func=cmd_package)

    p = sub.add_parser("import", help="restore a replication package as a read-only job, or a provider's results file into a job")
    p.add_argument("file", help="a package (.zip), or with --job a provider's results file (.jsonl)")
    p.add_argument("--job", help="the job a provider results file belongs to")
    p.set_defaults(func=cmd_import)
