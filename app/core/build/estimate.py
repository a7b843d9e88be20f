"""The Review step's token and cost estimate (no Qt; runs in a background Task).

Small and medium files are prepared in full into a temporary folder, exactly as a job would be,
so the estimate is the job's own manifest. For very large files that would mean writing every
request to disk just to count it, so a random sample of rows is prepared instead and the totals
are scaled up; the estimate says so.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.core.data import Table
from app.core.build.prepare import plan_rows, prepare, sample_rows
from app.core.spec import JobSpec

#: Up to this many rows, every request is built and counted.
FULL_ESTIMATE_ROWS = 50_000
SAMPLE_ROWS = 5_000


def estimate(
    spec: JobSpec,
    table: Table,
    *,
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    full_rows: int = FULL_ESTIMATE_ROWS,
    sample: int = SAMPLE_ROWS,
) -> dict[str, Any]:
    """The manifest ``prepare`` would write (scaled from a sample for large files; then ``sampled`` is set)."""
    with tempfile.TemporaryDirectory(prefix="batchlab-estimate-") as folder:
        if len(table) <= full_rows:
            return prepare(spec, Path(folder), table=table, progress=progress, should_cancel=should_cancel).manifest
        plan = plan_rows(spec, table)
        chosen = set(sample_rows([plan.ids[p] for p in plan.positions], sample))
        manifest = prepare(
            spec, Path(folder), table=table, only_ids=chosen, progress=progress, should_cancel=should_cancel
        ).manifest
    return scale(manifest, len(plan.positions), len(plan.blank), len(chosen))


def scale(manifest: dict[str, Any], rows_sent: int, rows_blank: int, sampled: int) -> dict[str, Any]:
    """Scale a sample's manifest to ``rows_sent`` rows."""
    factor = rows_sent / max(sampled, 1)
    out = dict(manifest)
    out["rows_sent"] = rows_sent
    out["rows_not_sent"] = {"blank_text_count": rows_blank}
    out["requests"] = math.ceil(rows_sent / max(int(manifest.get("rows_per_request") or 1), 1))
    tokens = dict(manifest.get("tokens") or {})
    for key in ("input_total", "output_estimate_total", "reasoning_estimate_total"):
        if isinstance(tokens.get(key), (int, float)):
            tokens[key] = round(tokens[key] * factor)
    # The interval of a token sample says nothing about the rows left out: no bound is better than a wrong one.
    tokens.pop("input_total_margin", None)
    tokens["method"] = (
        f"{tokens.get('method', 'counted')}; measured on a random sample of {sampled:,} rows "
        f"and scaled to all {rows_sent:,}"
    )
    tokens["exact"] = False
    out["tokens"] = tokens
    cost = dict(manifest.get("cost") or {})
    for key in ("input", "output", "total", "uncached_input", "cache_writes", "cache_reads", "answers", "reasoning"):
        if isinstance(cost.get(key), (int, float)):
            cost[key] = round(cost[key] * factor, 4)
    for key in ("cache_write_tokens", "cache_read_tokens"):
        if isinstance(cost.get(key), int):
            cost[key] = round(cost[key] * factor)
    out["cost"] = cost
    out["sampled"] = sampled
    return out
