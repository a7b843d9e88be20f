"""A job's own data, read once in the background for the research screens: ids, columns, row texts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.research.quotes import RowTexts, job_texts
from app.core.run.engine import Engine
from app.core.spec import JobSpec


@dataclass
class JobData:
    """The job's spec and its saved copy of the data, with each row's text as the model received it."""

    job_id: str
    spec: JobSpec
    texts: RowTexts

    @property
    def ids(self) -> list[str]:
        return list(self.texts.position)

    @property
    def columns(self) -> list[str]:
        return self.texts.table.columns

    @property
    def table(self) -> Any:
        return self.texts.table

    def text(self, row_id: str) -> str:
        """The row rendered through the job's row template (what the model was sent)."""
        return self.texts.text(row_id) if row_id in self.texts else ""

    def column(self, name: str) -> list[Any]:
        """One data column's values, in the order of :attr:`ids`."""
        return self.texts.table.frame[name].tolist()


def load_job_data(engine: Engine, job_id: str) -> JobData:
    """Read the job's spec and data copy (call from a background Task: the file may be large)."""
    spec = engine.spec(job_id)
    return JobData(job_id, spec, job_texts(spec))
