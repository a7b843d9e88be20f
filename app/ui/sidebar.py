"""The main window's left column: the app's name, the screens to choose from, and a reassuring note."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.ui.resources import app_icon

PAGES = ("new", "jobs", "settings")
_NAV_LABELS = {"new": "New job", "jobs": "Jobs", "settings": "Settings"}


class Sidebar(QFrame):
    """New job · Jobs · Settings, one of them chosen. Says which screen was chosen (``page_chosen``)
    and leaves showing it to the window."""

    page_chosen = Signal(str)  # "new", "jobs" or "settings"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setFixedWidth(200)
        brand_row = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(28, 28))
        brand = QLabel("BatchLab")
        brand.setObjectName("brand")
        brand_row.addWidget(icon)
        brand_row.addWidget(brand, 1)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        for name in PAGES:
            item = QListWidgetItem(_NAV_LABELS[name])
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setSizeHint(QSize(0, 40))
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(lambda row: self.page_chosen.emit(PAGES[row]))
        note = QLabel("Jobs go on at the provider while BatchLab is closed.")
        note.setObjectName("sidebarNote")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 16, 14, 14)
        layout.setSpacing(14)
        layout.addLayout(brand_row)
        layout.addWidget(self.nav, 1)
        layout.addWidget(note)

    def choose(self, name: str) -> None:
        """Mark screen ``name`` as chosen (``page_chosen`` follows when it was not already)."""
        self.nav.setCurrentRow(PAGES.index(name))
