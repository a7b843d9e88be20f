"""The wizard's five pages, each step's page made the first time it is needed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from PySide6.QtWidgets import QWidget

from app.ui.wizard.lazy_pages import LazyPages
from app.ui.wizard.steps import FIELDS, INSTRUCTIONS, MODEL, REVIEW, STEP_NAMES

if TYPE_CHECKING:
    from app.core.keys import KeyStore
    from app.ui.wizard.data_page import DataPage
    from app.ui.wizard.fields_page import FieldsPage
    from app.ui.wizard.instructions_page import InstructionsPage
    from app.ui.wizard.model_page import ModelPage
    from app.ui.wizard.review_page import ReviewPage


class StepPages(LazyPages):
    """Data at once, every later step's page (and the module behind it) when first shown, filled or
    read. Knows which page class each step has and how the pages talk to each other, so the wizard
    that frames them only connects itself (see ``built_page``)."""

    def __init__(self, data_page: DataPage, keys: Callable[[], KeyStore], parent: QWidget | None = None) -> None:
        super().__init__([data_page] + [None] * (len(STEP_NAMES) - 1), self._new_page, parent)
        self.data_page = data_page
        self._keys = keys

    @property
    def instructions(self) -> InstructionsPage:
        return cast("InstructionsPage", self.page(INSTRUCTIONS))

    @property
    def fields(self) -> FieldsPage:
        return cast("FieldsPage", self.page(FIELDS))

    @property
    def model(self) -> ModelPage:
        return cast("ModelPage", self.page(MODEL))

    @property
    def review(self) -> ReviewPage:
        return cast("ReviewPage", self.page(REVIEW))

    def step_problems(self, index: int) -> list[str]:
        """Why step ``index`` is not complete yet (empty when it is)."""
        return self.page(index).problems()  # type: ignore[attr-defined]

    def problems(self) -> list[str]:
        """Everything still missing before Review, step by step, prefixed with the step's name."""
        return [f"{name}: {p}" for index, name in enumerate(STEP_NAMES[:-1]) for p in self.step_problems(index)]

    def reachable(self) -> int:
        """The furthest step that can be opened: every step before it is complete."""
        return next((index for index in range(REVIEW) if self.step_problems(index)), REVIEW)

    def _new_page(self, index: int) -> QWidget:
        # first: while the app starts, getting the keys waits for the engine's worker to finish
        # importing the modules these pages import too
        keys = self._keys()
        if index == INSTRUCTIONS:
            from app.ui.wizard.instructions_page import InstructionsPage

            instructions = InstructionsPage()
            instructions.template_changed.connect(self.data_page.set_template_columns)
            return instructions
        if index == FIELDS:
            from app.ui.wizard.fields_page import FieldsPage

            return FieldsPage()
        if index == MODEL:
            from app.ui.wizard.model_page import ModelPage

            return ModelPage(keys)
        from app.ui.wizard.review_page import ReviewPage

        return ReviewPage(keys)
