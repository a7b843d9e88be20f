"""Scaling a sampled estimate up to the whole file."""

from __future__ import annotations

from app.core.build.estimate import scale


def test_scaling_a_sample_drops_the_token_samples_interval() -> None:
    manifest = {
        "rows_per_request": 5,
        "tokens": {"input_total": 10_000, "input_total_margin": 80, "output_estimate_total": 2_000,
                   "reasoning_estimate_total": 0, "method": "exact; counted on a random sample", "exact": False},
        "cost": {"total": 0.5, "input": 0.3, "output": 0.2},
    }
    scaled = scale(manifest, rows_sent=50_000, rows_blank=3, sampled=5_000)
    assert scaled["tokens"]["input_total"] == 100_000 and scaled["tokens"]["output_estimate_total"] == 20_000
    assert "input_total_margin" not in scaled["tokens"]  # it bounds the sampled rows' count, not the file's
    assert scaled["tokens"]["method"].endswith("measured on a random sample of 5,000 rows and scaled to all 50,000")
    assert scaled["requests"] == 10_000 and scaled["cost"]["total"] == 5.0 and scaled["sampled"] == 5_000
    assert manifest["tokens"]["input_total_margin"] == 80  # the sample's own manifest is left alone
