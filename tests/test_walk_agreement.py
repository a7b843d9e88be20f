"""Agreement across runs on a number a run answered absurdly large (1e300): α is undefined (None)
as in the krippendorff package (NaN), with no numpy warning printed to the person, while the
other fields keep the package's α."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest

from app.core.research.agreement import agreement_of
from tests.research.test_agreement import FIELDS, ROWS, _runs


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_an_overflowing_number_leaves_alpha_undefined_without_warnings() -> None:
    runs = _runs()
    runs["job2"]["r5"]["score"] = 1e300
    result = agreement_of(FIELDS, runs, resamples=20)
    assert result.fields["score"]["krippendorff_alpha"] is None and result.fields["score"]["reading"] == "undefined"
    common = [r for r in ROWS if all(r in run for run in runs.values())]
    codes = {label: i for i, label in enumerate(FIELDS[0].choices)}
    tone = [[codes[run[r]["tone"]] for r in common] for run in runs.values()]
    expected = krippendorff.alpha(reliability_data=np.array(tone, dtype=float), level_of_measurement="nominal")
    assert result.fields["tone"]["krippendorff_alpha"] == pytest.approx(expected, abs=1e-9)
