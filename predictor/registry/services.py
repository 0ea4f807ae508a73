"""Writes of the model registry: register a trained version, promote it, roll back.

Each runs in one transaction and leaves an audit event."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Max

from ml import artifact, schema, synth
from ml.data import row_hashes
from ml.metrics import regression_metrics
from ml.train import TrainingResult
from predictor.errors import (
    FairnessGateError,
    LifecycleError,
    ModelUnavailableError,
    NoModelError,
    PreflightError,
    ReasonRequiredError,
    ServiceError,
)
from predictor.models import ModelArtifact, ModelVersion, ModelVersionEvent
from predictor.registry import selectors, serving
from predictor.registry.fairness_gate import GateResult, fairness_gate, promotion_fairness_gate
from predictor.registry.selectors import rollback_target

logger = logging.getLogger(__name__)


def _next_version() -> int:
    return (ModelVersion.objects.aggregate(top=Max("version"))["top"] or 0) + 1


def promotion_decision(result: TrainingResult) -> tuple[bool, str]:
    """Whether a new training result should replace production, and why.

    Both models score the new result's held-out rows, less any row production was fitted
    on (known from its stored training-row hashes), so neither is graded on rows it has
    seen. The new version must have a strictly lower RMSE there. No production version →
    promote; no unseen rows left to compare on → keep as a candidate.
    """
    current = ModelVersion.objects.production().first()
    if current is None:
        return True, "no version was in production"
    try:
        rival = serving.load(current.pk).model
    except ServiceError as exc:
        return True, f"production v{current.version} cannot be loaded ({exc.message})"
    seen = set(
        ModelArtifact.objects.filter(pk=current.pk).values_list("train_row_hashes", flat=True).get()
    )
    holdout = result.holdout
    unseen = [h not in seen for h in row_hashes(holdout)]
    holdout = holdout[unseen]
    if len(holdout) == 0:
        return False, (
            f"cannot compare fairly: production v{current.version} was fitted on every "
            "held-out row; promote it by hand if you trust the held-out metrics"
        )
    target = holdout["math_score"]
    theirs = regression_metrics(target, rival.predict_point(holdout))
    ours = regression_metrics(target, result.model.predict_point(holdout))
    comparison = (
        f"RMSE {ours['rmse']:.3f} vs {theirs['rmse']:.3f} (R² {ours['r2']:.4f} vs "
        f"{theirs['r2']:.4f}) for production v{current.version} on the same {len(holdout)} "
        "held-out rows, none of which either model was fitted on"
    )
    if ours["rmse"] < theirs["rmse"]:
        return True, f"beats production: {comparison}"
    return False, f"does not beat production: {comparison}"


def model_version_register(
    *,
    result: TrainingResult,
    data_source: str = "",
    data_report: dict | None = None,
    promote: bool = True,
    actor=None,
    actor_label: str = "",
) -> tuple[ModelVersion, bool, str]:
    """Store a trained model as a new version and promote it when it earns it: it beats
    production (``promotion_decision``), or none is in production, and, when one is, the
    fairness gate passes; ``model_version_promote`` then runs the pre-flight.

    ``promote=False`` registers a candidate without comparing. Returns
    ``(model_version, promoted, reason)``.
    """
    if result.model.fast_path_report is None:
        # A model trained elsewhere: verify a fast path here, on its own held-out rows.
        result.model.compile_fast_path(result.holdout)
    data, digest = artifact.dumps(result.model)
    if promote:
        should_promote, reason = promotion_decision(result)
    else:
        should_promote, reason = False, "registered with --no-promote"
    with transaction.atomic():
        version = ModelVersion.objects.create(
            version=_next_version(),
            name=result.name,
            algorithm=result.algorithm,
            params=result.params,
            leaderboard=result.leaderboard,
            metrics=result.metrics,
            subgroup_errors=result.subgroup_errors,
            reference_profile=result.reference_profile,
            interval_calibration={
                **result.interval_calibration,
                "level": result.metrics["interval_level"],
                "half_width": result.metrics["interval_half_width"],
            },
            features=list(result.features),
            fairness=result.fairness,
            unusual=result.unusual,
            data_fingerprint=result.data_fingerprint,
            data_source=data_source[:500],
            data_report=data_report or {},
            rows=result.rows,
            seed=result.seed,
            quick=result.quick,
            library_versions=result.library_versions,
            training_seconds=result.training_seconds,
            artifact_sha256=digest,
            artifact_bytes=len(data),
        )
        ModelArtifact.objects.create(
            model_version=version,
            data=data,
            train_row_hashes=result.train_row_hashes,
            holdout=json.loads(result.holdout.to_json(orient="records")),
        )
        current = ModelVersion.objects.production().first()
        if should_promote and current is not None:
            # The fairness gate, on the rows promotion_decision compared on (the new
            # held-out rows; the gate leaves out those either was fitted on) and the live
            # replay. With nothing in production there is nothing fairer to keep serving:
            # the card shows the report.
            gate = fairness_gate(candidate=version, production=current, rows=result.holdout)
            if not gate.passed:
                should_promote = False
                reason = (
                    f"{reason}; kept as a candidate, as the fairness gate refused: "
                    f"{'; '.join(gate.reasons)}"
                )
        ModelVersionEvent.objects.create(
            action=ModelVersionEvent.Action.REGISTER,
            model_version=version,
            actor=actor,
            actor_label=actor_label,
            reason=reason,
        )
        if should_promote:
            model_version_promote(
                model_version=version, actor=actor, actor_label=actor_label, reason=reason
            )
    return version, should_promote, reason


# Pre-flight: how far a version's held-out figures scored again may be from those it
# recorded at training (points; float noise across processes is far smaller).
PREFLIGHT_TOLERANCE = 1e-3
# Rows scored one at a time as serving does (the single-row path) at pre-flight.
PREFLIGHT_SINGLE_ROWS = 20


def model_version_preflight(*, model_version: ModelVersion) -> str:
    """Check that ``model_version`` can serve before it is put in production: load it
    through ``serving.load`` (the one loader), score its stored held-out rows in bulk and
    one at a time, and check they reproduce the held-out RMSE and MAE recorded at
    training within ``PREFLIGHT_TOLERANCE`` points and that every score lies in 0–100.

    Returns a one-line summary of what was checked. Raises ``PreflightError`` naming the
    fault. A version registered before held-out rows were stored is checked on a
    generated sample for load and range only, and the summary says so.
    """
    try:
        model = serving.load(model_version.pk).model
    except ServiceError as exc:
        raise PreflightError(f"pre-flight failed: {exc.message}") from None
    rows = ModelArtifact.objects.filter(pk=model_version.pk).values_list("holdout", flat=True).get()
    try:
        if rows:
            return _preflight_holdout(model, model_version, pd.DataFrame.from_records(rows))
        return _preflight_sample(model, model_version)
    except PreflightError:
        raise
    except Exception as exc:
        raise PreflightError(
            f"pre-flight failed: v{model_version.version} cannot score its held-out rows "
            f"({type(exc).__name__}: {exc})"
        ) from None


def _preflight_holdout(model, model_version: ModelVersion, holdout: pd.DataFrame) -> str:
    version = model_version.version
    scored = model.predict(holdout)
    points = np.asarray(scored.point, dtype=float)
    if not np.all(np.isfinite(points)) or points.min() < 0 or points.max() > 100:
        raise PreflightError(f"pre-flight failed: v{version} scores outside 0–100")
    figures = regression_metrics(holdout[schema.TARGET], points)
    recorded = model_version.metrics
    for name, key in (("RMSE", "rmse"), ("MAE", "mae")):
        expected = recorded.get(f"test_{key}")
        if expected is not None and abs(figures[key] - expected) > PREFLIGHT_TOLERANCE:
            raise PreflightError(
                f"pre-flight failed: v{version} scores its {len(holdout)} held-out rows with "
                f"{name} {figures[key]:.4f}, not the {expected:.4f} recorded at training"
            )
    for i, record in enumerate(holdout.head(PREFLIGHT_SINGLE_ROWS).to_dict("records")):
        one = model.predict_one({name: record[name] for name in schema.FEATURE_NAMES})
        if abs(one["predicted_math_score"] - points[i]) > PREFLIGHT_TOLERANCE:
            raise PreflightError(
                f"pre-flight failed: v{version} scores held-out row {i} as "
                f"{one['predicted_math_score']:.3f} alone and {points[i]:.3f} in bulk"
            )
    return (
        f"pre-flight passed: v{version} loads and reproduces its held-out RMSE "
        f"{figures['rmse']:.3f} on {len(holdout)} rows"
    )


def _preflight_sample(model, model_version: ModelVersion) -> str:
    sample = synth.generate(n_rows=50, seed=0)
    points = np.asarray(model.predict(sample).point, dtype=float)
    if not np.all(np.isfinite(points)) or points.min() < 0 or points.max() > 100:
        raise PreflightError(f"pre-flight failed: v{model_version.version} scores outside 0–100")
    return (
        f"pre-flight passed: v{model_version.version} loads and scores 50 generated students "
        "(it has no stored held-out rows to compare)"
    )


def model_version_promote(
    *,
    model_version: ModelVersion,
    actor=None,
    actor_label: str = "",
    reason: str = "",
    action: str = ModelVersionEvent.Action.PROMOTE,
) -> ModelVersion:
    """Make ``model_version`` the one production version, archiving the previous one.

    The version first passes ``model_version_preflight``; then, in one transaction with
    the previous production row locked, it becomes production (the partial unique
    constraint on status guarantees there is never a second production row) and an
    audit event is written. Raises ``PreflightError`` when the version cannot serve and
    ``LifecycleError`` when it is already in production.
    """
    if ModelVersion.objects.filter(pk=model_version.pk).production().exists():
        raise LifecycleError(f"v{model_version.version} is already in production")
    model_version_preflight(model_version=model_version)
    with transaction.atomic():
        previous = ModelVersion.objects.select_for_update().production().first()
        target = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
        if previous is not None and previous.pk == target.pk:
            raise LifecycleError(f"v{target.version} is already in production")
        if previous is not None:
            previous.status = ModelVersion.Status.ARCHIVED
            previous.save(update_fields=["status"])
        target.status = ModelVersion.Status.PRODUCTION
        target.save(update_fields=["status"])
        ModelVersionEvent.objects.create(
            action=action,
            model_version=target,
            previous_production=previous,
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=actor_label or (actor.get_username() if actor else ""),
            reason=reason,
        )
    transaction.on_commit(serving.reset)
    return target


def model_version_promote_reviewed(
    *,
    model_version: ModelVersion,
    actor=None,
    reason: str,
    override_fairness_gate: bool = False,
) -> tuple[ModelVersion, GateResult]:
    """A person's promotion (admin confirmation page, ``POST …/promote/``): a reason is
    required, the fairness gate runs, and a refusal stands unless ``override_fairness_gate``
    is set. Then ``model_version_promote`` (pre-flight, then the switch). Returns
    ``(version now in production, gate)``.

    The audit event keeps the reason as given; an override adds what the gate refused, so
    the trail shows who overrode which finding and why. Raises ``ReasonRequiredError``
    (400) for a blank reason, ``LifecycleError`` when the version is already in
    production, ``FairnessGateError`` (409, with ``reasons``) when the gate refuses and
    there is no override, and what ``model_version_promote`` raises.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequiredError(
            "reason: say why this version should serve, in a sentence; it is kept in the "
            "audit trail"
        )
    if model_version.status == ModelVersion.Status.PRODUCTION:
        raise LifecycleError(f"v{model_version.version} is already in production")
    # Pre-flight first: a version that cannot serve is refused as such (409
    # preflight_failed), before the gate tries to score with it.
    model_version_preflight(model_version=model_version)
    gate = promotion_fairness_gate(model_version=model_version)
    if not gate.passed:
        if not override_fairness_gate:
            raise FairnessGateError(
                f"the fairness gate refused v{model_version.version}: "
                + "; ".join(gate.reasons)
                + ". To promote it anyway, override the gate and say why.",
                gate.reasons,
            )
        reason = f"{reason}\n\nFairness gate overridden; it refused: " + "; ".join(gate.reasons)
    promoted = model_version_promote(model_version=model_version, actor=actor, reason=reason)
    return promoted, gate


