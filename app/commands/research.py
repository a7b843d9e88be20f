"""Commands for checking a job against hand-coded rows: validate, gold-export."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.commands import positive
from app.core.errors import UsageError


def _engine(args: argparse.Namespace):  # noqa: ANN202 - the import stays lazy for a fast --help
    from app.cli import _engine as engine

    return engine(args)


def _mapping(pairs: list[str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise UsageError(f'"--map {pair}" is not FIELD=COLUMN.', "Write it like --map sentiment=Sentiment_coded.")
        mapping[name.strip()] = column.strip()
    return mapping


def _figure(value: float | None, ci: list[float] | None = None) -> str:
    from app.core.research.report_blocks import figure_text

    if value is None:
        return "—"
    return figure_text(value) + (f" [{figure_text(ci[0])}, {figure_text(ci[1])}]" if ci else "")


def _field_line(name: str, info: dict[str, Any]) -> list[str]:
    """One field's figures in words a reader of a methods section knows."""
    from app.core.research.report_blocks import left_out

    ci = info.get("ci95") or {}
    kind, n = info["type"], info["n"]
    head = f"{name} ({kind}, {n:,} rows{left_out(info, '; left out: ')}):"
    if not n:
        lines = [f"{name} ({kind}): no hand-coded values to compare"]
    elif kind in ("category", "boolean"):
        lines = [
            f"{head} accuracy {_figure(info['accuracy'], ci.get('accuracy'))}, "
            f"Cohen's κ {_figure(info['cohen_kappa'], ci.get('cohen_kappa'))}, "
            f"Krippendorff's α {_figure(info['krippendorff_alpha'], ci.get('krippendorff_alpha'))} ({info['reading']}), "
            f"macro-F1 {_figure(info['macro_f1'], ci.get('macro_f1'))}, micro-F1 {_figure(info['micro_f1'])}"
        ]
    elif kind in ("number", "integer"):
        lines = [
            f"{head} MAE {_figure(info['mae'], ci.get('mae'))}, RMSE {_figure(info['rmse'])}, "
            f"Pearson {_figure(info['pearson'])}, Spearman {_figure(info['spearman'])}, "
            f"Krippendorff's α {_figure(info['krippendorff_alpha'], ci.get('krippendorff_alpha'))} ({info['reading']})"
        ]
    elif kind == "list":
        lines = [
            f"{head} exact-set accuracy {_figure(info['exact_set_accuracy'], ci.get('exact_set_accuracy'))}, "
            f"macro-F1 {_figure(info['macro_f1'], ci.get('macro_f1'))}, micro-F1 {_figure(info['micro_f1'])}"
        ]
    else:
        lines = [f"{head} exact match {_figure(info['exact_match'], ci.get('exact_match'))}"]
    for label, p in (info.get("per_label") or {}).items():
        alpha = f", α {_figure(p['krippendorff_alpha'])}" if "krippendorff_alpha" in p else ""
        lines.append(
            f"    {label}: precision {p['precision']:.3f}, recall {p['recall']:.3f}, F1 {p['f1']:.3f}, "
            f"{p['support']:,} in the gold{alpha}"
        )
    if "quotes_checked" in info:
        lines.append(f"    quotes not found in the row's text: {info['quotes_not_in_text']:,} of {info['quotes_checked']:,}")
    return lines


