"""``python -m app doctor`` and the check that runs before the window: missing system libraries are
named, with the command that installs them, instead of Qt aborting the process."""

from __future__ import annotations

from pathlib import Path

import pytest

import app
from app.cli import main
from app.core import system

XCB_MISSING = ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


@pytest.fixture
def libraries_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The linker cannot find two of the libraries Qt's xcb plugin needs (the newcomer's case)."""
    monkeypatch.setattr(system.sys, "platform", "linux")
    monkeypatch.setattr(system, "_not_found_by_linker", lambda library: list(XCB_MISSING))
    monkeypatch.setattr(system.ctypes.util, "find_library", lambda name: f"lib{name}.so.0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)


@pytest.mark.parametrize(
    ("soname", "package"),
    [
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-cursor.so.0", "libxcb-cursor0"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
        ("libdbus-1.so.3", "libdbus-1-3"),
        ("libglib-2.0.so.0", "libglib2.0-0"),
        ("libEGL.so.1", "libegl1"),
    ],
)
def test_library_names_map_to_debian_packages(soname: str, package: str) -> None:
    assert system.debian_package(soname) == package


def test_window_start_names_every_missing_library_and_the_install_command(
    libraries_missing: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in err
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in err


def test_xcb_cursor_is_checked_although_qt_loads_it_late(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(system.sys, "platform", "linux")
    monkeypatch.setattr(system, "_not_found_by_linker", lambda library: [])
    monkeypatch.setattr(system.ctypes.util, "find_library", lambda name: None if name == "xcb-cursor" else name)
    missing = system.missing_qt_libraries("xcb")
    assert missing is not None and missing.packages == ("libxcb-cursor0",)
    assert system.missing_qt_libraries("offscreen") is None


def test_platform_follows_qt_qpa_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "wayland;xcb")
    assert system.qt_platform() == "wayland"
    monkeypatch.delenv("QT_QPA_PLATFORM")
    assert system.qt_platform() == "xcb"


def test_doctor_prints_versions_key_store_and_data_folder(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    code = main(["doctor"])
    out = capsys.readouterr().out
    assert f"BatchLab {app.__version__}" in out
    assert "Python 3." in out
    assert f"Data folder: {tmp_path / 'batchlab-home'}" in out
    assert "Key store: " in out
    assert "Qt platform 'offscreen'" in out
    assert code == (1 if "not installed" in out or "missing" in out else 0)


def test_doctor_reports_missing_libraries(libraries_missing: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "System libraries missing: libxcb-icccm.so.4, libxcb-keysyms.so.1" in out
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in out


def test_doctor_reports_a_broken_data_folder(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("BATCHLAB_HOME", str(tmp_path / "file"))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert main(["doctor"]) == 1
    assert "Data folder: problem: " in capsys.readouterr().out