def model_version_rollback(*, actor=None, actor_label: str = "", reason: str = "") -> ModelVersion:
    """Put back the version that the current production version replaced when it was
    promoted (``selectors.rollback_target``), in one transaction.

    Repeated rollbacks walk back through the promotions: v3 → v2 → v1.
    Raises ``NoModelError`` when nothing is in production and ``LifecycleError`` when the
    current version has no predecessor.
    """
    with transaction.atomic():
        current = ModelVersion.objects.select_for_update().production().first()
        if current is None:
            raise NoModelError("no version is in production, so there is nothing to roll back")
        target = rollback_target(current=current)
        if target is None:
            raise LifecycleError(f"v{current.version} has no previous production version")
        return model_version_promote(
            model_version=target,
            actor=actor,
            actor_label=actor_label,
            reason=reason or f"rolled back from v{current.version}",
            action=ModelVersionEvent.Action.ROLLBACK,
        )


# Who the audit trail names for a rollback nobody asked for.
SYSTEM_ACTOR = "system (automatic rollback)"


def model_version_rollback_automatic(*, failed_version_id: int, error: str) -> ModelVersion:
    """Roll production back by itself when the version in production cannot serve.

    Called by the serving layer when ``failed_version_id`` cannot be loaded or scored.
    If it is still in production, the newest earlier production version (most recent
    time in production first) that passes ``model_version_preflight`` replaces it; the
    audit event names ``SYSTEM_ACTOR`` and the error. When another process already
    rolled back, nothing is done. Returns the version now in production.

    Raises ``ModelUnavailableError`` (503) when no earlier version can serve: production
    is left as it is, so the fault stays visible on the dashboard and in ``/readyz``.
    """
    with transaction.atomic():
        current = ModelVersion.objects.select_for_update().production().first()
        if current is None:
            raise NoModelError()
        if current.pk != failed_version_id:
            return current  # another process got here first
        faults = [f"v{current.version}: {error}"]
        for candidate in selectors.former_production_versions(current=current):
            try:
                model_version_preflight(model_version=candidate)
            except PreflightError as exc:
                faults.append(exc.message.removeprefix("pre-flight failed: "))
                continue
            current.status = ModelVersion.Status.ARCHIVED
            current.save(update_fields=["status"])
            candidate.status = ModelVersion.Status.PRODUCTION
            candidate.save(update_fields=["status"])
            ModelVersionEvent.objects.create(
                action=ModelVersionEvent.Action.ROLLBACK,
                model_version=candidate,
                previous_production=current,
                actor_label=SYSTEM_ACTOR,
                reason=f"automatic rollback: v{current.version} cannot serve ({error})",
            )
            logger.error(
                "automatic rollback from v%s to v%s: %s", current.version, candidate.version, error
            )
            # No serving.reset here: the serving layer that called loads the restored
            # version itself, and other processes notice within SERVING_REFRESH_SECONDS.
            return candidate
    raise ModelUnavailableError(
        f"model v{current.version} cannot serve and no earlier version can replace it "
        f"({'; '.join(faults)}); an administrator must train or promote a working version"
    )
