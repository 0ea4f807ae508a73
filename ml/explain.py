"""Per-prediction contributions: how many points each input feature moved the score.

One function, ``contributions``, whatever estimator won the search. Each uses the model's
own exact, additive attribution, so that for every row
``baseline + contributions.sum() == prediction`` (to float precision):

- linear models: coefficient × (value − training mean) of each transformed column,
  the baseline being the prediction at the training mean;
- CatBoost: ``get_feature_importance(type="ShapValues")`` (TreeSHAP, Lundberg et al. 2020);
- XGBoost: ``Booster.predict(..., pred_contribs=True)`` (TreeSHAP);
- scikit-learn random forests: the decision-path attribution of Saabas (2014,
  "Interpreting random forests"; the ``treeinterpreter`` package): each split's change in
  node mean is credited to the split's feature, averaged over the trees.

Contributions of one-hot columns are summed back to their feature.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model._base import LinearModel
from sklearn.pipeline import Pipeline

from ml import schema
from ml.features import feature_index


def contributions(
    pipeline: Pipeline, frame, *, background_mean: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Attribute each row's prediction to the seven input features.

    ``frame``: DataFrame with the schema's feature columns, ``n`` rows.
    ``background_mean``: mean of the preprocessor's output on the training data,
    shape ``(n_output_columns,)``; used by linear models only.
    Returns ``(baseline, contribs)``: ``baseline`` shape ``(n,)`` in points (the same value
    for every row), ``contribs`` shape ``(n, 7)`` in points, columns in
    ``schema.FEATURE_NAMES`` order. Raises ``TypeError`` for an unsupported estimator.
    """
    preprocess, model = pipeline.named_steps["preprocess"], pipeline.named_steps["model"]
    transformed = np.asarray(preprocess.transform(frame), dtype=float)
    baseline, by_column = _column_contributions(model, transformed, background_mean)
    groups = feature_index(preprocess)
    to_features = np.zeros((len(groups), len(schema.FEATURE_NAMES)))
    to_features[np.arange(len(groups)), groups] = 1.0
    return baseline, by_column @ to_features


def _column_contributions(model, transformed: np.ndarray, background_mean: np.ndarray):
    n_rows = transformed.shape[0]
    if isinstance(model, LinearModel):
        coef = np.ravel(model.coef_)
        baseline = float(model.intercept_ + coef @ background_mean)
        return np.full(n_rows, baseline), (transformed - background_mean) * coef
    module = type(model).__module__
    if module.startswith("catboost"):
        from catboost import Pool

        shap = model.get_feature_importance(Pool(transformed), type="ShapValues")
        return shap[:, -1], shap[:, :-1]
    if module.startswith("xgboost"):
        from xgboost import DMatrix

        shap = model.get_booster().predict(DMatrix(transformed), pred_contribs=True)
        return shap[:, -1].astype(float), shap[:, :-1].astype(float)
    if isinstance(model, RandomForestRegressor):
        return _saabas_forest(model, transformed)
    raise TypeError(f"no attribution method for {type(model).__name__}")


def _saabas_forest(forest: RandomForestRegressor, transformed: np.ndarray):
    n_rows, n_columns = transformed.shape
    total = np.zeros((n_rows, n_columns))
    baseline = 0.0
    for estimator in forest.estimators_:
        tree = estimator.tree_
        values = tree.value[:, 0, 0]
        parent = np.full(tree.node_count, -1)
        for node in range(tree.node_count):
            for child in (tree.children_left[node], tree.children_right[node]):
                if child != -1:
                    parent[child] = node
        children = np.flatnonzero(parent >= 0)
        # Moving from a parent to a child changes the running mean by this much,
        # and that change belongs to the feature the parent split on.
        deltas = sparse.csr_matrix(
            (
                values[children] - values[parent[children]],
                (children, tree.feature[parent[children]]),
            ),
            shape=(tree.node_count, n_columns),
        )
        paths = estimator.decision_path(transformed.astype(np.float32))
        total += np.asarray((paths @ deltas).todense())
        baseline += values[0]
    n_trees = len(forest.estimators_)
    return np.full(n_rows, baseline / n_trees), total / n_trees
