"""What this machine lacks for the window: the system libraries Qt loads, checked before Qt starts.

Qt's own message when a library is missing names one guess (``xcb-cursor0``) and aborts the
process (exit 134), often while a different library is the one really missing. Asking the
dynamic linker (``ldd``) which libraries the chosen Qt platform plugin cannot find names every
missing one; each is mapped to the Debian/Ubuntu package that installs it. No Qt import here.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: Libraries Qt opens at run time rather than linking them, so ``ldd`` does not list them.
_LOADED_AT_RUN_TIME = {"xcb": ("xcb-cursor",)}
#: Library names whose Debian package does not follow the usual soname rule.
_PACKAGES = {"libglib-2.0": "libglib2.0-0", "libgl": "libgl1", "libegl": "libegl1", "libopengl": "libopengl0"}


@dataclass(frozen=True)
class MissingLibraries:
    """System libraries the window needs and cannot find, with the packages that provide them."""

    platform: str
    libraries: tuple[str, ...]
    packages: tuple[str, ...]

    def message(self) -> str:
        return (
            f"BatchLab's window cannot start: Qt's {self.platform} display support needs system libraries "
            f"that are missing: {', '.join(self.libraries)}."
        )

    def hint(self) -> str:
        command = f"sudo apt-get install {' '.join(self.packages)}"
        return (
            f"On Debian or Ubuntu, install them with:\n  {command}\n"
            "(Other systems: install the packages that provide these libraries.) "
            "The command line works without them: python -m app --help."
        )


def qt_platform() -> str:
    """The Qt platform plugin the window will use: QT_QPA_PLATFORM's first choice, else xcb."""
    chosen = os.environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    return chosen or "xcb"


def missing_qt_libraries(platform: str | None = None) -> MissingLibraries | None:
    """The system libraries Qt's platform plugin needs and cannot load (Linux only), or None."""
    if not sys.platform.startswith("linux"):
        return None
    platform = platform or qt_platform()
    plugin = _qt_plugin(platform)
    missing = _not_found_by_linker(plugin) if plugin else []
    for name in _LOADED_AT_RUN_TIME.get(platform, ()):
        if ctypes.util.find_library(name) is None:
            missing.append(f"lib{name}.so.0")
    if not missing:
        return None
    missing = list(dict.fromkeys(missing))
    return MissingLibraries(platform, tuple(missing), tuple(dict.fromkeys(debian_package(m) for m in missing)))


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package of a library: ``libxcb-icccm.so.4`` → ``libxcb-icccm4``."""
    match = re.match(r"^(lib[\w.+-]*?)\.so\.(\d+)", soname)
    if not match:
        return soname
    name, major = match.group(1).lower(), match.group(2)
    if name in _PACKAGES:
        return _PACKAGES[name]
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def _qt_plugin(platform: str) -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(list(spec.submodule_search_locations)[0]) / "Qt" / "plugins" / "platforms" / f"libq{platform}.so"
    return plugin if plugin.is_file() else None


def _not_found_by_linker(library: Path) -> list[str]:
    """Sonames ``ldd`` reports as "not found" for ``library`` (and what it loads in turn)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        result = subprocess.run([ldd, str(library)], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.split("=>")[0].strip() for line in result.stdout.splitlines() if "not found" in line]


def display_problem(platform: str | None = None) -> str | None:
    """Why the window has nowhere to appear (no X11 or Wayland session), or None."""
    platform = platform or qt_platform()
    if not sys.platform.startswith("linux"):
        return None
    if platform == "xcb" and not os.environ.get("DISPLAY"):
        return "there is no X11 display (DISPLAY is not set)"
    if platform == "wayland" and not os.environ.get("WAYLAND_DISPLAY"):
        return "there is no Wayland display (WAYLAND_DISPLAY is not set)"
    return None
