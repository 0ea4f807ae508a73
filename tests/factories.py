"""Small synthetic data for tests (no test reads ../shared)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml import schema


def make_students(n: int = 300, *, seed: int = 0, noise: float = 5.0) -> pd.DataFrame:
    """``n`` clean rows with a known linear structure and Gaussian noise of SD ``noise``.

    math = 0.5·reading + 0.4·writing + 6·(male) + 5·(standard lunch) + 3·(completed prep)
    − 8 + noise, clipped to 0–100 and rounded.
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            feature.name: rng.choice(feature.choices, size=n)
            for feature in schema.FEATURES
            if feature.is_categorical
        }
    )
    reading = np.clip(rng.normal(69, 14, n), 0, 100)
    writing = np.clip(reading + rng.normal(0, 5, n), 0, 100)
    math = (
        0.5 * reading
        + 0.4 * writing
        + 6 * (frame["gender"] == "male")
        + 5 * (frame["lunch"] == "standard")
        + 3 * (frame["test_preparation_course"] == "completed")
        - 8
        + rng.normal(0, noise, n)
    )
    frame["reading_score"] = np.round(reading).astype("int64")
    frame["writing_score"] = np.round(writing).astype("int64")
    frame[schema.TARGET] = np.clip(np.round(math), 0, 100).astype("int64")
    return frame[[*schema.FEATURE_NAMES, schema.TARGET]]


STUDENT = {
    "gender": "female",
    "race_ethnicity": "group B",
    "parental_level_of_education": "bachelor's degree",
    "lunch": "standard",
    "test_preparation_course": "none",
    "reading_score": 72,
    "writing_score": 74,
}

# A student every ``make_students`` model scores below 0 (so the score is clipped to 0).
LOWEST_STUDENT = {
    **STUDENT,
    "gender": "female",
    "lunch": "free/reduced",
    "test_preparation_course": "none",
    "reading_score": 0,
    "writing_score": 0,
}


def make_prediction(*, created_at=None, **fields):
    """A stored Prediction without a model call: status ok with a score unless told otherwise.

    ``created_at`` (aware datetime) is set after the insert, since the field is auto_now_add.
    """
    from predictor.models import Prediction

    values = {
        "channel": "api",
        "status": "ok",
        **STUDENT,
        "predicted_math_score": 70.0,
        "interval_low": 60.0,
        "interval_high": 80.0,
        "interval_level": 0.9,
    }
    values.update(fields)
    if values["status"] != "ok":
        values.setdefault("errors", {"reading_score": "must be between 0 and 100"})
        values["predicted_math_score"] = values["interval_low"] = values["interval_high"] = None
    prediction = Prediction.objects.create(**values)
    if created_at is not None:
        Prediction.objects.filter(pk=prediction.pk).update(created_at=created_at)
        prediction.refresh_from_db()
    return prediction


def make_drifted_accurate_traffic(n: int = 120, *, seed: int = 7, hours: float = 0) -> list:
    """``n`` students scored by the production model through ``prediction_create``, each
    with its real score recorded: a drifted but accurately predicted intake.

    The students come from ``make_students``' own relationship (so the model still fits
    them, with less noise than it was trained on), chosen so that their inputs differ
    from the training data's: reading and writing scores below 65, and free/reduced lunch
    and completed test preparation more common. ``hours``: spread the rows evenly over
    that many hours before now (0: all now). Returns the ``Prediction`` rows.
    """
    from datetime import timedelta

    from django.utils import timezone

    from predictor.models import Prediction
    from predictor.predictions.services import prediction_create, prediction_record_outcome

    pool = make_students(20 * n, seed=seed, noise=2.0)
    rng = np.random.default_rng(seed)
    low = pool["reading_score"] < 65
    poorer = (pool["lunch"] == "free/reduced") | (rng.random(len(pool)) < 0.25)
    prepared = (pool["test_preparation_course"] == "completed") | (rng.random(len(pool)) < 0.3)
    chosen = pool[low & poorer & prepared].head(n)
    assert len(chosen) == n, f"only {len(chosen)} students fit the drifted intake"
    rows = []
    for student in chosen.to_dict("records"):
        features = {name: _plain(student[name]) for name in schema.FEATURE_NAMES}
        prediction = prediction_create(features=features, channel="api", raw_payload=features)
        rows.append(
            prediction_record_outcome(
                prediction=prediction, actual_math_score=int(student[schema.TARGET])
            )
        )
    if hours:
        now = timezone.now()
        for i, row in enumerate(rows):
            row.created_at = now - timedelta(hours=hours * (n - 1 - i) / n)
            Prediction.objects.filter(pk=row.pk).update(created_at=row.created_at)
    return rows


def _plain(value):
    # numpy scalars → Python values, as a parsed request would carry them.
    return value.item() if hasattr(value, "item") else value


def api_as(user):
    """A DRF ``APIClient`` signed in as ``user`` (``force_authenticate``)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client
