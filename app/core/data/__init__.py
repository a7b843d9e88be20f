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

from app.core.data.checks import TableCheck, check_table, describe_findings, find_id_column, findings_text
from app.core.data.encoding import ENCODING_NAMES, encoding_label
from app.core.data.files import SUPPORTED_SUFFIXES
from app.core.data.reading import list_sheets, load_job_table, load_table
from app.core.data.table import DataIssue, Layout, LoadOptions, Progress, Table
from app.core.data.text import DELIMITER_NAMES

__all__ = [
    "DELIMITER_NAMES",
    "ENCODING_NAMES",
    "SUPPORTED_SUFFIXES",
    "DataIssue",
    "Layout",
    "LoadOptions",
    "Progress",
    "Table",
    "TableCheck",
    "check_table",
    "describe_findings",
    "encoding_label",
    "find_id_column",
    "findings_text",
    "list_sheets",
    "load_job_table",
    "load_table",
]
