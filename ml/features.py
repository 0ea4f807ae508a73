"""Preprocessing per model family, always inside the fitted Pipeline.

Every family one-hot encodes the five categorical features (unknown values are ignored,
although validation upstream never lets one through) and keeps the two scores as numbers;
the linear family also standardises the scores. ``feature_index`` maps each column the
preprocessor outputs back to the input feature it came from, which is how
``ml.explain`` sums one-hot contributions back to their feature.
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ml import schema


def make_preprocessor(*, scale_numeric: bool) -> ColumnTransformer:
    """A ColumnTransformer over the seven schema features, in schema order.

    Output: one-hot columns of the categorical features (in ``schema.CATEGORICAL_FEATURES``
    order, categories in schema order), then the two scores (standardised when
    ``scale_numeric``). Dense float64 output.
    """
    categories = [list(schema.FEATURES_BY_NAME[n].choices) for n in schema.CATEGORICAL_FEATURES]
    numeric = StandardScaler() if scale_numeric else "passthrough"
    return ColumnTransformer(
        [
            (
                "categorical",
                OneHotEncoder(categories=categories, handle_unknown="ignore", sparse_output=False),
                list(schema.CATEGORICAL_FEATURES),
            ),
            ("numeric", numeric, list(schema.NUMERIC_FEATURES)),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )


def feature_index(preprocessor: ColumnTransformer) -> np.ndarray:
    """For each output column of a fitted ``make_preprocessor``, the index of its input
    feature in ``schema.FEATURE_NAMES``. Shape ``(n_output_columns,)``, dtype int."""
    index: list[int] = []
    encoder = preprocessor.named_transformers_["categorical"]
    for name, categories in zip(schema.CATEGORICAL_FEATURES, encoder.categories_, strict=True):
        index.extend([schema.FEATURE_NAMES.index(name)] * len(categories))
    index.extend(schema.FEATURE_NAMES.index(name) for name in schema.NUMERIC_FEATURES)
    return np.asarray(index, dtype=int)
