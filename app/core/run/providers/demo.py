"""The offline Demo provider: BatchLab's simulated batch service, run in a child process.

A separate process keeps the simulator's work (decoding uploads, inventing thousands of answers)
from competing with the window for Python's global lock, and means the app talks to the demo
exactly as to a real provider: over HTTP. The child exits when its standard input closes, so it
never outlives the app, even after a crash. Its state lives under the data folder, so a demo job
submitted before the app closed is still there (and finished: progress follows the clock) when
it opens again.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

from app.core.errors import ProviderError
from app.core.paths import data_home

DEMO_KEY = "demo-key-not-secret"
#: Seconds a demo batch spends in each provider state; BATCHLAB_DEMO_STEP_SECONDS overrides it.
DEFAULT_STEP_SECONDS = 2.0
_URL = re.compile(r"http://127\.0\.0\.1:\d+")


def _command() -> list[str]:
    """How to start BatchLab's command line from here (a frozen build is its own executable)."""
    return [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "app"]


class DemoService:
    """A running demo simulator process and how to reach it."""

    def __init__(self, folder: Path, seconds_per_step: float) -> None:
        args = ["simulate", "--port", "0", "--state", str(folder), "--seconds-per-step", str(seconds_per_step)]
        root = Path(__file__).resolve().parents[4]
        self.process = subprocess.Popen(
            [*_command(), *args, "--until-stdin-closes"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root if (root / "app").is_dir() else None,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        match = _URL.search(first)
        if match is None:
            self.stop()
            raise ProviderError("The Demo provider could not start.", "Restart BatchLab; if it happens again, report it.")
        self.url = match.group(0)

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    def configure(self, **changes: Any) -> None:
        """Change the simulator's scenario (e.g. ``text_rules``) through its control endpoint."""
        request = urllib.request.Request(
            self.url + "/__control/scenario",
            data=json.dumps(changes).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


_lock = threading.Lock()
_services: dict[Path, DemoService] = {}


def demo_service() -> DemoService:
    """The running demo service for the current data folder (started on first use)."""
    folder = data_home() / "demo-service"
    with _lock:
        service = _services.get(folder)
        if service is None or service.process.poll() is not None:
            seconds = float(os.environ.get("BATCHLAB_DEMO_STEP_SECONDS", DEFAULT_STEP_SECONDS))
            service = DemoService(folder, seconds)
            _services[folder] = service
        return service


def stop_demo_services() -> None:
    """Stop every demo service (tests, app exit)."""
    with _lock:
        for service in _services.values():
            service.stop()
        _services.clear()
