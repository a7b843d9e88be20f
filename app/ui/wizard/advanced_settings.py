"""The Model step's folded-away settings: for now, which OpenAI interface the batch uses."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QToolButton, QVBoxLayout, QWidget

from app.ui.wizard.form_boxes import explained

ENDPOINT_CHOICES = (
    ("chat", "Chat Completions (works with every OpenAI model)"),
    ("responses", "Responses (OpenAI's newer interface)"),
)


class AdvancedSettings(QWidget):
    """An "Advanced settings" toggle and the group it opens, closed by default: few people need it."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton()
        self.toggle.setText("Advanced settings")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.toggled.connect(self._toggled)
        self.group = QGroupBox()
        form = QFormLayout(self.group)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.endpoint_combo = QComboBox()
        self.endpoint_combo.setObjectName("endpoint")
        for key, label in ENDPOINT_CHOICES:
            self.endpoint_combo.addItem(label, key)
        self.endpoint_combo.currentIndexChanged.connect(self.changed)
        endpoint_box = explained(
            "Which OpenAI interface the batch uses. Both give the same answers; keep Chat Completions "
            "unless you have a reason to change it.",
            self.endpoint_combo,
        )
        form.addRow("OpenAI endpoint:", endpoint_box)
        self.group.setVisible(False)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)  # the page's own spacing: toggle and group sit as if in its column
        column.addWidget(self.toggle)
        column.addWidget(self.group)

    def endpoint(self) -> str:
        return self.endpoint_combo.currentData()

    def show_endpoint(self, endpoint: str) -> None:
        """Choose ``endpoint``, opening the settings where it is not the default."""
        self.endpoint_combo.setCurrentIndex(max(self.endpoint_combo.findData(endpoint), 0))
        if endpoint != "chat":
            self.toggle.setChecked(True)

    def collapse(self) -> None:
        self.toggle.setChecked(False)

    def _toggled(self, shown: bool) -> None:
        self.group.setVisible(shown)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
