"""One writer per job, across threads and processes: a lock row per job in the job history.

Whoever advances, prepares, retries or deletes a job first takes its lock; everyone else only
reads. The lock lives in the same SQLite database as the job (taken in one ``BEGIN IMMEDIATE``
transaction, so two processes cannot both win), and names its holder by process id, host and
time. A lock whose process is gone (a crash, a kill) — or has been held for longer than any step
takes — is stale and taken over, so a crash never leaves a job stuck.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import JobBusyError
from app.core.run.store import Store

#: A lock older than this is stale even if its process id is alive (the id was reused, or it hangs).
#: The longest step holding a lock is one upload or download of a batch file (at most 200–256 MB).
STALE_AFTER = 6 * 3600.0
_HOST = socket.gethostname()


@dataclass(frozen=True)
class Holder:
    """Who holds a job's lock."""

    pid: int
    host: str
    acquired_at: float

    def describe(self) -> str:
        where = "" if self.host == _HOST else f" on {self.host}"
        return f"another BatchLab process (id {self.pid}{where}) is working on this job"


def process_alive(pid: int, since: float) -> bool:
    """Whether process ``pid`` still runs and started before ``since`` (so it is the lock's taker)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    except OSError:  # pragma: no cover - platforms without signal 0 (Windows): trust the time limit
        return True
    started = _start_time(pid)
    return started is None or started <= since + 1.0


def _start_time(pid: int) -> float | None:
    """A process's start time (Linux ``/proc``), to tell a reused process id from the original."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        ticks = int(fields[19])
        boot = next(
            float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
        )
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


class JobLocks:
    """Take and release job locks in a store; a token per taking, so threads of one process exclude each other too."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _stale(self, pid: int, host: str, acquired_at: float) -> bool:
        if time.time() - acquired_at > STALE_AFTER:
            return True
        return host == _HOST and not process_alive(pid, acquired_at)

    def claim(self) -> tuple[str, int, str, float]:
        """A fresh lock value (owner token, pid, host, time), e.g. for a job created already locked."""
        return uuid.uuid4().hex, os.getpid(), _HOST, time.time()

    def acquire(self, job_id: str) -> str | None:
        """The lock's token, or None while another live holder has it (a stale lock is taken over)."""
        claim = self.claim()
        with self.store.transaction() as db:
            row = db.execute("SELECT pid, host, acquired_at FROM locks WHERE job_id = ?", (job_id,)).fetchone()
            if row is not None and not self._stale(*row):
                return None
            db.execute("INSERT OR REPLACE INTO locks VALUES (?, ?, ?, ?, ?)", (job_id, *claim))
        return claim[0]

    def release(self, job_id: str, token: str) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM locks WHERE job_id = ? AND owner = ?", (job_id, token))

    def holder(self, job_id: str) -> Holder | None:
        """The live holder of a job's lock, if any."""
        row = self.store.query_one("SELECT pid, host, acquired_at FROM locks WHERE job_id = ?", (job_id,))
        if row is None or self._stale(*row):
            return None
        return Holder(*row)

    @contextmanager
    def held(self, job_id: str) -> Iterator[str]:
        """Hold the lock for a block; :class:`JobBusyError` if someone else has it."""
        token = self.acquire(job_id)
        if token is None:
            holder = self.holder(job_id)
            what = holder.describe() if holder else "another BatchLab process is working on this job"
            raise JobBusyError(f"Not now: {what}.", "Try again when it has finished its step (usually seconds).")
        try:
            yield token
        finally:
            self.release(job_id, token)
