"""A small streaming .xlsx writer: one sheet of texts and numbers, a bold header row kept in view.

General-purpose writers spend tens of microseconds per cell (XlsxWriter's constant-memory mode
took 3.2 s per 20,000 rows on the development machine, about 30 s for 200,000). An export needs
no formats per cell, no formulas and no shared strings, so the sheet's XML is written here
directly and compressed as it goes. Rows come a chunk at a time, column by column: a column held
in Arrow becomes its cells' XML in a few vectorised passes (escaping, joining), with no Python
object per cell; a column of mixed kinds (a Python list) is written cell by cell. The parts follow
ECMA-376 (Office Open XML) SpreadsheetML: texts are inline strings, so nothing a text holds can
become a formula, a number or a link. Cells must already be XML-safe (see
:func:`app.core.results.cells.fit_for_excel`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.data.words import column_letter

if TYPE_CHECKING:
    import pyarrow as pa

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
#: Style 0: the default; style 1: bold (the header row).
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
    'state="frozen"/></sheetView></sheetViews><sheetData>'
)
_SHEET_END = "</sheetData></worksheet>"
#: XML escapes ("&" first); a carriage return as a character reference, or XML readers turn it into a line feed.
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_TRANSLATION = str.maketrans(_ESCAPES)
_TEXT = ' t="inlineStr"><is><t xml:space="preserve">'


class SheetWriter:
    """Write one worksheet a chunk of rows at a time into an .xlsx file; :meth:`close` finishes the file."""

    def __init__(self, path: Path, header: Sequence[str], sheet_name: str = "Export") -> None:
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._sheet_name = sheet_name
        self._letters = [column_letter(i) for i in range(len(header))]
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        cells = "".join(_cell(f"{letter}1", value, ' s="1"') for letter, value in zip(self._letters, header))
        self._sheet.write(f'{_SHEET_START}<row r="1">{cells}</row>'.encode("utf-8"))
        self._rows = 1

    def write_columns(self, columns: Sequence[pa.Array | list[Any]]) -> None:
        """The next rows, given column by column, all of one length: Arrow arrays of texts or
        numbers, or Python lists whose cells are str (a text), int or float (a number) or None;
        a missing or empty cell is left out."""
        import pyarrow as pa
        import pyarrow.compute as pc

        count = len(columns[0])
        numbers = pa.array(np.arange(self._rows + 1, self._rows + count + 1)).cast(pa.large_string())
        cells = [
            _cells_of_list(column, letter, self._rows + 1) if isinstance(column, list) else _cells(column, letter, numbers)
            for letter, column in zip(self._letters, columns, strict=True)
        ]
        rows = pc.binary_join_element_wise(_text('<row r="'), numbers, _text('">'), *cells, _text("</row>"), _text(""))
        self._sheet.write(_utf8(rows))
        self._rows += count

    def close(self) -> None:
        self._sheet.write(_SHEET_END.encode("utf-8"))
        self._sheet.close()
        self._zip.writestr("[Content_Types].xml", _CONTENT_TYPES)
        self._zip.writestr("_rels/.rels", _ROOT_RELS)
        self._zip.writestr("xl/workbook.xml", _WORKBOOK.format(name=self._sheet_name))
        self._zip.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        self._zip.writestr("xl/styles.xml", _STYLES)
        self._zip.close()

    def abandon(self) -> None:
        """Stop without finishing the file (the caller removes it)."""
        self._sheet.close()
        self._zip.close()


def _cell(reference: str, value: Any, style: str = "") -> str:
    """One cell's XML ("" for a missing or empty one)."""
    if value is None or value == "":
        return ""
    if type(value) is str:
        return f'<c r="{reference}"{style}{_TEXT}{value.translate(_TRANSLATION)}</t></is></c>'
    return f'<c r="{reference}"{style}><v>{value!r}</v></c>'


def _cells_of_list(values: list[Any], letter: str, first_row: int) -> pa.Array:
    import pyarrow as pa

    return pa.array([_cell(f"{letter}{first_row + i}", v) for i, v in enumerate(values)], pa.large_string())


def _cells(column: pa.Array, letter: str, numbers: pa.Array) -> pa.Array:
    """The XML of a column's cells, in Arrow: texts escaped and inline, numbers as Arrow writes
    them (the shortest text that reads back as the same number)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        text = column.cast(pa.large_string())
        for character, escape in _ESCAPES.items():
            text = pc.replace_substring(text, character, escape)
        start, end = f'"{_TEXT}', "</t></is></c>"
        present = pc.greater(pc.binary_length(column), 0)
    else:
        text = column.cast(pa.large_string())
        if pa.types.is_floating(column.type):  # whole numbers as integers, as the rows view shows them
            whole = pc.and_(pc.equal(pc.floor(column), column), pc.less(pc.abs(column), 2.0**63))
            text = pc.if_else(whole, column.cast(pa.int64(), safe=False).cast(pa.large_string()), text)
        start, end = '"><v>', "</v></c>"
        present = pc.is_valid(column)
    xml = pc.binary_join_element_wise(_text(f'<c r="{letter}'), numbers, _text(start), text, _text(end), _text(""))
    return pc.if_else(present, xml, _text("")).fill_null("")


def _text(value: str) -> pa.Scalar:
    import pyarrow as pa

    return pa.scalar(value, pa.large_string())


def _utf8(array: pa.Array | pa.ChunkedArray) -> memoryview:
    """The bytes of an Arrow array of texts, one after another (without copying them, when in one piece)."""
    if hasattr(array, "combine_chunks"):  # input columns sliced from a table come in pieces
        array = array.combine_chunks()
    offsets, data = array.buffers()[1:3]
    ends = np.frombuffer(offsets, dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    return memoryview(data)[ends[0] : ends[-1]] if data is not None else memoryview(b"")
