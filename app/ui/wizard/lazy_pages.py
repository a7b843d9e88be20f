"""A stack of pages each built the first time it is needed, so a window shows before all of them exist."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QStackedWidget, QWidget


class LazyPages(QStackedWidget):
    """Pages made by ``make(index)`` when first shown, filled or read; a placeholder holds the place before."""

    #: A page was just built (index, page): connect to it here.
    built_page = Signal(int, QWidget)

    def __init__(self, pages: list[QWidget | None], make: Callable[[int], QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pages = list(pages)
        self._make = make
        for page in self._pages:
            self.addWidget(page or QWidget())

    def built(self, index: int) -> bool:
        """Whether page ``index`` exists yet (one never built has nothing to reset or stop)."""
        return self._pages[index] is not None

    def page(self, index: int) -> QWidget:
        """Page ``index``, built now if this is the first time it is needed."""
        page = self._pages[index]
        if page is None:
            page = self._pages[index] = self._make(index)
            placeholder = self.widget(index)
            self.insertWidget(index, page)
            self.removeWidget(placeholder)
            placeholder.deleteLater()
            self.built_page.emit(index, page)
        return page

    def build_next(self) -> bool:
        """Build the first page not built yet; False when every page is built."""
        index = next((i for i, page in enumerate(self._pages) if page is None), None)
        if index is not None:
            self.page(index)
        return index is not None
