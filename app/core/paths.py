"""Where BatchLab keeps its data (job history, job folders, settings) and checks on where it writes.

``BATCHLAB_HOME`` overrides the folder everywhere (tests, servers, portable installs);
otherwise it is the platform's per-user data folder. A relative ``BATCHLAB_HOME`` is made
absolute at once: job folders record their paths, and those must not depend on where a later
command happens to start.

The ``check_*`` functions run before anything is written, so a wrong output path ends in one
plain message instead of a half-written folder or a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.core.errors import StorageError

HOME_ENV = "BATCHLAB_HOME"
_HOME_HINT = f"Set {HOME_ENV} to a folder you can write to, or unset it to use the standard data folder."


def data_home() -> Path:
    """The app's data folder (absolute), created on first use; a plain error when it cannot be."""
    override = os.environ.get(HOME_ENV)
    if override:
        home = Path(override).expanduser().resolve()
        what = f"the data folder ({HOME_ENV})"
    else:
        from platformdirs import user_data_dir

        home = Path(user_data_dir("BatchLab", appauthor=False))
        what = "the data folder"
    if home.exists() and not home.is_dir():
        raise StorageError(f"Cannot use {what} {home}: it is a file, not a folder.", _HOME_HINT)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError.from_os_error(exc, f"create {what}", _HOME_HINT) from None
    if not _writable(home):
        raise StorageError(f"Cannot use {what} {home}: BatchLab may not write there.", _HOME_HINT)
    return home


def jobs_dir() -> Path:
    """Folder holding one sub-folder per job."""
    path = data_home() / "jobs"
    try:
        path.mkdir(exist_ok=True)
    except OSError as exc:
        raise StorageError.from_os_error(exc, "create the jobs folder", _HOME_HINT) from None
    return path


def database_path() -> Path:
    """The SQLite job history."""
    return data_home() / "batchlab.sqlite3"


def resources_dir() -> Path:
    """The shipped icon and sample project: ``app/resources`` in an installed package, the
    checkout's top-level ``resources/`` otherwise (an editable install, a PyInstaller bundle)."""
    package = Path(__file__).resolve().parents[1] / "resources"
    return package if package.is_dir() else Path(__file__).resolve().parents[2] / "resources"


def check_output_file(path: Path, what: str = "the output file") -> Path:
    """Make sure ``path`` can be written as a file (its folder is created later by the writer)."""
    path = Path(path).expanduser().absolute()
    if path.is_dir():
        raise StorageError(
            f"Cannot write {what} {path}: it is a folder.", "Give a file name, for example coded.csv inside that folder."
        )
    _check_can_create(path.parent, f"write {what} {path}")
    return path


def check_output_folder(path: Path, what: str = "the output folder") -> Path:
    """Make sure ``path`` is, or can become, a folder BatchLab may write into."""
    path = Path(path).expanduser().absolute()
    if path.exists() and not path.is_dir():
        raise StorageError(f"Cannot use {what} {path}: it is a file, not a folder.", "Give the name of a folder.")
    _check_can_create(path, f"write into {what} {path}")
    return path


def _check_can_create(folder: Path, doing: str) -> None:
    """``folder`` exists and is writable, or can be created below its nearest existing parent."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise StorageError(f"Cannot {doing}: {existing} is a file, not a folder.")
    if not _writable(existing):
        raise StorageError(f"Cannot {doing}: BatchLab may not write in {existing}.", "Choose a folder you can write to.")


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)
