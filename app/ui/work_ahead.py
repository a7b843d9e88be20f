"""What the window does ahead of need, in its quiet moments after start-up.

The window shows with only New job's first step built. Once the first job list is in, and each
time the wizard has no background work (building a screen while a file loads or is checked holds
the window three times as long), one more piece is done per turn of the event loop:

1. the Jobs view (unless a running job already showed it);
2. the wizard's other steps, one at a time;
3. then what start-up imported and built is kept out of Python's cycle collection (``gc.freeze``:
   a full pass while a job's results are read takes a few ms instead of ~60 ms of the process);
4. the OpenAI SDK is imported in the background, and kept out too;
5. the token counter of the model the wizard shows is made in the background.

Without it each of these would be done on the click that first needs it, holding the window.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from app.ui.jobs_controller import JobsController
from app.ui.wizard.wizard import NewJobWizard

#: How often to look again whether the wizard's background work is over.
QUIET_RETRY_MS = 250


class WorkAhead(QObject):
    """Runs the steps above, each once the wizard is quiet; ``build_jobs_view`` makes the Jobs view."""

    def __init__(self, controller: JobsController, wizard: NewJobWizard, build_jobs_view: Callable[[], object]) -> None:
        super().__init__(wizard)
        self.controller, self.wizard = controller, wizard
        self._build_jobs_view = build_jobs_view
        controller.providers_loaded.connect(self._providers_loaded)

    def start(self, jobs_view_too: bool) -> None:
        """Begin (the first job list is in); ``jobs_view_too``: the Jobs view is not shown already."""
        if jobs_view_too:
            self._when_quiet(self._build_jobs_view)
        self._when_quiet(self._build_next_step)

    def _when_quiet(self, work: Callable[[], object]) -> None:
        if self.wizard.is_busy():
            QTimer.singleShot(QUIET_RETRY_MS, self, lambda: self._when_quiet(work))
        else:
            QTimer.singleShot(0, self, work)

    def _build_next_step(self) -> None:
        if self.wizard.build_next_page():
            self._when_quiet(self._build_next_step)
        else:  # start-up is over: what was imported and built lives as long as the app
            gc.freeze()
            self.controller.preload_providers()

    def _providers_loaded(self) -> None:
        gc.freeze()
        self.wizard.warm_up()
