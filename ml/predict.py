"""Scoring with a fitted model: point prediction, conformal interval and contributions.

``FittedModel`` is what ``ml.train`` produces and ``ml.artifact`` serialises: the fitted
Pipeline plus what serving needs beside it (interval half-width, explanation background).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata
from itertools import product

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ml import explain, schema
from ml.conditional import ConditionalCalibration
from ml.conformal import CONDITIONAL, MARGINAL, MONDRIAN, MondrianCalibration
from ml.fastpath import FastPath, compile_fast_path
from ml.features import feature_index, used_columns
from ml.unusual import UnusualProfile

# A fast path must agree with the pipeline to this many points on every held-out row.
FAST_PATH_TOLERANCE = 1e-6

# The libraries whose versions must match between training and serving, because the
# artifact pickles their objects.
TRACKED_LIBRARIES = ("numpy", "scipy", "pandas", "scikit-learn", "catboost", "xgboost", "joblib")


def library_versions() -> dict[str, str]:
    """Installed versions of Python and ``TRACKED_LIBRARIES``: ``{"python": "3.11.7", ...}``."""
    versions = {"python": platform.python_version()}
    for name in TRACKED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            # xgboost ships as the xgboost-cpu distribution; same import name.
            try:
                versions[name] = metadata.version(f"{name}-cpu")
            except metadata.PackageNotFoundError:
                versions[name] = "not installed"
    return versions


@dataclass
class PredictionBatch:
    """Scores for ``n`` rows, all in points.

    ``point``, ``low``, ``high``, ``baseline``: shape ``(n,)``; ``contributions``: shape
    ``(n, 7)`` in ``schema.FEATURE_NAMES`` order. ``point``, ``low`` and ``high`` are on the
    0–100 scale (clipped); ``baseline + contributions.sum(axis=1)`` is the model's own
    output, which equals ``point`` unless clipping moved it (a student the model scores
    past 100 or below 0). ``features``: the features the model uses; a feature it was
    trained without has a contribution of exactly 0. ``unusual``: bool shape ``(n,)``,
    true for a student unlike the training rows (``ml.unusual``), with
    ``unusual_reasons`` one string per row ("" when not flagged). ``warnings``: per row,
    what a reader of the score must know (``unseen_warning``: a category the model never
    saw, whose contribution is then 0), ``[]`` when nothing.
    """

    point: np.ndarray
    low: np.ndarray
    high: np.ndarray
    level: float
    baseline: np.ndarray
    contributions: np.ndarray
    features: tuple[str, ...] = schema.FEATURE_NAMES
    unusual: np.ndarray | None = None
    unusual_reasons: list[str] | None = None
    warnings: list[list[str]] | None = None

    def __len__(self) -> int:
        return len(self.point)

    def row(self, i: int) -> dict:
        """Row ``i`` as plain Python: score, interval, baseline, ``{feature: points}`` for
        all seven features (0 for one the model does not use), ``features_used`` (list)
        ``unusual`` (``{"flagged": bool, "reason": str}``) and ``warnings`` (list of
        str)."""
        flagged = bool(self.unusual[i]) if self.unusual is not None else False
        return {
            "predicted_math_score": float(self.point[i]),
            "interval": {
                "low": float(self.low[i]),
                "high": float(self.high[i]),
                "level": self.level,
            },
            "baseline": float(self.baseline[i]),
            "contributions": {
                name: float(self.contributions[i, j]) for j, name in enumerate(schema.FEATURE_NAMES)
            },
            "features_used": list(self.features),
            "unusual": {
                "flagged": flagged,
                "reason": self.unusual_reasons[i] if self.unusual_reasons else "",
            },
            "warnings": list(self.warnings[i]) if self.warnings else [],
        }


@dataclass
class FittedModel:
    """A fitted pipeline with its split-conformal interval and explanation background.

    ``interval_half_width`` (points) is the marginal conformal quantile of absolute
    out-of-fold residuals at ``interval_level``; ``background_mean`` is the mean of the
    preprocessor's output on the training rows (used by linear attributions).
    ``fast_path`` scores one row without pandas or scikit-learn's checks; it is set only by
    ``compile_fast_path``, after verification, and ``fast_path_report`` says how that went.

    Added with the feature policy and group-conditional intervals (all default to the old
    behaviour, so models pickled before them load and serve as they did):
    ``features``: the features the pipeline reads (``None``: all seven); inputs always
    carry all seven and the others are ignored. ``mondrian``: the per-group calibration
    (``ml.conformal.MondrianCalibration``); ``interval_method``: ``"marginal"`` (one
    half-width for everyone) or ``"mondrian"`` (per-row half-widths from ``mondrian``;
    marginal when it is missing) or ``"conditional"`` (per-row half-widths from
    ``conditional``, ``ml.conditional.ConditionalCalibration``; marginal when it is
    missing). ``unusual_profile``: ``ml.unusual.UnusualProfile``,
    ``None`` for older models (nobody is flagged).
    """

    pipeline: Pipeline
    name: str
    interval_level: float
    interval_half_width: float
    background_mean: np.ndarray
    library_versions: dict = field(default_factory=library_versions)
    # Class-level defaults, so that artifacts pickled before these fields load with None.
    fast_path: FastPath | None = None
    fast_path_report: dict | None = None
    features: tuple[str, ...] | None = None
    mondrian: MondrianCalibration | None = None
    interval_method: str = MARGINAL
    unusual_profile: UnusualProfile | None = None
    conditional: ConditionalCalibration | None = None

    @property
    def used_features(self) -> tuple[str, ...]:
        """The features the model reads, in schema order (all seven for older models)."""
        return tuple(self.features) if self.features is not None else schema.FEATURE_NAMES

    @property
    def serves_mondrian(self) -> bool:
        """Whether intervals are group-conditional (a calibration exists and is chosen)."""
        return self.interval_method == MONDRIAN and self.mondrian is not None

    @property
    def served_calibration(self) -> MondrianCalibration | ConditionalCalibration | None:
        """The per-group calibration the intervals come from, or ``None`` (marginal)."""
        if self.serves_mondrian:
            return self.mondrian
        if self.interval_method == CONDITIONAL:
            return self.conditional
        return None

    @property
    def categories_seen(self) -> dict[str, list[str]] | None:
        """The categories of each categorical feature the model reads that had training
        rows (``{"race_ethnicity": ["group B", ...], ...}``); ``None`` for models pickled
        before it was recorded, whose every category counts as seen."""
        if self.unusual_profile is None:
            return None
        return self.unusual_profile.categories_seen

    def unseen_categories(self, frame: pd.DataFrame) -> list[dict[str, str]]:
        """Per row, ``{feature: value}`` of the categories the model never saw in training
        (``{}`` for most rows)."""
        unseen: list[dict[str, str]] = [{} for _ in range(len(frame))]
        for name, seen in (self.categories_seen or {}).items():
            values = frame[name].astype(str).to_numpy()
            for i in np.flatnonzero(~np.isin(values, seen)):
                unseen[i][name] = values[i]
        return unseen

    def seen_shares(self, name: str) -> dict[str, float]:
        """``{category: share of the training rows}`` over the categories of ``name`` that
        the model saw, summing to 1: the one-hot columns' training means."""
        preprocess = self.pipeline.named_steps["preprocess"]
        columns = np.flatnonzero(feature_index(preprocess) == schema.FEATURE_NAMES.index(name))
        encoder = preprocess.named_transformers_["categorical"]
        categorical = used_columns(preprocess)["categorical"]
        categories = encoder.categories_[categorical.index(name)]
        seen = set(self.categories_seen.get(name, ()))
        shares = {
            str(c): float(self.background_mean[j])
            for c, j in zip(categories, columns, strict=True)
            if str(c) in seen
        }
        total = sum(shares.values())
        if total <= 0:
            return {c: 1 / len(seen) for c in seen}
        return {c: share / total for c, share in shares.items()}

    def _marginal_rows(self, frame: pd.DataFrame, unseen: list[dict[str, str]]):
        """``(rows, owner, weight)``: ``frame`` with each row that has an unseen category
        replaced by one row per seen category (every combination when several are
        unseen), weighted by the categories' training shares. ``owner[k]`` is the input
        row of ``rows``' row ``k``; each owner's weights sum to 1."""
        flagged = [i for i, names in enumerate(unseen) if names]
        keep = [i for i, names in enumerate(unseen) if not names]
        index, owner, weight, overrides = list(keep), list(keep), [1.0] * len(keep), []
        for i in flagged:
            names = list(unseen[i])
            options = [list(self.seen_shares(name).items()) for name in names]
            for combo in product(*options):
                index.append(i)
                owner.append(i)
                weight.append(float(np.prod([share for _, share in combo])))
                overrides.append(
                    (len(index) - 1, dict(zip(names, (c for c, _ in combo), strict=True)))
                )
        rows = frame.iloc[index].reset_index(drop=True)
        for k, values in overrides:
            for name, value in values.items():
                rows.at[k, name] = value
        return rows, np.asarray(owner), np.asarray(weight)

    def _raw_points(self, frame: pd.DataFrame, unseen: list[dict[str, str]]) -> np.ndarray:
        # A category the model never saw would be encoded as no category at all, a student
        # unlike any it was fitted on; it is scored as the average of the ones it saw.
        if not any(unseen):
            return np.asarray(self.pipeline.predict(frame[list(self.used_features)]), dtype=float)
        rows, owner, weight = self._marginal_rows(frame, unseen)
        raw = np.asarray(self.pipeline.predict(rows[list(self.used_features)]), dtype=float)
        return np.bincount(owner, weights=raw * weight, minlength=len(frame))

    def predict_point(self, frame: pd.DataFrame) -> np.ndarray:
        """Point predictions, shape ``(n,)``, for a frame with the schema's feature columns,
        clipped to the score scale (a linear model scores a top student past 100). A row
        with a category the model never saw scores as the training-share-weighted average
        of the same student with each category it saw."""
        frame = frame.reset_index(drop=True)
        raw = self._raw_points(frame, self.unseen_categories(frame))
        return np.clip(raw, schema.SCORE_MIN, schema.SCORE_MAX)

    def interval_half_widths(self, frame: pd.DataFrame) -> np.ndarray:
        """Per-row interval half-widths (points, before clipping), shape ``(n,)``: the
        served calibration's (Mondrian or conditional) when there is one, else
        ``interval_half_width`` for all."""
        if (calibration := self.served_calibration) is not None:
            return calibration.half_width_rows(frame)
        return np.full(len(frame), self.interval_half_width)

    def flag_unusual(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """``(flags, reasons)`` per row (``ml.unusual``); nobody is flagged by an older
        model without a profile."""
        if self.unusual_profile is None:
            return np.zeros(len(frame), dtype=bool), [""] * len(frame)
        return self.unusual_profile.flag_rows(frame)

    def predict(self, frame: pd.DataFrame) -> PredictionBatch:
        """Score every row of ``frame`` (clean values, schema feature columns) in one call.

        A row with a category the model never saw is scored as ``predict_point`` says, its
        contributions are the same weighted average, and that feature's is set to 0 (it
        is exactly 0 for a linear model; for trees its small remainder moves into the
        row's baseline, so that the contributions still sum to score − baseline), with
        ``unseen_warning`` in the row's ``warnings``."""
        frame = frame[list(schema.FEATURE_NAMES)].reset_index(drop=True)
        unseen = self.unseen_categories(frame)
        point = np.clip(self._raw_points(frame, unseen), schema.SCORE_MIN, schema.SCORE_MAX)
        if any(unseen):
            rows, owner, weight = self._marginal_rows(frame, unseen)
            row_baseline, row_contribs = explain.contributions(
                self.pipeline, rows[list(self.used_features)], background_mean=self.background_mean
            )
            n = len(frame)
            baseline = np.bincount(owner, weights=row_baseline * weight, minlength=n)
            contribs = np.stack(
                [
                    np.bincount(owner, weights=row_contribs[:, j] * weight, minlength=n)
                    for j in range(row_contribs.shape[1])
                ],
                axis=1,
            )
            for i, names in enumerate(unseen):
                for name in names:
                    j = schema.FEATURE_NAMES.index(name)
                    baseline[i] += contribs[i, j]
                    contribs[i, j] = 0.0
        else:
            baseline, contribs = explain.contributions(
                self.pipeline,
                frame[list(self.used_features)],
                background_mean=self.background_mean,
            )
        half_width = self.interval_half_widths(frame)
        low = np.clip(point - half_width, schema.SCORE_MIN, schema.SCORE_MAX)
        high = np.clip(point + half_width, schema.SCORE_MIN, schema.SCORE_MAX)
        flags, reasons = self.flag_unusual(frame)
        return PredictionBatch(
            point,
            low,
            high,
            self.interval_level,
            baseline,
            contribs,
            features=self.used_features,
            unusual=flags,
            unusual_reasons=reasons,
            warnings=[
                [
                    unseen_warning(name, value, self.categories_seen[name])
                    for name, value in u.items()
                ]
                for u in unseen
            ],
        )

    def predict_one(self, features: dict) -> dict:
        """Score one student: the same dict as ``predict(records_frame([features])).row(0)``,
        through the verified fast path when there is one (tens of microseconds for a
        linear model instead of milliseconds)."""
        if self.fast_path is None or any(
            str(features[name]) not in seen for name, seen in (self.categories_seen or {}).items()
        ):
            return self.predict(records_frame([features])).row(0)
        raw, baseline, contributions = self.fast_path.score(features)
        point = min(max(raw, schema.SCORE_MIN), schema.SCORE_MAX)
        if (calibration := self.served_calibration) is not None:
            half_width = calibration.half_width_one(features)
        else:
            half_width = self.interval_half_width
        flagged, reason = (
            self.unusual_profile.flag_one(features) if self.unusual_profile else (False, "")
        )
        return {
            "predicted_math_score": point,
            "interval": {
                "low": min(max(point - half_width, schema.SCORE_MIN), schema.SCORE_MAX),
                "high": min(max(point + half_width, schema.SCORE_MIN), schema.SCORE_MAX),
                "level": self.interval_level,
            },
            "baseline": baseline,
            "contributions": dict(zip(schema.FEATURE_NAMES, contributions, strict=True)),
            "features_used": list(self.used_features),
            "unusual": {"flagged": flagged, "reason": reason},
            "warnings": [],
        }

    def compile_fast_path(self, rows: pd.DataFrame) -> dict:
        """Build the single-row fast path and keep it only if, on every row of ``rows``
        (held-out students, schema feature columns), its point, baseline and
        contributions are within ``FAST_PATH_TOLERANCE`` points of the pipeline's own.

        Returns and stores the report ``{"kind", "verified": bool, "rows",
        "max_abs_error", "reason"}``; on failure ``fast_path`` stays ``None`` and
        ``predict_one`` uses the pipeline.
        """
        self.fast_path = None
        try:
            candidate = compile_fast_path(self.pipeline, self.background_mean)
        except (TypeError, ValueError, AttributeError) as exc:
            candidate, reason = None, f"could not compile: {exc}"
        else:
            reason = "no fast path for this estimator" if candidate is None else ""
        report = {"kind": getattr(candidate, "kind", "none"), "verified": False, "rows": 0}
        if candidate is not None and len(rows) == 0:
            reason = "no rows to verify on"
        elif candidate is not None:
            frame = rows[list(schema.FEATURE_NAMES)].reset_index(drop=True)
            reference = self.predict(frame)
            fast = [candidate.score(record) for record in _clean_records(frame)]
            errors = [
                np.abs(
                    np.clip([f[0] for f in fast], schema.SCORE_MIN, schema.SCORE_MAX)
                    - reference.point
                ),
                np.abs(np.array([f[1] for f in fast]) - reference.baseline),
                np.abs(np.array([f[2] for f in fast]) - reference.contributions).ravel(),
            ]
            worst = float(max(e.max() for e in errors))
            report.update(rows=len(frame), max_abs_error=worst)
            if worst <= FAST_PATH_TOLERANCE:
                self.fast_path = candidate
                report["verified"] = True
            else:
                reason = f"differs from the pipeline by up to {worst:.3g} points"
        report["reason"] = reason
        self.fast_path_report = report
        return report


def unseen_warning(name: str, value: str, seen) -> str:
    """The warning a score carries when feature ``name``'s ``value`` had no training rows,
    e.g. ``'race_ethnicity "group A" was not in this model's training data: it was scored
    as an average student of the others it saw (group B, ...) and gets no points of its
    own'``."""
    return (
        f'{name} "{value}" was not in this model\'s training data: it was scored as an '
        f"average student of the others it saw ({', '.join(seen)}), weighted as they were in "
        "training, and gets no points of its own"
    )


def _clean_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as the dicts the web layer hands over: plain ``str`` and ``int`` values."""
    records = frame.to_dict("records")
    for record in records:
        for name in schema.NUMERIC_FEATURES:
            record[name] = int(record[name])
    return records


def records_frame(records: list[dict]) -> pd.DataFrame:
    """A frame of clean feature records (dicts keyed by feature name), in schema order."""
    frame = pd.DataFrame.from_records(records, columns=list(schema.FEATURE_NAMES))
    for name in schema.NUMERIC_FEATURES:
        frame[name] = frame[name].astype("int64")
    return frame
