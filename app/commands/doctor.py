"""``python -m app doctor``: what is installed and where, for a bug report or a first start that fails.

It prints the versions of BatchLab, Python and every dependency, the key store, the data folder,
the Qt display and any missing system library, and exits 1 when something would stop the app.
"""

from __future__ import annotations

import argparse
import re
import sys

import app
from app.core.errors import BatchLabError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("doctor", help="show what is installed, where data is kept, and what is missing")
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    import platform  # 10 ms: kept out of every other command's start

    problems = 0
    print(f"BatchLab {app.__version__}")
    print(f"Python {platform.python_version()} ({sys.executable})")
    print(f"System: {platform.platform()}")
    print("Packages:")
    for name, version in _package_versions():
        print(f"  {name} {version}")
        problems += version == "not installed"
    print(f"Key store: {_key_store()}")
    try:
        from app.core.paths import data_home

        print(f"Data folder: {data_home()}")
    except BatchLabError as exc:
        print(f"Data folder: problem: {exc.message}")
        problems += 1
    problems += _print_display()
    print("Everything BatchLab needs is in place." if not problems else f"Found {problems} problem(s); see above.")
    return 1 if problems else 0


def _package_versions() -> list[tuple[str, str]]:
    """Every dependency BatchLab declares, with its installed version (no package is imported)."""
    from importlib import metadata

    try:
        requirements = metadata.requires("batchlab") or []
    except metadata.PackageNotFoundError:  # a frozen build keeps no metadata of its own
        requirements = []
    names = [re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0] for r in requirements if "extra ==" not in r]
    found = []
    for name in names:
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            found.append((name, "bundled" if getattr(sys, "frozen", False) else "not installed"))
    return found


def _key_store() -> str:
    from app.core.keys import KeyStore

    keys = KeyStore()
    return f"{keys.store_name()} (keys are kept between sessions)" if keys.persistent() else keys.store_name()


def _print_display() -> int:
    """Print the Qt platform and what it lacks; the number of problems found."""
    from app.core.system import display_problem, missing_qt_libraries, qt_platform

    chosen = qt_platform()
    print(f"Display: Qt platform {chosen!r}" + (" (set by QT_QPA_PLATFORM)" if chosen != "xcb" else ""))
    problems = 0
    missing = missing_qt_libraries(chosen)
    if missing is not None:
        print(f"System libraries missing: {', '.join(missing.libraries)}")
        print(f"  Install them with: sudo apt-get install {' '.join(missing.packages)}")
        problems += 1
    else:
        print("System libraries: all found")
    nowhere = display_problem(chosen)
    if nowhere:
        print(f"Window: cannot open here: {nowhere}; the command line works.")
    return problems
