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
