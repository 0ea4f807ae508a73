"""The split-conformal 90% interval: the rank rule, and coverage on data of known noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml.metrics import interval_metrics
from ml.train import conformal_quantile, train
from tests.factories import make_students

NOISE_SD = 5.0
# The 95th percentile of a standard normal: |N(0, sd)| <= 1.645·sd nine times in ten.
Z_90 = 1.6449


def test_conformal_quantile_takes_the_ceil_n_plus_1_times_level_th_smallest():
    """With n residuals the half-width is the ceil((n+1)·0.9)-th smallest, in any order."""
    rng = np.random.default_rng(0)
    for n in (9, 19, 99, 250):
        residuals = rng.permutation(np.arange(1.0, n + 1))
        expected_rank = math.ceil((n + 1) * 0.9)
        assert conformal_quantile(residuals, 0.9) == expected_rank
    assert conformal_quantile(np.array([3.0, 1.0, 2.0]), 0.5) == 2.0


def test_conformal_quantile_is_infinite_when_too_few_residuals_for_the_level():
    """Below (n+1)·level > n there is no finite half-width that keeps the guarantee."""
    assert conformal_quantile(np.arange(1.0, 9.0), 0.9) == float("inf")
    assert conformal_quantile(np.arange(1.0, 10.0), 0.9) == 9.0


def test_half_width_and_coverage_match_a_known_gaussian_noise():
    """Calibrated on residuals of SD 5, the half-width is near 1.645·5 and covers ~90%
    of fresh data."""
    rng = np.random.default_rng(1)
    calibration = np.abs(rng.normal(0, NOISE_SD, 2000))
    half_width = conformal_quantile(calibration, 0.9)
    assert half_width == pytest.approx(Z_90 * NOISE_SD, abs=0.5)

    # Points mid-scale, so no interval is clipped and the width is exactly 2·half-width.
    point = rng.uniform(20, 80, 5000)
    actual = point + rng.normal(0, NOISE_SD, 5000)
    measured = interval_metrics(actual, point, half_width)
    assert 0.88 <= measured["interval_coverage"] <= 0.92
    assert measured["interval_width"] == pytest.approx(2 * half_width)


def test_interval_metrics_clips_to_the_score_scale():
    """An interval past 100 or below 0 is cut at the scale's ends, and so is its width."""
    measured = interval_metrics(np.array([100.0, 0.0]), np.array([98.0, 1.0]), 5.0)
    assert measured["interval_coverage"] == 1.0
    assert measured["interval_width"] == pytest.approx(((100 - 93) + (6 - 0)) / 2)


def test_training_stores_coverage_and_width_measured_on_the_held_out_split():
    """train() on data with noise SD 5 calibrates a half-width near 1.645·5 and reports
    held-out coverage near 0.9 and the mean width."""
    frame = make_students(1000, seed=3, noise=NOISE_SD)
    result = train(frame, seed=3, quick=True, candidates=["ridge"], n_jobs=1)
    metrics = result.metrics
    assert metrics["interval_level"] == 0.9
    # Rounding the scores and estimating the model add a little to the noise.
    assert Z_90 * NOISE_SD - 0.7 <= metrics["interval_half_width"] <= Z_90 * NOISE_SD + 1.2
    assert 0.85 <= metrics["interval_coverage"] <= 0.95
    assert metrics["interval_width"] == pytest.approx(2 * metrics["interval_half_width"], rel=0.02)
    batch = result.model.predict(result.holdout)
    inside = (result.holdout["math_score"] >= batch.low) & (
        result.holdout["math_score"] <= batch.high
    )
    assert inside.mean() == pytest.approx(metrics["interval_coverage"])
