"""Named points in the lifecycle where tests make a real process crash or pause.

``BATCHLAB_CRASH_AT=name`` kills the process (SIGKILL) there. ``BATCHLAB_PAUSE_AT=name`` with
``BATCHLAB_PAUSE_FILE=path`` writes ``path.reached`` there and waits (at most a minute) until
``path`` exists: a second process can then be started while this one is mid-upload, mid-create
or mid-download. Both do nothing unless the variables are set.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

CRASH_ENV = "BATCHLAB_CRASH_AT"
PAUSE_ENV = "BATCHLAB_PAUSE_AT"
PAUSE_FILE_ENV = "BATCHLAB_PAUSE_FILE"
_LONGEST_PAUSE = 60.0


def checkpoint(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(PAUSE_ENV) == name and os.environ.get(PAUSE_FILE_ENV):
        release = Path(os.environ[PAUSE_FILE_ENV])
        Path(f"{release}.reached").touch()
        deadline = time.monotonic() + _LONGEST_PAUSE
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
