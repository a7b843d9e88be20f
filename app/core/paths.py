"""Where BatchLab keeps its data: the job history, job folders and settings.

``BATCHLAB_HOME`` overrides the folder everywhere (tests, servers, portable installs);
otherwise it is the platform's per-user data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

HOME_ENV = "BATCHLAB_HOME"


def data_home() -> Path:
    """The app's data folder, created on first use."""
    override = os.environ.get(HOME_ENV)
    home = Path(override).expanduser() if override else Path(user_data_dir("BatchLab", appauthor=False))
    home.mkdir(parents=True, exist_ok=True)
    return home


def jobs_dir() -> Path:
    """Folder holding one sub-folder per job."""
    path = data_home() / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_path() -> Path:
    """The SQLite job history."""
    return data_home() / "batchlab.sqlite3"
