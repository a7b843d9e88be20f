"""What a value becomes in an export cell: text safe to open in a spreadsheet, numbers kept as numbers.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a
carriage return) as a formula: a text from the internet can then compute, fetch or mislead
(OWASP's "CSV Injection"). BatchLab puts an apostrophe in front of such a text when the export is
meant for a spreadsheet, never in front of a number such as ``-3.5``, and says how many cells
it changed. Excel also limits a cell to 32,767 characters and refuses control characters that
XML cannot hold; such cells are cut or cleaned, and counted, never dropped.
"""

from __future__ import annotations

import locale
import math
import os
import re
import threading
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+[.,]?\d*|[.,]\d+)([eE][+-]?\d+)?")  # a decimal point or comma
#: Numbers as a spreadsheet writes them back the same: no leading zeros, no trailing decimal
#: zeros, at most 15 significant digits (more would be rounded). "007" and "1e5" stay text.
_CANONICAL_NUMBER = re.compile(r"-?(0|[1-9]\d{0,14})(\.\d{0,14}[1-9])?")
EXCEL_MAX_CHARS = 32_767
#: Excel keeps 15 significant digits of a number.
EXCEL_MAX_DIGITS = 15
#: Characters XML 1.0 cannot hold (tab, line feed and carriage return are fine).
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: The same for Arrow's (RE2) regular expressions; Arrow's texts are UTF-8, which holds no lone surrogates.
_NOT_IN_XML_RE2 = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x{fffe}\\x{ffff}]"
_CUT_NOTE = " […cut: {:,} characters in all]"
#: Past 2**53 a double no longer holds every whole number: such a value may be an integer the
#: model gave that a reader (Arrow's JSON reader, a float) has rounded.
_EXACT_WHOLE = 2.0**53
_locale_lock = threading.Lock()


def starts_formula(value: str) -> bool:
    """Whether a spreadsheet would read this text as a formula (a number such as -3.5 is not one)."""
    return value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value)


def neutralise_column(values: list[Any]) -> int:
    """Put an apostrophe before every text that would start a formula, in place; how many changed."""
    changed = 0
    for i, value in enumerate(values):
        if type(value) is str and value and value[0] in "=+-@\t\r" and not _NUMBER.fullmatch(value):
            values[i] = "'" + value
            changed += 1
    return changed


def neutralise_array(array: pa.Array) -> tuple[pa.Array, int]:
    """:func:`neutralise_column` for an Arrow array of texts (vectorised: a million cells in a blink)."""
    import pyarrow.compute as pc

    starts = pc.match_substring_regex(array, "^[=+\\-@\t\r]")
    mask = pc.and_(starts, pc.invert(pc.match_substring_regex(array, f"^{_NUMBER.pattern}$")))
    changed = pc.sum(mask).as_py() or 0
    if not changed:
        return array, 0
    return pc.if_else(mask, pc.binary_join_element_wise("'", array, ""), array), changed


def is_text_array(array: pa.Array) -> bool:
    import pyarrow as pa

    return pa.types.is_string(array.type) or pa.types.is_large_string(array.type)


