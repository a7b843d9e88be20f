"""Every preference BatchLab keeps, declared once with its type and default, over QSettings.

Screens never read QSettings keys by hand: they read and write a :class:`Preference`, so a key,
its type and its default live in one place and the Settings page can build its form from
:data:`SHOWN`. API keys are not preferences: they live in the key store (app.core.keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

ORGANISATION = "BatchLab"
APPLICATION = "BatchLab"


def settings() -> QSettings:
    """BatchLab's settings store, named explicitly so it needs no application object.

    It follows ``QSettings.setDefaultFormat``/``setPath`` (the constructor taking only names would
    always use the native store), so tests and screenshots can point it at a temporary folder.
    """
    return QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANISATION, APPLICATION)


@dataclass(frozen=True)
class Preference:
    """One setting: where it is stored, what type it has, and what it is without a saved value."""

    key: str
    kind: type
    default: Any
    label: str = ""
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    suffix: str = ""
    folder: bool = False  # a text preference that names a folder (the form offers "Choose…")

    def get(self) -> Any:
        """The saved value, or the default when none is saved or the saved one is unusable."""
        store = settings()
        if not store.contains(self.key):
            return self.default
        try:
            value = store.value(self.key, self.default, type=self.kind)
        except (TypeError, ValueError):
            return self.default
        if value is None:
            return self.default
        if self.minimum is not None and value < self.minimum:
            return self.minimum
        if self.maximum is not None and value > self.maximum:
            return self.maximum
        return value

    def set(self, value: Any) -> None:
        settings().setValue(self.key, value)


DEFAULT_FOLDER = Preference(
    "files/default_folder",
    str,
    str(Path.home()),
    "Default folder",
    "Where open and save dialogs start.",
    folder=True,
)
POLL_SECONDS = Preference(
    "jobs/poll_seconds",
    float,
    30.0,
    "Check running jobs at most every",
    "BatchLab asks the provider more often right after submitting, then slows down to this.",
    minimum=0.1,
    maximum=3600.0,
    suffix=" seconds",
)
NOTIFY_WHEN_DONE = Preference(
    "jobs/notify_when_done",
    bool,
    True,
    "Tell me when a job ends",
    "A desktop notification where the system offers one, otherwise a note in the status bar.",
)
EXCEL_BOM = Preference(
    "export/excel_bom",
    bool,
    True,
    "Prepare CSV exports for Excel",
    "Adds a UTF-8 mark at the start of the file so Excel shows accents and other letters correctly.",
)
COMPATIBLE_URL = Preference("providers/compatible_base_url", str, "")
RECENT_SPECS = Preference("files/recent_specs", list, [])
WINDOW_GEOMETRY = Preference("window/geometry", QByteArray, QByteArray())

#: What the Settings page shows, in order (the others are kept by the screens themselves).
SHOWN: tuple[Preference, ...] = (DEFAULT_FOLDER, POLL_SECONDS, NOTIFY_WHEN_DONE, EXCEL_BOM)
