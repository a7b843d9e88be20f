"""Every "Save …" in the app asks through one helper: it starts in the folder last used,
remembers the folder chosen, and gives a bare name the file type's suffix."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QWidget

from app.ui import preferences
from app.ui.common import ask_save_path

KINDS = [("Web page", ".html"), ("Markdown", ".md")]


def answer_dialog(monkeypatch: pytest.MonkeyPatch, chosen: str) -> list[tuple[str, str]]:
    """Stand in for the native dialog: record where it started and with which filters; answer ``chosen``."""
    asked: list[tuple[str, str]] = []

    def dialog(_parent: QWidget, _title: str, start: str, filters: str) -> tuple[str, str]:
        asked.append((start, filters))
        return chosen, ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    return asked


def test_a_save_starts_in_the_last_folder_and_remembers_the_new_one(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    parent = QWidget()
    qtbot.addWidget(parent)
    preferences.DEFAULT_FOLDER.set(str(tmp_path / "papers"))
    asked = answer_dialog(monkeypatch, str(tmp_path / "out" / "report"))
    path = ask_save_path(parent, "Save methods report", "methods-report.html", KINDS)
    assert asked == [(str(tmp_path / "papers" / "methods-report.html"), "Web page (*.html);;Markdown (*.md)")]
    assert path == tmp_path / "out" / "report.html"  # the first type's suffix added
    assert preferences.DEFAULT_FOLDER.get() == str(tmp_path / "out")


def test_a_typed_suffix_is_kept_and_cancel_saves_nothing(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    parent = QWidget()
    qtbot.addWidget(parent)
    answer_dialog(monkeypatch, str(tmp_path / "notes.MD"))
    assert ask_save_path(parent, "Save", tmp_path / "x.html", KINDS) == tmp_path / "notes.MD"
    answer_dialog(monkeypatch, str(tmp_path / "v1.2"))
    assert ask_save_path(parent, "Save", "x.html", KINDS) == tmp_path / "v1.2.html"  # never replaces what was typed
    answer_dialog(monkeypatch, "")
    assert ask_save_path(parent, "Save", "x.html", KINDS) is None
