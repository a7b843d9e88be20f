"""Plain-words pieces shared by the data messages: row lists, counts, column lists."""

from __future__ import annotations

from collections.abc import Sequence


def rows_text(rows: Sequence[int], limit: int = 10) -> str:
    """ "row 4", "rows 4 and 9", "rows 2, 3, … 11 and 40 more" (no thousands separators: commas separate)."""
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = [str(r) for r in rows[:limit]]
    if len(rows) > limit:
        shown.append(f"{len(rows) - limit} more")
    return "rows " + and_list(shown)


def and_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def short(value: str, limit: int = 40) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def missing_columns_text(missing: Sequence[str], available: Sequence[str]) -> str:
    names = and_list([f'"{c}"' for c in missing])
    what = f"no column named {names}" if len(missing) == 1 else f"no columns named {names}"
    shown = [f'"{c}"' for c in available[:30]]
    if len(available) > 30:
        shown.append(f"{len(available) - 30} more")
    return f"The data file has {what}. Its columns are: {and_list(shown)}."


def column_letter(index: int) -> str:
    """Excel's letter for a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