def json_columns(lines: bytes, rows: int, names: Sequence[str]) -> list[pa.Array] | None:
    """The named fields of ``rows`` JSON objects, one a line, as Arrow columns shown as :func:`shown`
    shows them; parsed by Arrow's JSON reader, several times faster than a Python object per row.

    None when a field cannot be one Arrow type in every row (a text here, a number there; an
    object), or the JSON is not standard (NaN): then the caller parses row by row.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pajson

    try:
        options = pajson.ReadOptions(block_size=max(1 << 20, len(lines) + 1))  # one block: one type per field
        table = pajson.read_json(pa.BufferReader(lines), read_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != rows:
        return None
    columns = []
    for name in names:
        if name not in table.column_names:
            columns.append(pa.nulls(rows, pa.string()))
            continue
        column = table[name].combine_chunks()
        kind = column.type
        if pa.types.is_boolean(kind):
            column = pc.if_else(column, "yes", "no")
        elif pa.types.is_list(kind) and not pa.types.is_nested(kind.value_type):
            column = pc.binary_join(column.cast(pa.list_(pa.string())), "; ")
        elif pa.types.is_null(kind):
            column = column.cast(pa.string())
        elif pa.types.is_floating(kind) and _may_be_rounded(column):
            return None
        elif not (pa.types.is_string(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            return None
        columns.append(column)
    return columns


def _may_be_rounded(column: pa.Array) -> bool:
    """Whether a column Arrow's JSON reader made floats holds a whole number past 2**53: an integer
    beside fractions is read as a float, and past 2**53 a float drops its last digits."""
    import pyarrow.compute as pc

    big = pc.greater_equal(pc.abs(column), _EXACT_WHOLE)
    return bool(pc.any(pc.and_(big, pc.equal(pc.floor(column), column))).as_py())


def text_array(column: pd.Series | list[str]) -> pa.Array:
    """Texts (a pandas column, held in Arrow or not, or a list) as an Arrow array of strings."""
    import pyarrow as pa

    return pa.array(column, type=pa.string(), from_pandas=True)


def to_arrow(values: list[Any], decimal_mark: str = ".") -> pa.Array:
    """Values as one Arrow array: numbers stay numbers when the whole column is numbers, else texts
    (numbers among them written by :func:`cell_text`)."""
    import pyarrow as pa

    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # mixed kinds; an int past 64 bits
        return pa.array([cell_text(v, decimal_mark) for v in values], type=pa.string())
    return array if array.type != pa.null() else array.cast(pa.string())


def cell_text(value: Any, decimal_mark: str = ".") -> str | None:
    """A shown value as the text of a CSV cell: numbers by :func:`number_text` (with the decimal
    mark given), None as None."""
    if value is None:
        return None
    if type(value) is int or type(value) is float:
        return number_text(value).replace(".", decimal_mark)
    return str(value)


def number_text(value: int | float) -> str:
    """A number in plain notation that reads back as the same number: the shortest digits that
    do (Python's and Arrow's), never an exponent, whole numbers without ".0", -0.0 as 0.

    Spreadsheets, pandas and R read "1000000000000" and "0.0000001" back as the numbers they are;
    the exponent forms "1e+12" and "1e-07" look like a changed value, and some readers take them as text.
    """
    if type(value) is int:
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def number_texts(array: pa.Array, decimal_mark: str = ".") -> pa.Array:
    """:func:`number_text` for an Arrow array of numbers, vectorised: Arrow writes the same
    shortest digits, and only its exponent forms (and -0) are rewritten, cell by cell.
    ``decimal_mark`` "," writes 1.5 as "1,5", for spreadsheets where the comma is the decimal mark."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = array.cast(pa.string())
    if not pa.types.is_floating(array.type):
        return text
    odd = pc.fill_null(pc.match_substring_regex(text, "e|^-0$"), False)
    if pc.any(odd).as_py():
        fixed = [number_text(v) for v in pc.filter(array, odd).to_pylist()]
        text = pc.replace_with_mask(text, odd, pa.array(fixed, pa.string()))
    return text if decimal_mark == "." else pc.replace_substring(text, ".", decimal_mark)


def _beyond_excel(value: Any) -> bool:
    """Whether a whole number has more significant digits than Excel keeps (15): it would lose the rest."""
    kind = type(value)
    if not (kind is int or (kind is float and math.isfinite(value) and value.is_integer())) or abs(value) < 1e15:
        return False
    return len(number_text(value).lstrip("-").rstrip("0")) > EXCEL_MAX_DIGITS


def long_numbers_as_text(column: pa.Array | list[Any]) -> tuple[pa.Array | list[Any], int]:
    """Whole numbers Excel would round to 15 digits (an account number, a 2**53 + 1), as text so
    every digit is kept; (the column, how many). A column with any becomes a list (mixed kinds)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(column, list):
        if not is_number_array(column):
            return column, 0
        big = pc.greater_equal(pc.abs(column.cast(pa.float64())), 1e15)
        if not pc.any(big).as_py():
            return column, 0
        column = column.to_pylist()
    changed = 0
    for i, value in enumerate(column):
        if _beyond_excel(value):
            column[i] = number_text(value)
            changed += 1
    return column, changed


def is_number_array(array: Any) -> bool:
    import pyarrow as pa

    return isinstance(array, pa.Array) and (pa.types.is_integer(array.type) or pa.types.is_floating(array.type))


def numeric_column(texts: pa.Array) -> bool:
    """Whether every non-blank text of an input column is a number Excel would write back unchanged."""
    import pyarrow.compute as pc

    filled = pc.fill_null(pc.not_equal(texts, ""), False)
    canonical = pc.match_substring_regex(texts, f"^{_CANONICAL_NUMBER.pattern}$")
    return bool(pc.any(filled).as_py()) and bool(pc.all(pc.or_kleene(pc.invert(filled), canonical)).as_py())


def as_numbers(texts: pa.Array) -> pa.Array:
    """The texts of a :func:`numeric_column` as numbers (blank cells stay empty)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.if_else(pc.equal(texts, ""), pa.scalar(None, texts.type), texts).cast(pa.float64())


