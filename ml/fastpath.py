"""Single-row scoring compiled from a fitted pipeline, without pandas or scikit-learn checks.

Scoring one student through ``Pipeline.predict`` on a one-row DataFrame costs a few
milliseconds, nearly all of it input validation and DataFrame handling, not the model.
``compile_fast_path`` turns the fitted preprocessor into lookup tables and the model into
what it needs for one row:

- linear models: one table per categorical feature (category → points contributed) and
  ``a·x + b`` per score, so a prediction is seven lookups and a sum in plain Python —
  the same arithmetic as ``ml.explain``'s coefficient × (value − training mean);
- random forests: per tree, the running Saabas attribution at every node, precomputed,
  so a row needs only each tree's leaf (the tree's own Cython ``apply`` on a preallocated
  float32 row) and a mean;
- XGBoost and CatBoost: the library's native single-row calls on a preallocated float64
  row (the same calls ``ml.explain`` and the pipeline make, minus the sklearn wrapping).

A fast path is only used after ``FittedModel.compile_fast_path`` has checked that it
reproduces the pipeline's own points, baselines and contributions on held-out rows.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model._base import LinearModel
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from ml import schema
from ml.features import feature_index, used_columns

N_FEATURES = len(schema.FEATURE_NAMES)


class FastPath:
    """Scores one clean feature dict: ``score(features) -> (point, baseline, contributions)``,
    points in score units and ``contributions`` a list of 7 floats in schema order."""

    kind = "none"

    def score(self, features: dict) -> tuple[float, float, list[float]]:
        raise NotImplementedError


def compile_fast_path(pipeline: Pipeline, background_mean: np.ndarray) -> FastPath | None:
    """A fast path for ``pipeline`` (a fitted ``ml.candidates`` pipeline), or ``None`` when
    its estimator family has none. Not verified here: see ``FittedModel.compile_fast_path``."""
    preprocess, model = pipeline.named_steps["preprocess"], pipeline.named_steps["model"]
    if isinstance(model, LinearModel):
        return LinearFastPath(preprocess, model, background_mean)
    if isinstance(model, RandomForestRegressor):
        return ForestFastPath(preprocess, model)
    module = type(model).__module__
    if module.startswith("xgboost"):
        return XGBoostFastPath(preprocess, model)
    if module.startswith("catboost"):
        return CatBoostFastPath(preprocess, model)
    return None


def _column_layout(preprocess):
    """For each categorical feature the preprocessor reads, ``(name, {category: output
    column})``; then ``(name, output column)`` of each score it reads, and the total number
    of output columns. A feature the model was trained without appears in neither."""
    steps = used_columns(preprocess)
    columns: list[tuple[str, dict[str, int]]] = []
    start = 0
    if steps["categorical"]:
        encoder = preprocess.named_transformers_["categorical"]
        for name, categories in zip(steps["categorical"], encoder.categories_, strict=True):
            columns.append((name, {str(c): start + i for i, c in enumerate(categories)}))
            start += len(categories)
    numeric_columns = [(name, start + i) for i, name in enumerate(steps["numeric"])]
    return columns, numeric_columns, start + len(numeric_columns)


def _numeric_affine(preprocess) -> list[tuple[float, float]]:
    """``(scale, shift)`` per score read such that the transformed value is
    ``x·scale + shift``."""
    n_numeric = len(used_columns(preprocess)["numeric"])
    if not n_numeric:
        return []
    numeric = preprocess.named_transformers_["numeric"]
    if isinstance(numeric, StandardScaler):
        mean = numeric.mean_ if numeric.with_mean else np.zeros(n_numeric)
        scale = numeric.scale_ if numeric.with_std else np.ones(n_numeric)
        return [(1.0 / float(s), -float(m) / float(s)) for m, s in zip(mean, scale, strict=True)]
    # A fitted ColumnTransformer holds "passthrough" as an identity FunctionTransformer.
    if (
        isinstance(numeric, str)
        and numeric == "passthrough"
        or (isinstance(numeric, FunctionTransformer) and numeric.func is None)
    ):
        return [(1.0, 0.0)] * n_numeric
    raise TypeError(f"no fast path for numeric step {type(numeric).__name__}")


class LinearFastPath(FastPath):
    """Linear model: contribution tables per category and an affine map per score.

    A feature the model was trained without contributes 0 points."""

    kind = "linear"

    def __init__(self, preprocess, model, background_mean: np.ndarray):
        coef = np.ravel(model.coef_).astype(float)
        background = np.asarray(background_mean, dtype=float)
        self.baseline = float(model.intercept_ + coef @ background)
        layout, numeric_columns, _ = _column_layout(preprocess)
        self.tables: list[tuple[int, str, dict[str, float], float]] = []
        for name, columns in layout:
            own = list(columns.values())
            # A category's contribution: its own column at 1, the feature's other columns
            # at 0, each minus its training mean, times the coefficient.
            absent = float(-(coef[own] @ background[own]))
            table = {value: absent + float(coef[column]) for value, column in columns.items()}
            # An unknown category one-hot encodes to all zeros (handle_unknown="ignore").
            self.tables.append((schema.FEATURE_NAMES.index(name), name, table, absent))
        self.affine: list[tuple[int, str, float, float]] = []
        for (name, column), (scale, shift) in zip(
            numeric_columns, _numeric_affine(preprocess), strict=True
        ):
            c = float(coef[column])
            position = schema.FEATURE_NAMES.index(name)
            self.affine.append((position, name, c * scale, c * (shift - float(background[column]))))

    def score(self, features: dict) -> tuple[float, float, list[float]]:
        contributions = [0.0] * N_FEATURES
        for position, name, table, absent in self.tables:
            contributions[position] = table.get(features[name], absent)
        for position, name, a, b in self.affine:
            contributions[position] = a * features[name] + b
        return self.baseline + sum(contributions), self.baseline, contributions


class _RowFastPath(FastPath):
    """Base for tree families: writes a feature dict into a preallocated transformed row."""

    dtype = np.float64

    def __init__(self, preprocess):
        layout, numeric_columns, width = _column_layout(preprocess)
        self.layout = layout
        affine = _numeric_affine(preprocess)
        self.numeric = [
            (name, column, scale_shift)
            for (name, column), scale_shift in zip(numeric_columns, affine, strict=True)
        ]
        self.width = width
        groups = feature_index(preprocess)
        self.to_features = np.zeros((width, N_FEATURES))
        self.to_features[np.arange(width), groups] = 1.0

    def row(self, features: dict) -> np.ndarray:
        # A new row per call: gunicorn threads or a test may score concurrently.
        row = np.zeros((1, self.width), dtype=self.dtype)
        flat = row[0]
        for name, columns in self.layout:
            column = columns.get(features[name])
            if column is not None:
                flat[column] = 1.0
        for name, column, (scale, shift) in self.numeric:
            flat[column] = features[name] * scale + shift
        return row


class ForestFastPath(_RowFastPath):
    """Random forest: each tree's leaf via its Cython ``apply``, with precomputed Saabas
    attributions (per node, by input feature) and leaf values."""

    kind = "random_forest"
    dtype = np.float32

    def __init__(self, preprocess, forest: RandomForestRegressor):
        super().__init__(preprocess)
        groups = feature_index(preprocess)
        self.trees = []
        baseline = 0.0
        for estimator in forest.estimators_:
            tree = estimator.tree_
            values = tree.value[:, 0, 0].astype(float)
            running = np.zeros((tree.node_count, N_FEATURES))
            # Nodes are numbered depth-first, parents before children.
            for node in range(tree.node_count):
                for child in (tree.children_left[node], tree.children_right[node]):
                    if child != -1:
                        running[child] = running[node]
                        running[child, groups[tree.feature[node]]] += values[child] - values[node]
            self.trees.append((tree, values, running))
            baseline += values[0]
        self.baseline = baseline / len(forest.estimators_)

    def score(self, features: dict) -> tuple[float, float, list[float]]:
        row = self.row(features)
        point = 0.0
        total = np.zeros(N_FEATURES)
        for tree, values, running in self.trees:
            leaf = tree.apply(row)[0]
            point += values[leaf]
            total += running[leaf]
        n = len(self.trees)
        return point / n, self.baseline, (total / n).tolist()


class XGBoostFastPath(_RowFastPath):
    """XGBoost: the booster's ``inplace_predict`` for the point (what ``XGBRegressor.predict``
    calls) and ``pred_contribs`` for TreeSHAP (what ``ml.explain`` calls)."""

    kind = "xgboost"

    def __init__(self, preprocess, model):
        super().__init__(preprocess)
        self.booster = model.get_booster()
        best = getattr(model, "best_iteration", None)
        self.iteration_range = (0, best + 1) if best is not None else (0, 0)

    def score(self, features: dict) -> tuple[float, float, list[float]]:
        from xgboost import DMatrix

        row = self.row(features)
        point = float(self.booster.inplace_predict(row, iteration_range=self.iteration_range)[0])
        shap = self.booster.predict(DMatrix(row), pred_contribs=True)[0].astype(float)
        return point, float(shap[-1]), (shap[:-1] @ self.to_features).tolist()


class CatBoostFastPath(_RowFastPath):
    """CatBoost: the model's own ``predict`` and ``ShapValues`` on a numpy row."""

    kind = "catboost"

    def __init__(self, preprocess, model):
        super().__init__(preprocess)
        self.model = model

    def score(self, features: dict) -> tuple[float, float, list[float]]:
        from catboost import Pool

        row = self.row(features)
        point = float(self.model.predict(row)[0])
        shap = self.model.get_feature_importance(Pool(row), type="ShapValues")[0]
        return point, float(shap[-1]), (shap[:-1] @ self.to_features).tolist()
