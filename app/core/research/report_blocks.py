"""The pieces of a methods report: sections of plain blocks, and how figures are written in them.

A report is data (paragraphs, tables, verbatim code, embedded images) so that one builder
(:mod:`.report_sections`) serves both writers in :mod:`.report_html` (HTML and Markdown).
"""

from __future__ import annotations

import base64
import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.core.research.agreement import Agreement
    from app.core.research.report_facts import JobFacts


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass
class Code:
    text: str


@dataclass
class Image:
    png: bytes
    alt: str


Block = str | Table | Code | Image  # a plain string is a paragraph


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    """A report ready to write; ``facts`` and ``agreement`` keep the figures for callers that use them elsewhere."""

    title: str
    subtitle: str
    sections: list[Section]
    facts: JobFacts | None = None
    agreement: Agreement | None = None


# ---- how figures are written ---------------------------------------------------------------------
def money(value: float | None, currency: str = "USD") -> str:
    if value is None:
        return "unknown"
    return f"${value:,.2f}" if currency == "USD" else f"{value:,.2f} {currency}"


def day(value: dt.datetime | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "unknown"


def stamp(value: dt.datetime | None) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def figure_text(value: float) -> str:
    """A figure as a methods section writes it: three decimals (0.812, 12.500), or four significant
    digits past a million (a mean error of 8.333e+14), never a run of hundreds of digits."""
    return f"{value:.3f}" if abs(value) < 1e6 else f"{value:.4g}"


def left_out(field: dict[str, Any], lead: str = "") -> str:
    """Why a field of a validation compared fewer rows than were compared in all ("" when it did not):
    "2 without a hand-coded value, 1 without the model's"."""
    if not field.get("n"):
        return ""
    reasons = [
        f"{count:,} {words}"
        for count, words in ((field.get("without_gold", 0), "without a hand-coded value"),
                             (field.get("without_model_value", 0), "without the model's"))
        if count
    ]
    return lead + ", ".join(reasons) if reasons else ""


def figure(value: float | None, ci: list[float] | None = None) -> str:
    if value is None:
        return "undefined"
    text = figure_text(value)
    return text + (f" (95% CI {figure_text(ci[0])}–{figure_text(ci[1])})" if ci else "")


def plain(value: Any) -> str:
    """A coded value as a person writes it (lists joined, yes/no in words)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, (int, float)):  # as the exports write it: 1000000000000, not 1e+12 or 1000000000000.0
        from app.core.results.cells import number_text

        return number_text(value)
    return str(value)


def share(n: int, total: int) -> str:
    return f"{n:,} ({n / total:.1%})" if total else f"{n:,}"


def png(draw: Any) -> bytes:
    """Render a figure function ``draw(path)`` to PNG bytes (figures are embedded, not linked)."""
    with tempfile.TemporaryDirectory(prefix="batchlab-report-") as folder:
        path = Path(folder) / "figure.png"
        draw(path)
        return path.read_bytes()


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
