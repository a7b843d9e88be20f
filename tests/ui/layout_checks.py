"""What "looks right" means for a screen, as properties of its laid-out widgets.

A control squeezed below its minimum size hint has its text cut or drawn over its neighbour's; two
controls whose rectangles cross are drawn over each other; a control reaching past its parent's
edge is cut off. Widgets inside a scroll area may lie outside what is in view (that is what
scrolling is for), but never squeezed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QScrollArea,
    QScrollBar,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QWidget,
)

#: Controls that lay out their own parts (a spin box's text box, a tab bar's scroll arrows): not looked into.
_WHOLE = (QAbstractSpinBox, QComboBox, QTabBar)
_DIRECT = Qt.FindChildOption.FindDirectChildrenOnly


def needed_height(widget: QWidget) -> int:
    """The least height ``widget`` can show its content in at its current width: what a layout gives
    it when there is room enough (Qt's own rule, qSmartMinSize), a wrapped label's lines at its width."""
    policy = widget.sizePolicy().verticalPolicy()
    if policy == QSizePolicy.Policy.Ignored:
        return 0  # it was told it may be squeezed
    if widget.minimumHeight() > 0:
        return widget.minimumHeight()
    if isinstance(widget, QLabel) and not widget.text() and widget.pixmap().isNull():
        return 0  # nothing to show
    if widget.hasHeightForWidth() and (wanted := widget.heightForWidth(widget.width())) > 0:
        return wanted
    hint = widget.minimumSizeHint().height()
    if not policy.value & QSizePolicy.PolicyFlag.ShrinkFlag.value:
        hint = max(hint, widget.sizeHint().height())
    return min(hint, widget.maximumHeight())


def shown_controls(root: QWidget) -> list[QWidget]:
    """Every widget shown under ``root``, except scroll bars and the insides of controls that lay
    out their own parts: tables and text boxes (which draw their cells themselves), spin boxes, combos."""
    found: list[QWidget] = []

    def walk(widget: QWidget) -> None:
        for child in widget.findChildren(QWidget, options=_DIRECT):
            if child.isWindow() or not child.isVisibleTo(root) or isinstance(child, QScrollBar):
                continue
            found.append(child)
            if isinstance(child, _WHOLE) or (isinstance(child, QAbstractScrollArea) and not _is_scroll_page(child)):
                continue
            walk(child)

    walk(root)
    return found


def squeezed(root: QWidget) -> list[str]:
    """The controls under ``root`` given less height than they need, described for a failure message.

    Only controls are measured, not the boxes that hold them: a box's minimum counts every page of a
    stack in it, the hidden ones too, and a squeezed box squeezes (or spills) its controls anyway."""
    return [
        f"{_name(w)}: {w.height()} px high, needs {needed_height(w)}"
        for w in shown_controls(root)
        if _is_control(w) and w.height() < needed_height(w)
    ]


def cut_short(root: QWidget) -> list[str]:
    """Shown buttons and one-line labels narrower than their text: a button's text is drawn elided
    ("Duplic…ew job"), a label's simply cut off at its edge."""
    return [
        f"{_name(w)}: {w.width()} px wide, needs {w.sizeHint().width()}"
        for w in shown_controls(root)
        if _one_line(w) and w.width() < w.sizeHint().width()
    ]


def _one_line(widget: QWidget) -> bool:
    """A button, or a label of text that does not wrap (a picture is scaled, not cut)."""
    if isinstance(widget, QAbstractButton):
        return True
    return isinstance(widget, QLabel) and not widget.wordWrap() and widget.pixmap().isNull() and bool(widget.text())


def overlapping(root: QWidget) -> list[str]:
    """Pairs of shown sibling controls drawn over each other, and controls reaching past their parent."""
    found: list[str] = []
    for parent in [root, *shown_controls(root)]:
        if isinstance(parent, QStackedWidget):
            continue  # only one page shows
        children = [c for c in parent.findChildren(QWidget, options=_DIRECT) if c in _laid_out(parent)]
        for index, child in enumerate(children):
            if not child.isVisibleTo(root):
                continue
            if not parent.rect().contains(child.geometry()) and not _is_scroll_page(parent.parentWidget()):
                found.append(f"{_name(child)} reaches past {_name(parent)}: {child.geometry()} in {parent.rect()}")
            for other in children[index + 1 :]:
                if other.isVisibleTo(root) and child.geometry().intersects(other.geometry()):
                    found.append(f"{_name(child)} {child.geometry()} overlaps {_name(other)} {other.geometry()}")
    return found


def layout_problems(root: QWidget) -> list[str]:
    """Everything :func:`squeezed`, :func:`cut_short` and :func:`overlapping` find."""
    return squeezed(root) + cut_short(root) + overlapping(root)


def _is_control(widget: QWidget) -> bool:
    """A widget that shows something itself rather than holding other widgets in a layout."""
    if isinstance(widget, (QSplitter, QTabWidget)):
        return False  # boxes that place their widgets without a layout
    return widget.layout() is None or isinstance(widget, (*_WHOLE, QAbstractScrollArea))


def _laid_out(parent: QWidget) -> set[QWidget]:
    """The widgets ``parent``'s layout (and the layouts in it) place: the ones that must not overlap."""
    placed: set[QWidget] = set()
    layouts = [parent.layout()] if parent.layout() is not None else []
    while layouts:
        layout = layouts.pop()
        for index in range(layout.count()):
            item = layout.itemAt(index)
            if item.widget() is not None:
                placed.add(item.widget())
            elif item.layout() is not None:
                layouts.append(item.layout())
    return placed


def _is_scroll_page(widget: QWidget | None) -> bool:
    """Whether ``widget`` is a scroll area whose page may be larger than what is in view."""
    return isinstance(widget, QScrollArea)


def _name(widget: QWidget) -> str:
    text = getattr(widget, "text", None)
    shown = text()[:40] if callable(text) else ""
    return f"{type(widget).__name__}({widget.objectName() or shown!r})"

