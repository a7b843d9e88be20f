"""Boxes that put a control and its hints into one cell of a form, as the Model step lays them out."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from app.ui.common import hint


def stacked(*widgets: QWidget) -> QWidget:
    """``widgets`` one below the other, close together (a control, then the hints that explain it)."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(3)
    for widget in widgets:
        column.addWidget(widget)
    return box


def left_aligned(*widgets: QWidget) -> QWidget:
    """``widgets`` side by side at their natural width on the left, rather than stretched across the form."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        row.addWidget(widget)
    row.addStretch(1)
    return box


def explained(text: str, *controls: QWidget) -> QWidget:
    """``controls`` on the left, and below them the hint that says what they do."""
    return stacked(left_aligned(*controls), hint(text))