def shown(value: Any) -> Any:
    """A coded value as the rows view shows it: yes/no, lists joined by "; ", blanks empty.

    Numbers stay numbers, whole ones as integers (3.0 is written 3).
    """
    kind = type(value)
    if kind is str or kind is int or value is None:  # most values: nothing to do
        return value
    if kind is bool:
        return "yes" if value else "no"
    if kind is float:
        if not math.isfinite(value):
            return str(value)  # NaN or inf: no spreadsheet number
        # Past 2**53 the float stays: int(1e300) would write out the binary value's 301 digits.
        return int(value) if value.is_integer() and abs(value) < _EXACT_WHOLE else value
    if kind is list:
        return "; ".join(str(shown(v)) for v in value)
    return str(value) if kind is dict else value


def fit_for_excel(values: list[Any]) -> tuple[int, int]:
    """Cut texts past Excel's cell limit (with a note at the end) and replace characters XML cannot
    hold with "\ufffd", in place; (cells cut, cells cleaned)."""
    cut = cleaned = 0
    for i, value in enumerate(values):
        if type(value) is not str:
            continue
        if _NOT_IN_XML.search(value):
            value = _NOT_IN_XML.sub("\ufffd", value)
            cleaned += 1
        if len(value) > EXCEL_MAX_CHARS:
            note = _CUT_NOTE.format(len(value))
            value = value[: EXCEL_MAX_CHARS - len(note)] + note
            cut += 1
        values[i] = value
    return cut, cleaned


def fit_array_for_excel(array: pa.Array) -> tuple[pa.Array, int, int]:
    """:func:`fit_for_excel` for an Arrow array of texts, vectorised: (array, cells cut, cells cleaned)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    unsafe = pc.match_substring_regex(array, _NOT_IN_XML_RE2)
    cleaned = pc.sum(unsafe).as_py() or 0
    if cleaned:
        array = pc.replace_substring_regex(array, _NOT_IN_XML_RE2, "\ufffd")
    long = pc.greater(pc.utf8_length(array), EXCEL_MAX_CHARS)
    cut = pc.sum(long).as_py() or 0
    if cut:  # rare: cut in Python, cell by cell
        texts = pc.filter(array, long).to_pylist()
        fit_for_excel(texts)
        array = pc.replace_with_mask(array, long, pa.array(texts, array.type))
    return array, cut, cleaned


def list_separator(locale_name: str | None = None) -> str:
    """The list separator spreadsheets expect in CSV for this locale: ";" where the decimal mark is
    a comma (most of Europe, South America), "," elsewhere.

    ``locale_name`` such as "de_DE"; None reads the user's locale from the environment. Windows keeps
    its own list-separator setting: the window passes that one (``QLocale``) when it knows it.
    """
    return ";" if decimal_mark(locale_name) == "," else ","


def decimal_mark(locale_name: str | None = None) -> str:
    """The decimal mark of a locale: the system's own when it is installed, else from its name."""
    name = locale_name if locale_name is not None else _environment_locale()
    with _locale_lock:  # setlocale is process-wide: switch, read, switch back, one thread at a time
        saved = locale.setlocale(locale.LC_NUMERIC)
        try:
            locale.setlocale(locale.LC_NUMERIC, _with_encoding(name) if name else "")
            mark = locale.localeconv()["decimal_point"]
        except locale.Error:
            mark = ""
        finally:
            locale.setlocale(locale.LC_NUMERIC, saved)
    if mark and name and name.split(".")[0] not in ("C", "POSIX"):
        return mark
    return _decimal_mark_by_name(name)


def _environment_locale() -> str:
    for variable in ("LC_ALL", "LC_NUMERIC", "LANG"):
        if value := os.environ.get(variable):
            return value
    return ""


def _with_encoding(name: str) -> str:
    return name if "." in name or "@" in name else locale.normalize(name)


#: Languages whose usual decimal mark is a comma (CLDR), and places where that language uses a point.
_COMMA_LANGUAGES = frozenset(
    "af az be bg bs ca cs da de el es et eu fi fo fr gl hr hu hy id is it ka kk lt lv mk nb nl nn no pl pt "
    "ro ru sk sl sq sr sv tr uk uz vi".split()
)
_POINT_PLACES = frozenset("de_CH de_LI it_CH es_MX es_US es_PR es_DO es_GT es_HN es_NI es_PA es_SV".split())
_COMMA_PLACES = frozenset({"en_ZA"})


def _decimal_mark_by_name(name: str) -> str:
    """ "," for "de_DE.UTF-8" or "pt_BR", "." for "en_US", "de_CH" or an empty name."""
    place = name.split(".")[0].split("@")[0]
    if place in _POINT_PLACES:
        return "."
    return "," if place in _COMMA_PLACES or place.split("_")[0].lower() in _COMMA_LANGUAGES else "."
