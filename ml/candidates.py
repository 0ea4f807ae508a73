"""Candidate estimators and their search spaces.

Each candidate is a Pipeline ``preprocess -> model`` with a grid over the model's
hyperparameters. Estimators run single-threaded (``n_jobs=1`` / ``thread_count=1``):
the search parallelises across folds instead, and in production each web worker gets
one core's worth of threads rather than fighting its siblings for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from catboost import CatBoostRegressor
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from xgboost import XGBRegressor

from ml.features import make_preprocessor
from ml.schema import FEATURE_NAMES


@dataclass(frozen=True)
class Candidate:
    """A named estimator family: ``pipeline(seed)`` builds an unfitted Pipeline and
    ``grid`` / ``quick_grid`` are GridSearchCV parameter grids (``model__`` prefixed)."""

    name: str
    algorithm: str
    grid: dict
    quick_grid: dict

    def pipeline(self, seed: int, features: Sequence[str] = FEATURE_NAMES) -> Pipeline:
        """An unfitted Pipeline reading ``features`` (default all seven; others dropped)."""
        preprocess = make_preprocessor(scale_numeric=self.name == "ridge", features=features)
        return Pipeline(
            [
                ("preprocess", preprocess),
                ("model", _estimator(self.name, seed)),
            ]
        )


def _estimator(name: str, seed: int):
    if name == "ridge":
        return Ridge(alpha=1.0)
    if name == "random_forest":
        return RandomForestRegressor(n_estimators=200, random_state=seed, n_jobs=1)
    if name == "catboost":
        return CatBoostRegressor(
            iterations=400,
            learning_rate=0.05,
            depth=4,
            random_seed=seed,
            thread_count=1,
            verbose=0,
            allow_writing_files=False,
        )
    if name == "xgboost":
        return XGBRegressor(
            n_estimators=300,
            learning_rate=0.05,
            max_depth=3,
            subsample=0.8,
            random_state=seed,
            n_jobs=1,
        )
    raise KeyError(name)


CANDIDATES: tuple[Candidate, ...] = (
    Candidate(
        "ridge",
        "Ridge regression",
        grid={"model__alpha": [0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0]},
        quick_grid={"model__alpha": [0.1, 1.0, 10.0]},
    ),
    Candidate(
        "random_forest",
        "Random forest (scikit-learn)",
        grid={"model__min_samples_leaf": [3, 10], "model__max_features": [0.5, 1.0]},
        quick_grid={"model__n_estimators": [50], "model__min_samples_leaf": [5]},
    ),
    Candidate(
        "catboost",
        "CatBoost gradient boosting",
        grid={"model__depth": [2, 4], "model__l2_leaf_reg": [3, 10]},
        quick_grid={"model__iterations": [100], "model__depth": [3]},
    ),
    Candidate(
        "xgboost",
        "XGBoost gradient boosting",
        grid={"model__max_depth": [1, 2, 3], "model__learning_rate": [0.03, 0.1]},
        quick_grid={"model__n_estimators": [100], "model__max_depth": [2]},
    ),
)
CANDIDATES_BY_NAME = {c.name: c for c in CANDIDATES}
