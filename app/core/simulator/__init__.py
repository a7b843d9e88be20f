"""BatchLab's simulated batch service: an offline loopback server the official SDKs use unchanged.

Point ``openai.OpenAI(base_url=sim.openai_base_url)`` or ``anthropic.Anthropic(base_url=sim.anthropic_base_url)``
at a started :class:`SimulatedService`; a :class:`Scenario` scripts progress, outcomes and faults.
Every test and the app's offline demo provider use it.
"""

from app.core.simulator.scenario import Fault, Scenario, TextRule
from app.core.simulator.server import SimulatedService, run_standalone

__all__ = ["Fault", "Scenario", "SimulatedService", "TextRule", "run_standalone"]
