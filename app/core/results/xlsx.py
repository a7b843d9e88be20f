"""A small streaming .xlsx writer: one sheet of texts and numbers, a bold header row kept in view.

General-purpose writers spend tens of microseconds per cell (XlsxWriter's constant-memory mode
took 3.2 s per 20,000 rows on the development machine, about 30 s for 200,000). An export needs
no formats per cell, no formulas and no shared strings, so the sheet's XML is written here
directly, a row at a time, and compressed as it goes. The parts follow ECMA-376 (Office Open XML) SpreadsheetML: texts
are inline strings, so nothing a text holds can become a formula, a number or a link. Cells must
already be XML-safe (see :func:`app.core.results.cells.fit_for_excel`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from app.core.data.words import column_letter

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
#: XML escapes; a carriage return as a character reference, or XML readers turn it into a line feed.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_BUFFER_ROWS = 2_000


class SheetWriter:
    """Write one worksheet row by row into an .xlsx file; :meth:`close` finishes the file."""

    def __init__(self, path: Path, header: Sequence[str], sheet_name: str = "Export") -> None:
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._sheet_name = sheet_name
        self._letters = [column_letter(i) for i in range(len(header))]
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._row = 0
        self._pending: list[str] = [_SHEET_START, self._row_xml(header, ' s="1"')]

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        """Each row's cells: str (a text), int or float (a number), None (left empty)."""
        pending = self._pending
        row_xml = self._row_xml
        for values in rows:
            pending.append(row_xml(values, ""))
            if len(pending) >= _BUFFER_ROWS:
                self._flush()

    def _row_xml(self, values: Sequence[Any], style: str) -> str:
        self._row += 1
        number = self._row
        parts = [f'<row r="{number}">']
        for letter, value in zip(self._letters, values):
            if value is None or value == "":
                continue
            if type(value) is str:
                parts.append(
                    f'<c r="{letter}{number}"{style} t="inlineStr"><is><t xml:space="preserve">'
                    f"{value.translate(_ESCAPES)}</t></is></c>"
                )
            else:
                parts.append(f'<c r="{letter}{number}"{style}><v>{value!r}</v></c>')
        parts.append("</row>")
        return "".join(parts)

    def _flush(self) -> None:
        self._sheet.write("".join(self._pending).encode("utf-8"))
        self._pending.clear()

    def close(self) -> None:
        self._pending.append(_SHEET_END)
        self._flush()
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
