"""Files shipped with the app (icon, sample project), in one place both the window and the start-up use."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
SAMPLE_SPEC = RESOURCES / "sample" / "reviews-demo.json"


def app_icon() -> QIcon:
    return QIcon(str(RESOURCES / "icon.svg"))
