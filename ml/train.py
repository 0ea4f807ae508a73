"""Train and select a model honestly.

The data is split once (80/20, seeded, stratified on binned math score) before anything
is fitted. Every candidate's hyperparameters are searched by repeated K-fold
cross-validation on the training part only; the winner is the best CV mean R², refit on
the whole training part and scored once on the held-out part. The held-out part never
influences a choice, unlike the tutorial this project descends from, which picked its
model by test R².

The 90% interval is split-conformal in its cross-validated form: the conformal quantile
of the winner's absolute out-of-fold residuals on the training part (Vovk et al. 2005;
Barber et al. 2021, "Predictive inference with the jackknife+", whose CV+ this
simplifies by centring on the refit model). The same residuals also give the
group-conditional ("Mondrian") calibration over the protected attributes the model uses
(``ml.conformal``); ``interval_method`` chooses which of the two the model serves. Its
coverage and width are then measured on the held-out part, which the calibration never
saw.

Feature policy: ``exclude_features`` trains without the named features (the model still
accepts all seven and ignores them). Fairness: ``ml.fairness`` reports per-group error,
bias and coverage on the held-out part, beside refits of the winner without each
protected attribute it uses, on the same split.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    RepeatedKFold,
    cross_val_predict,
    train_test_split,
)

from ml import fairness, schema
from ml.candidates import CANDIDATES, CANDIDATES_BY_NAME, Candidate
from ml.conditional import ALSO_CONDITION_ON, ConditionalCalibration
from ml.conformal import METHODS, MondrianCalibration
from ml.conformal import conformal_quantile as conformal_quantile  # importable here, as before
from ml.data import fingerprint, row_hashes
from ml.drift import reference_profile
from ml.errors import DataError
from ml.metrics import interval_metrics, regression_metrics, subgroup_errors
from ml.predict import FittedModel
from ml.unusual import UnusualProfile

INTERVAL_LEVEL = 0.9
TEST_SIZE = 0.2
# What a model serves unless told. Marginal keeps today's one half-width for everyone,
# which the predictor app's tests assert; the Mondrian calibration is fitted and stored in
# every model anyway, and `interval_method="mondrian"` serves it.
DEFAULT_INTERVAL_METHOD = "marginal"


@dataclass
class TrainingResult:
    """Everything one training run produced.

    ``leaderboard``: one dict per candidate, best CV mean first, with ``name``,
    ``algorithm``, ``params``, ``cv_r2_mean``, ``cv_r2_std``, ``cv_mae_mean``, ``n_splits``,
    ``search_seconds``. ``metrics``: ``test_r2``, ``test_mae``, ``test_rmse`` (points),
    ``cv_r2_mean``, ``cv_r2_std``, ``interval_level``, ``interval_coverage`` (fraction of
    held-out rows inside their interval), ``interval_width`` (mean width, points).
    ``holdout``: the held-out rows with the target, kept so a rival model can be scored on
    the same rows. ``train_row_hashes``: ``ml.data.row_hashes`` of the training rows, so a
    later run can leave out of such a comparison the rows this model was fitted on.
    ``features``: the features the model uses, schema order; ``excluded_features``: those
    it was told to leave out. ``fairness``: the ``ml.fairness.fairness_report`` dict (empty
    when not computed). ``interval_calibration``: ``{"method" (served), "level",
    "marginal_half_width", "mondrian": MondrianCalibration.as_dict(), "holdout":
    {method: {"coverage", "width"}}}``. ``unusual``: the ``UnusualProfile.as_dict()``
    summary plus ``holdout_flagged`` (count of held-out rows flagged).
    """

    model: FittedModel
    name: str
    algorithm: str
    params: dict
    leaderboard: list[dict]
    metrics: dict
    data_fingerprint: str
    rows: dict
    library_versions: dict
    training_seconds: float
    reference_profile: dict
    subgroup_errors: dict
    holdout: pd.DataFrame
    seed: int
    train_row_hashes: list[str] = field(default_factory=list)
    quick: bool = False
    data_report: dict = field(default_factory=dict)
    features: list[str] = field(default_factory=lambda: list(schema.FEATURE_NAMES))
    excluded_features: list[str] = field(default_factory=list)
    fairness: dict = field(default_factory=dict)
    interval_calibration: dict = field(default_factory=dict)
    unusual: dict = field(default_factory=dict)


def split(frame: pd.DataFrame, *, seed: int, test_size: float = TEST_SIZE):
    """Split clean rows into ``(train, test)`` frames, stratified on binned math score.

    Bins are quantiles of ``math_score`` (up to 10, fewer for small data so each bin can
    be split). Raises ``ValueError`` from scikit-learn when the frame is too small.
    """
    n_bins = max(2, min(10, len(frame) // 20))
    bins = pd.qcut(frame[schema.TARGET], n_bins, labels=False, duplicates="drop")
    train, test = train_test_split(frame, test_size=test_size, random_state=seed, stratify=bins)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def _cv(quick: bool, seed: int):
    if quick:
        return KFold(n_splits=3, shuffle=True, random_state=seed)
    return RepeatedKFold(n_splits=5, n_repeats=3, random_state=seed)


def search_candidate(
    candidate: Candidate, X: pd.DataFrame, y: pd.Series, *, quick: bool, seed: int, n_jobs: int
) -> dict:
    """Grid-search one candidate by CV on the training part; its leaderboard row. The
    pipeline reads the features that are ``X``'s columns."""
    started = time.perf_counter()
    search = GridSearchCV(
        candidate.pipeline(seed, list(X.columns)),
        candidate.quick_grid if quick else candidate.grid,
        scoring={"r2": "r2", "mae": "neg_mean_absolute_error"},
        refit=False,
        cv=_cv(quick, seed),
        n_jobs=n_jobs,
        error_score="raise",
    )
    search.fit(X, y)
    results = search.cv_results_
    best = int(np.argmax(results["mean_test_r2"]))
    n_splits = search.n_splits_
    fold_r2 = np.array([results[f"split{i}_test_r2"][best] for i in range(n_splits)])
    return {
        "name": candidate.name,
        "algorithm": candidate.algorithm,
        "params": {k.removeprefix("model__"): v for k, v in results["params"][best].items()},
        "cv_r2_mean": float(fold_r2.mean()),
        "cv_r2_std": float(fold_r2.std(ddof=1)) if n_splits > 1 else 0.0,
        "cv_mae_mean": float(-results["mean_test_mae"][best]),
        "n_splits": int(n_splits),
        "search_seconds": round(time.perf_counter() - started, 2),
    }


