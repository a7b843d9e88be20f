"""The command line: ``python -m app COMMAND …``; without a command, the desktop app starts.

Every command works on the same saved job spec the GUI writes, so a replication package or a
server can prepare, run, poll and export a job headless. Errors meant for people print as plain
messages (never tracebacks) and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
        f"{manifest['name']}: {manifest['rows_sent']:,} rows in {manifest['requests']:,} requests "
        f"({manifest['provider']} {manifest['model']}), {len(files)} file(s), {manifest['bytes'] / 1e6:,.1f} MB",
        f"Input tokens: about {tokens['input_total']:,} ({tokens['method']})",
        f"Estimated cost at batch prices: {_money(cost.get('total'), cost.get('currency', 'USD'))}"
        + (f" — {cost['note']}" if cost.get("note") else ""),
    ]
    blank = manifest["rows_not_sent"]["blank_text"]
    if blank:
        shown = ", ".join(blank[:10]) + (f" and {len(blank) - 10} more" if len(blank) > 10 else "")
        lines.append(f"Not sent (blank text): {len(blank)} row(s): {shown}")
    lines += [f"Note: {n}" for n in manifest["notes"]]
    lines += [f"Warning: {w}" for w in manifest["warnings"]]
    return "\n".join(lines)


def cmd_prepare(args: argparse.Namespace) -> int:
    from app.core.prepare import prepare
    from app.core.spec import load_spec

    spec = load_spec(Path(args.spec))
    prepared = prepare(spec, Path(args.out), progress=_progress_printer("Building requests"))
    print(summarise_manifest(prepared.manifest))
    print(f"Wrote {len(prepared.files)} request file(s) and manifest.json to {prepared.folder}")
    return 0


def _progress_printer(label: str):  # noqa: ANN202 - small closure
    """A progress callback that rewrites one line on a terminal and stays quiet otherwise."""
    if not sys.stderr.isatty():
        return None

    def report(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        sys.stderr.write(f"\r{label}: {percent}%")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description="BatchLab: code texts in a spreadsheet with a language model through batch APIs. "
        "Without a command, the desktop app starts.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("prepare", help="write a job's request files and manifest.json without sending anything")
    p.add_argument("spec", help="the job spec (.json)")
    p.add_argument("--out", required=True, help="folder for the request files")
    p.set_defaults(func=cmd_prepare)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from app.ui.main import run_gui

        return run_gui()
    try:
        return int(args.func(args) or 0)
    except BatchLabError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(exc.hint, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130
