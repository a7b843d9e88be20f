"""Read a person's data file (CSV, TSV, TXT or a spreadsheet) into a table of text, and check it.

Every cell is kept as text exactly as written ("007" stays "007", "NA" stays "NA"), because IDs and
texts must reach the model and the results unchanged. Text files are read in chunks (Arrow's CSV
reader for clean UTF-8, pandas' C parser otherwise), so a million rows load in seconds with
progress and can be cancelled; spreadsheets are read with python-calamine. The header row is
found below any title rows, the first sheet that looks like a table is chosen, and what was
decided is kept in :attr:`Table.layout`; :class:`LoadOptions` overrides any of it. Problems are
reported in plain words with the row numbers a person sees when opening the file in Excel.

Modules: ``reading`` (entry points), ``text`` and ``encoding`` (text files), ``sheets``
(workbooks), ``layout`` (header row and column names), ``checks`` (findings), ``table`` (types).
"""

import importlib
from typing import Any

#: Where each name lives; modules load on first use, so a command that reads a CSV never imports
#: the spreadsheet readers (and pandas with them).
_EXPORTS = {
    "DELIMITER_NAMES": "text",
    "ENCODING_NAMES": "encoding",
    "SUPPORTED_SUFFIXES": "files",
    "DataIssue": "table",
    "Layout": "table",
    "LoadOptions": "table",
    "Progress": "table",
    "Table": "table",
    "TableCheck": "checks",
    "check_table": "checks",
    "describe_findings": "checks",
    "encoding_label": "encoding",
    "find_id_column": "checks",
    "findings_text": "checks",
    "list_sheets": "reading",
    "load_job_table": "reading",
    "load_table": "reading",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
