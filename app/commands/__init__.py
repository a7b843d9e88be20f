"""Command-line commands beyond the core job commands in ``app/cli.py``, one module per area.

Each module listed in ``COMMAND_MODULES`` has ``register(sub)``, which adds its sub-commands to the
parser's ``add_subparsers`` object; a command's ``func`` returns the exit status and raises
``BatchLabError`` for anything meant for people. Modules are imported when the parser is built, so
they must keep heavy imports (pandas, the SDKs, scikit-learn) inside the command functions.
"""

from __future__ import annotations

import argparse
import importlib

COMMAND_MODULES: tuple[str, ...] = ("runs", "research", "doctor")


def register_all(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add every area's sub-commands."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"app.commands.{name}").register(sub)
