"""The "New job" wizard: Data · Instructions · Output fields · Model · Review."""

from app.ui.wizard.wizard import STEP_NAMES, NewJobWizard

__all__ = ["NewJobWizard", "STEP_NAMES"]
