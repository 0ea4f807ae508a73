"""Contributions add up to prediction − baseline for every family the search can pick."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml import schema
from ml.candidates import CANDIDATES
from ml.train import train


def reading_led_students(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Students whose math score follows reading most (0.8 per point), writing a little
    (independent of reading here) and lunch by 4 points, plus noise of SD 3."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {f.name: rng.choice(f.choices, size=n) for f in schema.FEATURES if f.is_categorical}
    )
    frame["reading_score"] = np.clip(rng.normal(65, 15, n), 0, 100).round().astype("int64")
    frame["writing_score"] = np.clip(rng.normal(65, 15, n), 0, 100).round().astype("int64")
    math = (
        0.8 * frame["reading_score"]
        + 0.15 * frame["writing_score"]
        + 4 * (frame["lunch"] == "standard")
        - 5
        + rng.normal(0, 3, n)
    )
    frame[schema.TARGET] = np.clip(math.round(), 0, 100).astype("int64")
    return frame


@pytest.fixture(scope="module")
def frame():
    return reading_led_students()


@pytest.fixture(scope="module", params=[c.name for c in CANDIDATES])
def fitted(request, frame):
    """Each candidate family, trained through ml.train on the small frame."""
    return train(frame, seed=0, quick=True, candidates=[request.param], n_jobs=1)


@pytest.fixture(scope="module")
def batch(fitted, frame):
    """The family's scores, intervals and contributions for every row of the frame."""
    return fitted.model.predict(frame)


def test_every_candidate_family_is_covered():
    """The test's families are the search's: a new candidate cannot skip this test."""
    assert {c.name for c in CANDIDATES} == {"ridge", "random_forest", "catboost", "xgboost"}


def test_contributions_sum_to_prediction_minus_baseline_for_every_row(fitted, batch, frame):
    """baseline + the seven contributions equals the prediction within 0.01, every row."""
    assert batch.contributions.shape == (len(frame), len(schema.FEATURE_NAMES))
    assert np.all(np.isfinite(batch.contributions))
    gaps = np.abs(batch.baseline + batch.contributions.sum(axis=1) - batch.point)
    assert gaps.max() < 0.01, f"{fitted.name}: worst row off by {gaps.max():.4f}"
    assert np.ptp(batch.baseline) < 1e-6, "the baseline is one number per model"


def test_reading_score_moves_predictions_most(batch):
    """The feature the data follows most has the largest mean absolute contribution."""
    mean_abs = dict(
        zip(schema.FEATURE_NAMES, np.abs(batch.contributions).mean(axis=0), strict=True)
    )
    assert max(mean_abs, key=mean_abs.get) == "reading_score", mean_abs


def test_contributions_point_the_way_the_data_does(batch, frame):
    """Standard lunch pushes up and free/reduced down; higher reading pushes higher."""
    lunch = batch.contributions[:, schema.FEATURE_NAMES.index("lunch")]
    standard = (frame["lunch"] == "standard").to_numpy()
    assert lunch[standard].mean() > 0 > lunch[~standard].mean()
    reading = batch.contributions[:, schema.FEATURE_NAMES.index("reading_score")]
    assert np.corrcoef(reading, frame["reading_score"])[0, 1] > 0.9


def test_row_dict_carries_interval_baseline_and_named_contributions(fitted, frame):
    """PredictionBatch.row gives plain floats keyed by feature name, interval in 0–100."""
    row = fitted.model.predict(frame.head(1)).row(0)
    assert set(row["contributions"]) == set(schema.FEATURE_NAMES)
    assert (
        0 <= row["interval"]["low"] <= row["predicted_math_score"] <= row["interval"]["high"] <= 100
    )
    assert row["interval"]["level"] == 0.9
    total = row["baseline"] + sum(row["contributions"].values())
    assert total == pytest.approx(row["predicted_math_score"], abs=0.01)
