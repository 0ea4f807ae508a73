"""Reads of the model registry: versions, cards, the audit trail, rollback targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import (
    Count,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Abs, Cast

from ml import drift
from predictor.models import ModelVersion, ModelVersionEvent, Prediction
from predictor.registry import cards


def model_version_list() -> QuerySet[ModelVersion]:
    """Model versions, newest first (their artifacts are in a table of their own)."""
    return ModelVersion.objects.all()


def model_version_get(*, version: int) -> ModelVersion | None:
    """One version (no artifact bytes) with its status history, newest event first; each
    event carries ``previous_version`` (number or ``None``) and ``actor_username``."""
    # Annotated, not select_related: joining the previous version would load its artifact.
    events = ModelVersionEvent.objects.annotate(
        previous_version=F("previous_production__version"), actor_username=F("actor__username")
    )
    return (
        model_version_list()
        .prefetch_related(Prefetch("events", queryset=events))
        .filter(version=version)
        .first()
    )


@dataclass
class ModelVersionCard:
    """A model version laid out for its card page (``cards`` words every part):
    ``summary`` the plain first line; ``provenance`` sentences about its data;
    ``features_used`` / ``features_excluded`` labels, comma-separated; ``fairness`` the
    per-attribute tables and ``fairness_sentences`` the with/without trade-offs in words;
    ``subgroups`` and ``largest_gap`` the held-out errors per categorical feature."""

    model_version: ModelVersion
    subgroups: list[dict]
    largest_gap: str
    summary: str = ""
    provenance: list[str] = field(default_factory=list)
    features_used: str = ""
    features_excluded: str = ""
    fairness: list[dict] = field(default_factory=list)
    fairness_sentences: list[str] = field(default_factory=list)
    sign_convention: str = ""
    interval_groups: str = ""


def model_version_card(*, version: int) -> ModelVersionCard | None:
    """The card of one version, or ``None`` when there is no such version."""
    model_version = model_version_get(version=version)
    if model_version is None:
        return None
    used, excluded = cards.features_text(model_version.features_used)
    report = model_version.fairness or {}
    return ModelVersionCard(
        model_version=model_version,
        subgroups=cards.subgroup_tables(model_version.subgroup_errors),
        largest_gap=cards.largest_gap_text(model_version.subgroup_errors),
        summary=cards.plain_summary(model_version.metrics),
        provenance=cards.provenance(model_version.data_source),
        features_used=used,
        features_excluded=excluded,
        fairness=cards.fairness_tables(report),
        fairness_sentences=list(report.get("sentences", [])),
        sign_convention=report.get("sign_convention", ""),
        interval_groups=cards.interval_groups_text(model_version.interval_calibration),
    )


def production_version() -> ModelVersion | None:
    """The version in production, or ``None``."""
    return ModelVersion.objects.production().first()


# What a list of status changes shows of an event and the versions and actor it names.
EVENT_FIELDS = (
    "created_at",
    "action",
    "reason",
    "actor_label",
    "model_version__version",
    "previous_production__version",
    "actor__username",
)


def model_version_events(*, model_version: ModelVersion) -> QuerySet[ModelVersionEvent]:
    """Status changes that involve ``model_version`` (as the new or the replaced production
    version), newest first, with both versions and the actor joined."""
    return (
        ModelVersionEvent.objects.filter(
            Q(model_version=model_version) | Q(previous_production=model_version)
        )
        .select_related("model_version", "previous_production", "actor")
        .only(*EVENT_FIELDS)
    )


def rollback_target(*, current: ModelVersion) -> ModelVersion | None:
    """The version a rollback from ``current`` restores: the one ``current`` replaced when it
    was last *promoted*, or ``None``.

    Rollbacks do not count, so repeated rollbacks walk back through the promotions
    (v3 → v2 → v1) instead of toggling between the last two versions.
    """
    event = (
        ModelVersionEvent.objects.filter(
            model_version=current,
            action=ModelVersionEvent.Action.PROMOTE,
            previous_production__isnull=False,
        )
        .select_related("previous_production")
        .first()
    )
    return event.previous_production if event else None


def former_production_versions(*, current: ModelVersion) -> list[ModelVersion]:
    """Versions other than ``current`` that were once in production, the one most
    recently put there first (by their last promote or rollback event)."""
    last_time = (
        ModelVersionEvent.objects.filter(
            model_version=OuterRef("pk"),
            action__in=[ModelVersionEvent.Action.PROMOTE, ModelVersionEvent.Action.ROLLBACK],
        )
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return list(
        ModelVersion.objects.exclude(pk=current.pk)
        .annotate(last_in_production=Subquery(last_time))
        .filter(last_in_production__isnull=False)
        .order_by("-last_in_production", "-version")
    )


def live_accuracy_by_version(
    *, since: datetime | None = None, until: datetime | None = None
) -> dict[int, dict]:
    """Live accuracy and traffic per model version (by row id) of the predictions made
    after ``since`` up to ``until`` (``None``: no bound), one GROUP BY.

    Returns ``{model_version_id: {"served": scored attempts, "n", "mae", "rmse", "r2",
    "coverage"}}`` where ``n`` counts those with a recorded actual score
    (``ml.drift.accuracy_from_sums``).
    """
    with_outcome = Q(actual_math_score__isnull=False)
    error = F("actual_math_score") - F("predicted_math_score")
    actual = Cast("actual_math_score", FloatField())
    rows = (
        _scored(since=since, until=until)
        .filter(model_version__isnull=False)
        .values("model_version_id")
        .annotate(
            served=Count("*"),
            n=Count("id", filter=with_outcome),
            sum_abs_error=Sum(Abs(error), filter=with_outcome, output_field=FloatField()),
            sum_squared_error=Sum(error * error, filter=with_outcome, output_field=FloatField()),
            sum_actual=Sum(actual, filter=with_outcome),
            sum_actual_squared=Sum(actual * actual, filter=with_outcome),
            n_covered=Count(
                "id",
                filter=with_outcome
                & Q(actual_math_score__gte=F("interval_low"))
                & Q(actual_math_score__lte=F("interval_high")),
            ),
        )
    )
    result = {}
    for row in rows:
        sums = {k: row[k] or 0 for k in ("sum_abs_error", "sum_squared_error", "sum_actual")}
        accuracy = drift.accuracy_from_sums(
            n=row["n"],
            n_covered=row["n_covered"],
            sum_actual_squared=row["sum_actual_squared"] or 0,
            **sums,
        )
        result[row["model_version_id"]] = {"served": row["served"], **accuracy}
    return result


def _scored(*, since: datetime | None, until: datetime | None) -> QuerySet[Prediction]:
    rows = Prediction.objects.order_by().filter(status=Prediction.Status.OK)
    if until is not None:
        rows = rows.filter(created_at__lte=until)
    if since is not None:
        rows = rows.filter(created_at__gt=since)
    return rows


def live_metrics() -> dict[int, dict]:
    """All-time live accuracy and traffic per version, keyed by ModelVersion id."""
    return live_accuracy_by_version()


@dataclass
class PromotionReview:
    """What the promotion confirmation page compares (issue 15, item 10).

    ``rows``: ``[{"label", "current", "target", "worse", "greyed"}]`` with values as text
    (rounded) and ``worse`` true when the target is worse on that figure; ``alerts``:
    ``{"current": [text], "target": [text]}``; ``warnings``: sentences for the top of
    the page (the target is worse on a figure shown; the held-out rows differ)."""

    rows: list[dict]
    alerts: dict[str, list[str]]
    warnings: list[str]


def _version_alerts(model_version: ModelVersion | None, live: dict) -> list[str]:
    """Alerts that concern one version now: its live accuracy or coverage past the alert
    lines, automatic rollbacks away from it, and the latest scheduled report's alerts that
    name it."""
    from predictor.models import MonitoringReport
    from predictor.registry.fairness_gate import COVERAGE_FLOOR

    if model_version is None:
        return []
    found = []
    enough = live.get("n", 0) >= drift.MIN_OUTCOMES
    if drift.accuracy_alert(live, (model_version.metrics or {}).get("test_mae")):
        found.append(
            f"live MAE {live['mae']:.1f} points is over {drift.ACCURACY_ALERT_RATIO}× the "
            f"held-out MAE ({live['n']} real scores)"
        )
    if enough and live.get("coverage") is not None and live["coverage"] < COVERAGE_FLOOR:
        found.append(
            f"the 90% range held for only {live['coverage']:.0%} of {live['n']} real scores"
        )
    failures = ModelVersionEvent.objects.filter(
        action=ModelVersionEvent.Action.ROLLBACK,
        previous_production=model_version,
        reason__startswith="automatic rollback",
    ).count()
    if failures:
        found.append(f"rolled back automatically {failures}× because it could not serve")
    latest = MonitoringReport.objects.exclude(alerts=[]).order_by("-created_at").first()
    tag = f"v{model_version.version}"
    for text in latest.alerts if latest else []:
        if any(word.strip(":,.()") == tag for word in str(text).split()):
            found.append(f"scheduled report ({latest.window}): {text}")
    return found


# The confirmation page's figures: (label, "held" (stored metrics) or "live", key, format,
# higher is better: True / False, or None for a count that is never "worse").
REVIEW_FIGURES = (
    ("Held-out MAE (points)", "held", "test_mae", "{:.2f}", False),
    ("Held-out R²", "held", "test_r2", "{:.3f}", True),
    ("Held-out 90% range coverage", "held", "interval_coverage", "{:.1%}", True),
    ("Real scores recorded (live)", "live", "n", "{:,}", None),
    ("Live MAE (points)", "live", "mae", "{:.2f}", False),
    ("Live 90% range coverage", "live", "coverage", "{:.1%}", True),
)


def promotion_review(*, current: ModelVersion | None, target: ModelVersion) -> PromotionReview:
    """Held-out and live figures of both versions, their alerts, and warnings (see
    ``PromotionReview``). Live figures from fewer than ``drift.MIN_OUTCOMES`` real scores
    are shown greyed and never count as worse. Reads only; no model is run."""
    live = live_metrics()
    figures = {
        "target": {"held": target.metrics or {}, "live": {"n": 0, **live.get(target.pk, {})}},
        "current": {
            "held": (current.metrics or {}) if current else {},
            "live": {"n": 0, **live.get(current.pk, {})} if current else {},
        },
    }
    few = (
        current is None
        or min(figures["target"]["live"]["n"], figures["current"]["live"]["n"]) < drift.MIN_OUTCOMES
    )
    rows = []
    for label, source, key, fmt, higher_is_better in REVIEW_FIGURES:
        now, after = (figures[side][source].get(key) for side in ("current", "target"))
        greyed = source == "live" and key != "n" and few
        worse = (
            None not in (now, after, higher_is_better)
            and not greyed
            and ((after < now) if higher_is_better else (after > now))
        )
        rows.append(
            {
                "label": label,
                "current": fmt.format(now) if now is not None else "—",
                "target": fmt.format(after) if after is not None else "—",
                "worse": worse,
                "greyed": greyed,
            }
        )
    warnings = []
    worse = [r["label"] for r in rows if r["worse"]]
    if worse:
        warnings.append(
            f"v{target.version} is worse than v{current.version} on: "
            + ", ".join(label[0].lower() + label[1:] for label in worse)
        )
    if current is not None and (
        current.data_fingerprint != target.data_fingerprint or current.seed != target.seed
    ):
        warnings.append(
            f"v{target.version} was scored on other held-out rows than v{current.version} "
            "(other training data or another split), so their held-out figures are not a "
            "like-for-like comparison; the fairness gate below scores both on the same rows"
        )
    return PromotionReview(
        rows=rows,
        alerts={
            "current": _version_alerts(current, figures["current"]["live"]),
            "target": _version_alerts(target, figures["target"]["live"]),
        },
        warnings=warnings,
    )
