"""Extra export columns from the research checks, so flags travel with the coded data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.core.research.quotes import quote_flags

if TYPE_CHECKING:
    from app.core.run.engine import Engine

QUOTE_SUFFIX = "__quote_ok"


def quote_columns(engine: Engine, job_id: str) -> dict[str, dict[str, Any]]:
    """``"<field>__quote_ok"`` -> row_id -> "yes"/"no" for each verbatim-quote field (coded rows only)."""
    return {
        f"{name}{QUOTE_SUFFIX}": {row_id: "yes" if ok else "no" for row_id, ok in flags.items()}
        for name, flags in quote_flags(engine, job_id).items()
    }
