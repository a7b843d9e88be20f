"""Opening a person's file: does it exist, is it a kind BatchLab reads, may it be opened."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from app.core.errors import DataError

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")


def check_file(path: Path) -> str:
    """The file's (lower-case) suffix, once it is known to exist and to be of a supported kind."""
    if path.is_dir():
        raise DataError(f'"{path}" is a folder, not a file.', "Choose the data file inside it.")
    if not path.exists():
        raise DataError(
            f'The file "{path}" was not found.',
            "Check that it has not been moved, renamed or deleted, and choose it again.",
        )
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f'"{suffix}" files' if suffix else "files without an extension such as .csv"
        raise DataError(
            f'BatchLab cannot read {kind} ("{path.name}").',
            f"Save your data as CSV or as an Excel workbook (.xlsx) and choose that file. "
            f"BatchLab reads: {', '.join(SUPPORTED_SUFFIXES)}.",
        )
    return suffix


def open_binary(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except PermissionError:
        raise DataError(
            f'BatchLab is not allowed to open "{path.name}".',
            "If the file is open in Excel or another program, close it there and try again.",
        ) from None
    except OSError as exc:
        raise DataError(
            f'"{path.name}" could not be opened: {exc.strerror}.', "Copy it to a local folder and try again."
        ) from None


def not_text(path: Path) -> DataError:
    return DataError(
        f'"{path.name}" is not a spreadsheet or a table of text (it holds binary data).',
        "Choose a CSV, TSV or Excel file, or export your data as CSV from the program that made it.",
    )
