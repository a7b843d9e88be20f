"""The wizard's frame: the row of steps above the page, and Back / Next with the reason below it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

_STEP_STYLE = """
QPushButton[step="true"] { background: transparent; border: none; padding: 6px 14px; border-radius: 14px;
                           color: #374151; font-weight: 600; min-height: 16px; }
QPushButton[step="true"]:hover { background: #e2e7ee; }
QPushButton[step="true"]:disabled { background: transparent; color: #a3abb7; font-weight: normal; }
QPushButton[step="true"][current="true"] { background: #2563eb; color: #ffffff; }
"""


class StepBar(QWidget):
    """“1 Data · 2 Instructions · …”: the current step stands out; steps not yet reachable are greyed."""

    chosen = Signal(int)

    def __init__(self, names: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stepHeader")
        header = QHBoxLayout(self)
        header.setSpacing(2)
        self.buttons: list[QPushButton] = []
        for index, name in enumerate(names):
            if index:
                dot = QLabel("·")
                dot.setAlignment(Qt.AlignmentFlag.AlignCenter)
                dot.setFixedWidth(14)
                header.addWidget(dot)
            button = QPushButton(f"{index + 1}  {name}")
            button.setObjectName(f"step{index + 1}")
            button.setProperty("step", True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(lambda _checked=False, i=index: self.chosen.emit(i))
            header.addWidget(button)
            self.buttons.append(button)
        header.addStretch(1)
        self.setStyleSheet(_STEP_STYLE)

    def show_steps(self, current: int, reachable: int) -> None:
        """Mark step ``current``; every step up to ``reachable`` can be opened."""
        for index, button in enumerate(self.buttons):
            button.setProperty("current", index == current)
            button.setProperty("done", index < reachable)
            button.setEnabled(index <= reachable or index == current)
            button.style().unpolish(button)  # the style sheet reads the properties again
            button.style().polish(button)


class StepFooter(QWidget):
    """Back and Next, and in red what is still missing before Next can be used."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(8)  # as the wizard's own rows
        self.reason_label = QLabel()
        self.reason_label.setObjectName("nextReason")
        self.reason_label.setWordWrap(True)
        self.reason_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.reason_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.row.addWidget(self.reason_label, 1)
        self.back_button = QPushButton("‹ Back")
        self.back_button.setObjectName("back")
        self.next_button = QPushButton("Next ›")
        self.next_button.setObjectName("primaryButton")
        self.next_button.setMinimumWidth(150)
        self.row.addWidget(self.back_button)
        self.row.addWidget(self.next_button)

    def show_problems(self, problems: list[str]) -> None:
        """The first problem in words ("and 2 more"), all of them on hover; nothing when there are none."""
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.reason_label.setText(f"To go on: {problems[0]}{more}")
            self.reason_label.setToolTip("\n".join(problems))
            self.reason_label.setStyleSheet("color: #b3261e;")
        else:
            self.reason_label.setText("")
            self.reason_label.setToolTip("")
            self.reason_label.setStyleSheet("")
