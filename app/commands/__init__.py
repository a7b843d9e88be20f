"""Command-line commands beyond the core job commands in ``app/cli.py``, one module per area.

Each module listed in ``COMMAND_MODULES`` has ``register(sub)``, which adds its sub-commands to the
parser's ``add_subparsers`` object; a command's ``func`` returns the exit status and raises
``BatchLabError`` for anything meant for people. Modules are imported when the parser is built, so
they must keep heavy imports (pandas, the SDKs, scikit-learn) inside the command functions.
"""

from __future__ import annotations

import argparse
import importlib


def positive(kind: type[int] | type[float], *, zero: bool = False):  # noqa: ANN202 - an argparse type
    """An argparse type accepting only numbers above zero, or with ``zero`` from zero (NaN and
    infinity are refused too)."""
    words = "a whole number" if kind is int else "a number"
    bound = "0 or more" if zero else "more than 0"

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {words}") from None
        if not (0 <= value if zero else 0 < value) or not value < float("inf"):
            raise argparse.ArgumentTypeError(f"must be {bound}, not {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


COMMAND_MODULES: tuple[str, ...] = ("runs", "research", "doctor")


def register_all(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add every area's sub-commands."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"app.commands.{name}").register(sub)
