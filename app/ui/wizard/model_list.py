"""Asking a provider, off the UI thread, which models the person's account can use."""

from __future__ import annotations

import re

from PySide6.QtCore import QObject, Signal

from app.core.build.models import can_code
from app.core.errors import BatchLabError
from app.core.keys import KeyStore
from app.core.run.providers import list_models
from app.ui.common import while_alive
from app.ui.tasks import Task


class ModelListLoader(QObject):
    """Fetches a provider's model list in a Task; only the latest request's answer is passed on.

    A person may switch provider while a list is on its way: that answer no longer fits the page.
    """

    loaded = Signal(list)  # the models that can code texts, of the provider last asked
    failed = Signal(str)  # why the list could not be had, on one line
    finished = Signal()  # either way, the request is over

    def __init__(self, keys: KeyStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.keys = keys
        self._task: Task | None = None
        self._generation = 0

    def load(self, provider: str, base_url: str | None) -> None:
        self._generation += 1
        generation, keys = self._generation, self.keys
        self._task = (
            Task(self, lambda _context: list_models(provider, keys, base_url))
            .on_done(while_alive(self, lambda models: self._arrived(generation, models)))
            .on_error(while_alive(self, lambda error: self._failed(generation, error)))
            .on_finished(while_alive(self, self.finished.emit))
            .start()
        )

    def forget(self) -> None:
        """Drop the answer to any request made so far (the provider changed)."""
        self._generation += 1

    def cancel(self) -> None:
        self.forget()
        if self._task is not None:
            self._task.cancel()

    def _arrived(self, generation: int, models: list[str]) -> None:
        if generation == self._generation:
            # no embedding, speech, image or moderation models
            self.loaded.emit([m for m in models if can_code(m)])

    def _failed(self, generation: int, error: BatchLabError) -> None:
        if generation == self._generation:
            self.failed.emit(re.sub(r"\s+", " ", error.message).strip())