def feature_policy(exclude_features: Sequence[str] = ()) -> list[str]:
    """The features a model trained without ``exclude_features`` uses, in schema order.

    Raises ``DataError`` naming an unknown feature (and listing the valid names), or when
    nothing would be left to learn from."""
    for name in exclude_features:
        if name not in schema.FEATURE_NAMES:
            raise DataError(
                f"unknown feature '{name}' to exclude; valid names: "
                f"{', '.join(schema.FEATURE_NAMES)}"
            )
    used = [name for name in schema.FEATURE_NAMES if name not in set(exclude_features)]
    if not used:
        raise DataError("every feature is excluded: nothing is left to predict from")
    return used


def fit_calibrated(
    candidate: Candidate,
    params: dict,
    train_frame: pd.DataFrame,
    *,
    features: Sequence[str],
    protected_attributes: Sequence[str],
    interval_method: str,
    seed: int,
    n_jobs: int,
) -> FittedModel:
    """Fit ``candidate`` with ``params`` on ``features`` of the training rows, with its
    interval calibration (marginal; Mondrian over the protected attributes among
    ``features``; conditional, ``ml.conditional``, over those and test preparation; all
    from 5-fold out-of-fold residuals) and its unusual-student profile.

    An attribute the model is not allowed to use is not used to calibrate either: a policy
    that drops gender also keeps gender out of the intervals."""
    X, y = train_frame[list(features)], train_frame[schema.TARGET]
    pipeline = candidate.pipeline(seed, features).set_params(
        **{f"model__{k}": v for k, v in params.items()}
    )
    oof = cross_val_predict(
        pipeline, X, y, cv=KFold(5, shuffle=True, random_state=seed), n_jobs=n_jobs
    )
    residuals = np.abs(y.to_numpy() - oof)
    groups = [a for a in protected_attributes if a in features]
    mondrian = MondrianCalibration.fit(residuals, train_frame, groups, level=INTERVAL_LEVEL)
    conditioned = groups + [a for a in ALSO_CONDITION_ON if a in features and a not in groups]
    conditional = ConditionalCalibration.fit(
        residuals, train_frame, conditioned, level=INTERVAL_LEVEL
    )
    pipeline.fit(X, y)
    background = np.asarray(pipeline.named_steps["preprocess"].transform(X)).mean(axis=0)
    return FittedModel(
        pipeline=pipeline,
        name=candidate.name,
        interval_level=INTERVAL_LEVEL,
        interval_half_width=mondrian.marginal,
        background_mean=background,
        features=tuple(features),
        mondrian=mondrian,
        conditional=conditional,
        interval_method=interval_method,
        unusual_profile=UnusualProfile.fit(train_frame, features=features),
    )


