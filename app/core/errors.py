"""Error types whose messages are written for the person using BatchLab.

Every error the core raises on purpose is a :class:`BatchLabError`: its ``message`` says what
went wrong in plain words and its ``hint`` what to do next. The GUI shows both in a dialog and
the command line prints them; neither ever shows a traceback for these.
"""

from __future__ import annotations


class BatchLabError(Exception):
    """Base of every error meant to be shown to a user."""

    title = "Something went wrong"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class SpecError(BatchLabError):
    """A job spec with one or more problems; ``problems`` lists every one of them."""

    title = "The job settings need fixing"

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = list(problems)
        where = f" in {source}" if source else ""
        count = len(self.problems)
        head = f"Found {count} problem{'s' if count != 1 else ''}{where}:"
        body = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{head}\n{body}", "Fix these and try again.")


class DataError(BatchLabError):
    """The data file cannot be read or used."""

    title = "The data file cannot be used"


class ProviderError(BatchLabError):
    """The provider refused or failed a call (after the SDK's own retries).

    ``temporary`` errors (no connection, rate limits, server errors) are retried later by the
    engine; the others need the person to change something.
    """

    title = "The provider reported a problem"

    def __init__(self, message: str, hint: str = "", temporary: bool = False) -> None:
        super().__init__(message, hint)
        self.temporary = temporary


class KeyMissingError(BatchLabError):
    """No API key is set for a provider that needs one."""

    title = "An API key is needed"


class KeyRejectedError(KeyMissingError):
    """The provider answered that the API key is wrong or not allowed."""

    title = "The API key was not accepted"


class JobError(BatchLabError):
    """An action does not fit the job's current state (or the job does not exist)."""

    title = "This cannot be done with this job"


class CancelledError(BatchLabError):
    """Long work stopped because the person asked it to."""

    title = "Stopped"

    def __init__(self, message: str = "Stopped on request.") -> None:
        super().__init__(message)


class JobBusyError(JobError):
    """Another BatchLab process (or window) is working on this job right now."""

    title = "This job is busy"


class AdoptionError(JobError):
    """After a restart BatchLab cannot prove which provider batch belongs to a job, so it will not guess."""

    title = "BatchLab needs to know which batch is this job's"


class StorageError(BatchLabError):
    """A file or folder BatchLab needs cannot be read or written (no permission, a file where a
    folder should be, a full or read-only disk). Build it with :meth:`from_os_error`, so the
    message names the path and the reason in words, never an errno or an exception name."""

    title = "A file or folder cannot be used"

    _REASONS = {
        "EACCES": "permission denied",
        "EPERM": "permission denied",
        "EROFS": "the disk is read-only",
        "ENOSPC": "the disk is full",
        "EDQUOT": "the disk quota is used up",
        "EISDIR": "it is a folder",
        "ENOTDIR": "part of that path is a file, not a folder",
        "EEXIST": "a file of that name is in the way",
        "ENOENT": "it does not exist",
        "ENAMETOOLONG": "the name is too long",
        "EBUSY": "it is in use by another program",
    }

    @classmethod
    def reason(cls, exc: OSError) -> str:
        """Why the system refused, in words."""
        import errno

        return cls._REASONS.get(errno.errorcode.get(exc.errno or 0, ""), exc.strerror or "the system refused")

    @classmethod
    def from_os_error(cls, exc: OSError, doing: str, hint: str = "") -> StorageError:
        """``doing`` completes "Cannot …", e.g. "write the export file"."""
        where = f" {exc.filename}" if exc.filename else ""
        return cls(f"Cannot {doing}{where}: {cls.reason(exc)}.", hint)


class JobHistoryError(BatchLabError):
    """The job history database cannot be opened: damaged, not a BatchLab database, or held by
    another process for longer than BatchLab waits."""

    title = "The job history cannot be opened"


class GoldFileError(BatchLabError):
    """A file of hand-coded (gold) labels that cannot be used; ``problems`` lists every one, with row numbers."""

    title = "The hand-coded labels cannot be used"
    _SHOWN = 50

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = list(problems)
        where = f" in {source}" if source else ""
        count = len(self.problems)
        lines = [f"  - {p}" for p in self.problems[: self._SHOWN]]
        if count > self._SHOWN:
            lines.append(f"  … and {count - self._SHOWN:,} more.")
        head = f"Found {count} problem{'s' if count != 1 else ''}{where}:"
        super().__init__("\n".join([head, *lines]), "Fix the file (or map its columns to the fields) and import it again.")


class ProviderBusyError(ProviderError):
    """The provider asked BatchLab to wait longer than a blocking call should (``retry_after`` seconds)."""

    title = "The provider asked to wait"

    def __init__(self, message: str, hint: str = "", retry_after: float = 60.0) -> None:
        super().__init__(message, hint, temporary=True)
        self.retry_after = retry_after


class ImportFileError(BatchLabError):
    """A replication package or a provider's results file that cannot be imported."""

    title = "This file cannot be imported"


class UsageError(BatchLabError):
    """A command-line option or output file name that cannot be used."""

    title = "This cannot be done as asked"