def summary(result: Any) -> str:
    """A plain-words summary of a :class:`~app.core.research.validate.Validation`."""
    whose = f" by {result.coder}" if result.coder else (" (majority of the coders)" if len(result.coders) > 1 else "")
    lines = [f"Job {result.job_id}: {result.rows_with_gold:,} rows hand-coded{whose}; {result.rows_compared:,} compared"
             + (f" ({result.coverage:.0%} of them)." if result.coverage is not None else ".")]
    if result.not_coded:
        lines.append("Not coded by the model (left out): " + ", ".join(f"{n:,} {s}" for s, n in result.not_coded.items()) + ".")
    if result.unknown_ids:
        lines.append(f"{len(result.unknown_ids):,} hand-coded rows are not rows of this job (left out).")
    for name, info in result.fields.items():
        lines += _field_line(name, info)
    if result.human:
        lines.append(f"People against each other ({', '.join(result.coders)}):")
        for name, info in result.human.items():
            model = result.fields[name].get("krippendorff_alpha")
            lines.append(
                f"    {name}: Krippendorff's α {_figure(info.get('krippendorff_alpha'))} ({info.get('reading', 'per label')}); "
                f"model against the gold {_figure(model)}"
            )
    lines.append(f"{len(result.disagreements):,} disagreements (see them with --json or in the app's Validation tab).")
    lines.append("Reading α: ≥ 0.800 reliable; 0.667–0.800 tentative conclusions only; below 0.667 not reliable.")
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> int:
    from app.core.research.gold import read_gold_file
    from app.core.research.gold_store import GoldStore
    from app.core.research.links import require_data_here
    from app.core.research.quotes import job_texts
    from app.core.research.validate import validate_job

    engine = _engine(args)
    spec = engine.spec(args.job)
    require_data_here(
        engine.store, args.job, spec.data, needed="the rows' texts are not here to validate against",
        instead=f"The validation the package carried is in its methods report (python -m app report {args.job} --out report.html).",
    )
    texts = job_texts(spec)
    coder = args.coder
    if args.gold:
        path = Path(args.gold)
        imported = read_gold_file(
            path, spec, id_column=args.id_column, mapping=_mapping(args.map), known_ids=set(texts.position), sheet=args.sheet
        )
        if args.sheet and imported.sheet is None:
            raise UsageError(
                f"--sheet names a workbook's sheet, but {path.name} is a text file, with none.", "Leave out --sheet."
            )
        imported.raise_if_problems(path.name)
        # A workbook of several sheets (one per coder, say): which one was read is part of the record,
        # and each sheet is its own coder unless named, so reading the next does not replace the first.
        several = len(imported.sheets) > 1
        coder = coder or (f"{path.stem} ({imported.sheet})" if several else path.stem)
        source = f"{path.name}, sheet {imported.sheet}" if several else path.name
        saved = GoldStore(engine.store).save_labels(args.job, coder, imported.labels, source=source)
        if not args.json:
            columns = ", ".join(f"{field} ← {column}" for field, column in imported.mapping.items())
            print(f"Saved {saved:,} hand-coded rows by {coder} from {source} ({columns}).")
            others = [s for s in imported.sheets if s != imported.sheet]
            if others:
                print(f"The workbook also has the sheet(s) {', '.join(others)}: read another one with --sheet NAME.")
    rows = None
    if args.part:
        sample = GoldStore(engine.store).sample(args.job)
        if sample is None:
            raise UsageError("This job has no hand-coding sample, so it has no development and test parts.")
        rows = sample.part(args.part)
    result = validate_job(
        engine, args.job, coder=coder, resamples=args.resamples, seed=args.seed, rows=rows, texts=texts
    )
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        print(summary(result))
    return 0


def cmd_gold_export(args: argparse.Namespace) -> int:
    from app.core.research.gold_store import GoldStore

    engine = _engine(args)
    spec = engine.spec(args.job)
    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise UsageError(f'Cannot export to "{out.name}".', "Choose a file name ending in .csv.")
    store = GoldStore(engine.store)
    labels = store.labels(args.job)
    store.export_csv(args.job, out, fields=[f.name for f in spec.fields])
    count = sum(len(rows) for rows in labels.values())
    print(f"Exported {count:,} hand-coded rows by {len(labels)} coder(s) to {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("validate", help="compare a job's coding with hand-coded rows (figures per field)")
    p.add_argument("job", help="a job id")
    p.add_argument("--gold", help="a CSV/TSV/Excel file of hand-coded labels (saved with the job); "
                   "without it, the labels already stored with the job are used")
    p.add_argument("--id-column", help="the gold file's ID column (default: the job's ID column, or id)")
    p.add_argument("--sheet", help="the workbook sheet to read (default: the first that holds a table)")
    p.add_argument("--map", action="append", metavar="FIELD=COLUMN", help="read a field from a differently named column")
    p.add_argument("--coder", help="whose labels these are (default: the gold file's name, and the sheet's in a "
                   "workbook of several); without --gold, compare with this coder only")
    p.add_argument("--part", choices=("dev", "test"), help="only the development or test part of the hand-coding sample")
    p.add_argument("--resamples", type=positive(int, zero=True), default=1000, help="bootstrap resamples for the 95%% intervals (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("gold-export", help="write a job's hand-coded labels (every coder) to CSV")
    p.add_argument("job", help="a job id")
    p.add_argument("--out", required=True, help="the .csv file to write")
    p.set_defaults(func=cmd_gold_export)