def _served_interval(model: FittedModel, frame: pd.DataFrame):
    point = model.predict_point(frame)
    half = model.interval_half_widths(frame)
    low = np.clip(point - half, schema.SCORE_MIN, schema.SCORE_MAX)
    high = np.clip(point + half, schema.SCORE_MIN, schema.SCORE_MAX)
    return point, low, high


def train(
    frame: pd.DataFrame,
    *,
    seed: int = 42,
    quick: bool = False,
    candidates: Sequence[str] | None = None,
    n_jobs: int = -1,
    progress: Callable[[str], None] | None = None,
    exclude_features: Sequence[str] = (),
    protected_attributes: Sequence[str] = fairness.DEFAULT_PROTECTED,
    interval_method: str = DEFAULT_INTERVAL_METHOD,
    fairness_resamples: int = fairness.N_RESAMPLES,
) -> TrainingResult:
    """Select, fit and evaluate a model on clean rows (``ml.data.load_dataset`` output).

    ``candidates``: names from ``ml.candidates.CANDIDATES`` (default all).
    ``quick``: 3-fold CV over tiny grids, for tests and first runs.
    ``n_jobs``: parallel CV fits (``-1``: all cores).
    ``progress``: called with a line of text as each stage ends.
    ``exclude_features``: schema feature names to train without (``feature_policy``).
    ``protected_attributes``: categorical features whose groups the fairness report and
    the Mondrian calibration cover (default gender, race_ethnicity, lunch).
    ``interval_method``: ``"marginal"`` or ``"mondrian"``, the intervals the model serves.
    ``fairness_resamples``: bootstrap resamples per group (0 skips the fairness report and
    its refits, for benchmarks).
    Raises ``DataError`` (a ``ValueError``) for an unknown feature or attribute name, and
    ``ValueError`` when the frame is too small to split and cross-validate.
    """
    features = feature_policy(exclude_features)
    protected = fairness.validate_attributes(protected_attributes)
    if interval_method not in METHODS:
        raise ValueError(f"interval_method must be one of {', '.join(METHODS)}")
    if frame[schema.TARGET].nunique() < 2:
        raise ValueError(f"{schema.TARGET} has the same value in every row: nothing to learn")
    started = time.perf_counter()
    say = progress or (lambda message: None)
    chosen = [CANDIDATES_BY_NAME[n] for n in candidates] if candidates else list(CANDIDATES)
    train_frame, test_frame = split(frame, seed=seed)
    X_train, y_train = train_frame[features], train_frame[schema.TARGET]
    X_test, y_test = test_frame[list(schema.FEATURE_NAMES)], test_frame[schema.TARGET]
    say(f"split {len(frame)} rows: {len(train_frame)} for training, {len(test_frame)} held out")
    if len(features) < len(schema.FEATURE_NAMES):
        say(f"features used: {', '.join(features)}")

    leaderboard = []
    for candidate in chosen:
        row = search_candidate(candidate, X_train, y_train, quick=quick, seed=seed, n_jobs=n_jobs)
        leaderboard.append(row)
        say(
            f"{candidate.name:>14}: CV R² {row['cv_r2_mean']:.4f} ± {row['cv_r2_std']:.4f} "
            f"({row['n_splits']} folds, {row['search_seconds']:.1f} s)"
        )
    leaderboard.sort(key=lambda r: r["cv_r2_mean"], reverse=True)
    winner = leaderboard[0]
    candidate = CANDIDATES_BY_NAME[winner["name"]]

    fit_options = {
        "protected_attributes": protected,
        "interval_method": interval_method,
        "seed": seed,
        "n_jobs": n_jobs,
    }
    model = fit_calibrated(
        candidate, winner["params"], train_frame, features=features, **fit_options
    )
    half_width = model.interval_half_width

    fast = model.compile_fast_path(X_test)
    say(
        f"single-row fast path ({fast['kind']}): "
        + (
            f"verified on {fast['rows']} held-out rows (max error {fast['max_abs_error']:.1e})"
            if fast["verified"]
            else f"not used, {fast['reason']}; serving uses the pipeline"
        )
    )

    test_pred, low, high = _served_interval(model, X_test)
    scored = regression_metrics(y_test, test_pred)
    inside = (y_test.to_numpy() >= low) & (y_test.to_numpy() <= high)
    metrics = {
        "test_r2": scored["r2"],
        "test_mae": scored["mae"],
        "test_rmse": scored["rmse"],
        "cv_r2_mean": winner["cv_r2_mean"],
        "cv_r2_std": winner["cv_r2_std"],
        "interval_level": INTERVAL_LEVEL,
        "interval_half_width": half_width,
        "interval_coverage": float(inside.mean()),
        "interval_width": float((high - low).mean()),
    }
    interval_calibration = {
        "method": model.interval_method,
        "level": INTERVAL_LEVEL,
        "marginal_half_width": half_width,
        "mondrian": model.mondrian.as_dict(),
        "conditional": model.conditional.as_dict(),
        "holdout": {
            "marginal": interval_metrics(y_test, test_pred, half_width),
            "mondrian": interval_metrics(y_test, test_pred, model.mondrian.half_width_rows(X_test)),
            "conditional": interval_metrics(
                y_test, test_pred, model.conditional.half_width_rows(X_test)
            ),
        },
    }
    say(
        f"winner {candidate.name}: held-out R² {metrics['test_r2']:.4f}, "
        f"MAE {metrics['test_mae']:.2f}, RMSE {metrics['test_rmse']:.2f}, "
        f"90% interval coverage {metrics['interval_coverage']:.3f} ({model.interval_method})"
    )
    flags, _ = model.flag_unusual(X_test)
    unusual = {**model.unusual_profile.as_dict(), "holdout_flagged": int(flags.sum())}

    report: dict = {}
    if fairness_resamples:
        variants = {}
        for dropped in [a for a in protected if a in features]:
            kept = [f for f in features if f != dropped]
            variant = fit_calibrated(
                candidate, winner["params"], train_frame, features=kept, **fit_options
            )
            point, v_low, v_high = _served_interval(variant, X_test)
            variants[dropped] = {"features": kept, "point": point, "low": v_low, "high": v_high}
        report = fairness.fairness_report(
            test_frame,
            point=test_pred,
            low=low,
            high=high,
            features=features,
            variants=variants,
            attributes=protected,
            level=INTERVAL_LEVEL,
            interval_method=model.interval_method,
            seed=seed,
            n_resamples=fairness_resamples,
        )
        for line in report["sentences"]:
            say(f"fairness: {line}")
    return TrainingResult(
        model=model,
        name=candidate.name,
        algorithm=candidate.algorithm,
        params=winner["params"],
        leaderboard=leaderboard,
        metrics=metrics,
        data_fingerprint=fingerprint(frame),
        rows={"total": len(frame), "train": len(train_frame), "test": len(test_frame)},
        library_versions=model.library_versions,
        training_seconds=round(time.perf_counter() - started, 2),
        reference_profile=reference_profile(train_frame, test_pred),
        subgroup_errors=subgroup_errors(test_frame, test_pred),
        holdout=test_frame,
        seed=seed,
        train_row_hashes=row_hashes(train_frame),
        quick=quick,
        features=list(features),
        excluded_features=[f for f in schema.FEATURE_NAMES if f not in features],
        fairness=report,
        interval_calibration=interval_calibration,
        unusual=unusual,
    )
