"""The research tabs of the job detail — Hand coding, Validation, Comparison — loaded when first opened.

The job detail only creates this and tells it which job it shows; each tab reads its job's data
the first time it is opened for that job, so opening a job stays as quick as before.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QTabWidget, QWidget

from app.ui.jobs_controller import JobsController
from app.ui.research.comparison_view import ComparisonView
from app.ui.research.hand_coding import HandCodingPanel
from app.ui.research.validation_tab import ValidationTab


class ResearchTabs(QObject):
    """Adds the three tabs to ``tabs`` and keeps them on the job the detail shows."""

    def __init__(self, tabs: QTabWidget, controller: JobsController) -> None:
        super().__init__(tabs)
        self.tabs = tabs
        self.job_id: str | None = None
        self.hand_coding = HandCodingPanel(controller.engine)
        self.validation = ValidationTab(controller.engine)
        self.comparison = ComparisonView(controller)
        tabs.addTab(self.hand_coding, "Hand coding")
        tabs.addTab(self.validation, "Validation")
        tabs.addTab(self.comparison, "Comparison")
        self._loaded: set[QWidget] = set()
        tabs.currentChanged.connect(lambda _: self._load_current())
        self.hand_coding.labels_changed.connect(self._labels_changed)

    def show_job(self, job_id: str) -> None:
        self.job_id = job_id
        self._loaded.clear()
        self._load_current()

    def open(self, widget: QWidget) -> None:
        """Bring one of the research tabs to the front (loading it for the current job)."""
        self.tabs.setCurrentWidget(widget)

    def _load_current(self) -> None:
        widget = self.tabs.currentWidget()
        if self.job_id is None or widget in self._loaded:
            return
        if widget in (self.hand_coding, self.validation, self.comparison):
            self._loaded.add(widget)
            widget.show_job(self.job_id)

    def _labels_changed(self, job_id: str) -> None:
        """New gold labels: the validation is out of date (redone now if it is on screen)."""
        if job_id == self.job_id:
            self._loaded.discard(self.validation)
            self._load_current()
