"""The offline Demo provider: BatchLab's simulated batch service, started inside the app.

Its state lives under the data folder, so a demo job submitted before the app closed is still
there (and finished, since progress follows the clock) when it opens again.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from app.core.paths import data_home
from app.core.simulator import Scenario, SimulatedService

DEMO_KEY = "demo-key-not-secret"
#: Seconds a demo batch spends in each provider state; BATCHLAB_DEMO_STEP_SECONDS overrides it.
DEFAULT_STEP_SECONDS = 2.0

_lock = threading.Lock()
_services: dict[Path, SimulatedService] = {}


def demo_service() -> SimulatedService:
    """The running demo service for the current data folder (started on first use)."""
    folder = data_home() / "demo-service"
    with _lock:
        service = _services.get(folder)
        if service is None:
            seconds = float(os.environ.get("BATCHLAB_DEMO_STEP_SECONDS", DEFAULT_STEP_SECONDS))
            scenario = Scenario(progress="time", seconds_per_step=seconds)
            service = SimulatedService(state_dir=folder, scenario=scenario)
            service.start()
            _services[folder] = service
        return service


def stop_demo_services() -> None:
    """Stop every demo service (tests, app exit)."""
    with _lock:
        for service in _services.values():
            service.stop()
        _services.clear()
