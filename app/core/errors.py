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
