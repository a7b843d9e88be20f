"""The research tabs of the job detail — Hand coding, Validation, Comparison — built and loaded when first opened.

The job detail only creates this and tells it which job it shows. Each tab is an empty
placeholder until it is first opened (or asked for), so opening a job imports none of the research
modules (scikit-learn, SciPy, matplotlib); each tab then reads its job's data the first time it is
shown for that job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QTabWidget, QWidget

from app.ui.jobs_controller import JobsController

if TYPE_CHECKING:
    from app.ui.research.comparison_view import ComparisonView
    from app.ui.research.hand_coding import HandCodingPanel
    from app.ui.research.validation_tab import ValidationTab

HAND_CODING, VALIDATION, COMPARISON = "Hand coding", "Validation", "Comparison"


class ResearchTabs(QObject):
    """Adds the three tabs to ``tabs`` and keeps them on the job the detail shows."""

    def __init__(self, tabs: QTabWidget, controller: JobsController) -> None:
        super().__init__(tabs)
        self.tabs = tabs
        self.controller = controller
        self.job_id: str | None = None
        self._built: dict[str, QWidget] = {}
        self._label_of: dict[QWidget, str] = {}  # each research tab's page, built or a placeholder
        for label in (HAND_CODING, VALIDATION, COMPARISON):
            placeholder = QWidget()
            self._label_of[placeholder] = label
            tabs.addTab(placeholder, label)
        self._loaded: set[QWidget] = set()
        tabs.currentChanged.connect(lambda _: self._load_current())

    @property
    def hand_coding(self) -> HandCodingPanel:
        return cast("HandCodingPanel", self.tab(HAND_CODING))

    @property
    def validation(self) -> ValidationTab:
        return cast("ValidationTab", self.tab(VALIDATION))

    @property
    def comparison(self) -> ComparisonView:
        return cast("ComparisonView", self.tab(COMPARISON))

    def tab(self, label: str) -> QWidget:
        """The tab called ``label``, built in place of its placeholder the first time it is needed."""
        widget = self._built.get(label)
        if widget is None:
            widget = self._built[label] = self._new_tab(label)
            placeholder = next(page for page, name in self._label_of.items() if name == label)
            del self._label_of[placeholder]
            self._label_of[widget] = label
            index = self.tabs.indexOf(placeholder)
            current = self.tabs.currentIndex()
            self.tabs.blockSignals(True)  # the same tab stays current: nothing changed for listeners
            self.tabs.insertTab(index, widget, label)
            self.tabs.removeTab(index + 1)
            self.tabs.setCurrentIndex(current)
            self.tabs.blockSignals(False)
            placeholder.deleteLater()
        return widget

    def _new_tab(self, label: str) -> QWidget:
        if label == HAND_CODING:
            from app.ui.research.hand_coding import HandCodingPanel

            panel = HandCodingPanel(self.controller.engine)
            panel.labels_changed.connect(self._labels_changed)
            return panel
        if label == VALIDATION:
            from app.ui.research.validation_tab import ValidationTab

            return ValidationTab(self.controller.engine)
        from app.ui.research.comparison_view import ComparisonView

        return ComparisonView(self.controller)

    def show_job(self, job_id: str) -> None:
        self.job_id = job_id
        self._loaded.clear()
        self._load_current()

    def open(self, widget: QWidget) -> None:
        """Bring one of the research tabs to the front (loading it for the current job)."""
        self.tabs.setCurrentWidget(widget)

    def _load_current(self) -> None:
        label = self._label_of.get(self.tabs.currentWidget())
        if label is None:  # Rows, Settings or Activity
            return
        widget = self.tab(label)
        if self.job_id is not None and widget not in self._loaded:
            self._loaded.add(widget)
            widget.show_job(self.job_id)  # type: ignore[attr-defined]

    def _labels_changed(self, job_id: str) -> None:
        """New gold labels: the validation is out of date (redone now if it is on screen)."""
        if job_id == self.job_id and VALIDATION in self._built:
            self._loaded.discard(self.validation)
            self._load_current()
