"""Figures in the window's validation tables are written as the methods report writes them."""

from __future__ import annotations

import pytest

from app.core.research.report_blocks import figure_text
from app.ui.research.figures_table import figure


@pytest.mark.parametrize("value", [0.8125, 12.5, -0.25, 2_500_000.0, 1e300 / 3])
def test_a_figure_reads_as_in_the_methods_report_never_hundreds_of_digits(value: float) -> None:
    assert figure(value) == figure_text(value) and len(figure(value)) < 12


@pytest.mark.parametrize("value", [None, True, "0.5", float("nan"), float("inf"), float("-inf")])
def test_no_figure_is_a_dash(value: object) -> None:
    assert figure(value) == "–"
