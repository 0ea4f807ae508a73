"""Writes of the model registry: register a trained version, promote it, roll back.

Each runs in one transaction and leaves an audit event."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from ml import artifact
from ml.data import row_hashes
from ml.train import TrainingResult, regression_metrics
from predictor.errors import (
    LifecycleError,
    NoModelError,
    ServiceError,
)
from predictor.models import ModelArtifact, ModelVersion, ModelVersionEvent
from predictor.registry import serving
from predictor.registry.selectors import rollback_target


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
    """Store a trained model as a new version and promote it when it earns it.

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
            model_version=version, data=data, train_row_hashes=result.train_row_hashes
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


def model_version_promote(
    *,
    model_version: ModelVersion,
    actor=None,
    actor_label: str = "",
    reason: str = "",
    action: str = ModelVersionEvent.Action.PROMOTE,
) -> ModelVersion:
    """Make ``model_version`` the one production version, archiving the previous one.

    Runs in one transaction with the previous production row locked; the partial unique
    constraint on status guarantees there is never a second production row.
    Raises ``LifecycleError`` when the version is already in production.
    """
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
