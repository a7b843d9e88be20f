"""Files shipped with the app (icon, sample project), in one place both the window and the start-up use."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from app.core.paths import resources_dir

RESOURCES = resources_dir()  # inside the package when installed from a wheel, beside it in a checkout
SAMPLE_SPEC = RESOURCES / "sample" / "reviews-demo.json"


def app_icon() -> QIcon:
    return QIcon(str(RESOURCES / "icon.svg"))
