"""Preprocessing per model family, always inside the fitted Pipeline.

Every family one-hot encodes the categorical features it uses (all five unless training
excluded some; unknown values are ignored, although validation upstream never lets one
through) and keeps the scores it uses as numbers; the linear family also standardises
them. ``feature_index`` maps each column the
preprocessor outputs back to the input feature it came from, which is how
``ml.explain`` sums one-hot contributions back to their feature.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ml import schema


def make_preprocessor(
    *, scale_numeric: bool, features: Sequence[str] = schema.FEATURE_NAMES
) -> ColumnTransformer:
    """A ColumnTransformer over ``features`` (default the seven schema features).

    Output: one-hot columns of the categorical features among ``features`` (in
    ``schema.CATEGORICAL_FEATURES`` order, categories in schema order), then the scores
    among them (standardised when ``scale_numeric``). Dense float64 output. Any other
    column of the input is dropped, so a model trained without a feature still accepts
    frames that carry it.
    """
    categorical = [n for n in schema.CATEGORICAL_FEATURES if n in features]
    numeric = [n for n in schema.NUMERIC_FEATURES if n in features]
    transformers = []
    if categorical:
        categories = [list(schema.FEATURES_BY_NAME[n].choices) for n in categorical]
        encoder = OneHotEncoder(categories=categories, handle_unknown="ignore", sparse_output=False)
        transformers.append(("categorical", encoder, categorical))
    if numeric:
        scaler = StandardScaler() if scale_numeric else "passthrough"
        transformers.append(("numeric", scaler, numeric))
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)


def used_columns(preprocessor: ColumnTransformer) -> dict[str, list[str]]:
    """``{"categorical": [...], "numeric": [...]}``: the features each step of a fitted
    ``make_preprocessor`` reads (an empty list for a step it does not have)."""
    steps = {"categorical": [], "numeric": []}
    for name, _, columns in preprocessor.transformers_:
        if name in steps:
            steps[name] = list(columns)
    return steps


def feature_index(preprocessor: ColumnTransformer) -> np.ndarray:
    """For each output column of a fitted ``make_preprocessor``, the index of its input
    feature in ``schema.FEATURE_NAMES``. Shape ``(n_output_columns,)``, dtype int."""
    index: list[int] = []
    steps = used_columns(preprocessor)
    if steps["categorical"]:
        encoder = preprocessor.named_transformers_["categorical"]
        for name, categories in zip(steps["categorical"], encoder.categories_, strict=True):
            index.extend([schema.FEATURE_NAMES.index(name)] * len(categories))
    index.extend(schema.FEATURE_NAMES.index(name) for name in steps["numeric"])
    return np.asarray(index, dtype=int)
