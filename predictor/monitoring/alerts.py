"""What crosses an alert line, in words: a model that cannot serve, automatic rollbacks,
failures, drift, live accuracy; and the alerts recorded by scheduled reports."""

from __future__ import annotations

from ml import drift, schema
from predictor.errors import ServiceError
from predictor.models import ModelVersion, ModelVersionEvent
from predictor.monitoring.windows import Window
from predictor.registry import serving
from predictor.registry.services import SYSTEM_ACTOR

# A share of failed attempts above which monitor_report and the dashboard alert.
FAILURE_ALERT_RATE = 0.05


def serving_fault() -> str | None:
    """Why no model can serve now, in words, or ``None`` when one can. Asks the serving
    layer as a request would, so a broken production version is rolled back here too."""
    try:
        serving.active_model()
    except ServiceError as exc:
        return exc.message
    return None


def automatic_rollbacks(*, window: Window) -> list[dict]:
    """Rollbacks the system made by itself since the window's start (up to now, not to
    the window's end: the report's own check may just have made one), newest first:
    ``[{"created_at", "from_version", "to_version", "reason"}]``."""
    events = (
        ModelVersionEvent.objects.filter(
            action=ModelVersionEvent.Action.ROLLBACK,
            actor_label=SYSTEM_ACTOR,
        )
        .select_related("model_version", "previous_production")
        .order_by("-created_at")
    )
    if window.since is not None:
        events = events.filter(created_at__gt=window.since)
    return [
        {
            "created_at": event.created_at.isoformat(),
            "from_version": event.previous_production.version
            if event.previous_production
            else None,
            "to_version": event.model_version.version,
            "reason": event.reason,
        }
        for event in events[:20]
    ]


def alerts(
    *,
    serving_error: str | None = None,
    automatic_rollbacks: list[dict] = (),
    production: ModelVersion | None,
    input_drift: dict | None,
    prediction_drift: dict | None,
    versions: list[dict],
    traffic: dict | None = None,
) -> list[str]:
    """What crosses an alert line, in words (empty when all is well).

    Alert lines: no model can serve; the system rolled a version back by itself in the
    window; the data set drifts (half or more of the features drift: p < 0.05 and PSI ≥
    0.1, ``ml.drift.feature_status``); a feature's or the predictions' PSI reaches 0.25;
    the production version's live MAE exceeds 1.5 × its held-out MAE with at least 30
    real scores (``ml.drift.accuracy_alert``); more than ``FAILURE_ALERT_RATE`` of at
    least 30 attempts failed (no model, or the model raised).
    """
    found = []
    if serving_error:
        found.append(f"no model can serve: {serving_error}")
    for rollback in automatic_rollbacks:
        found.append(
            f"automatic rollback at {rollback['created_at'][:19].replace('T', ' ')} UTC from "
            f"v{rollback['from_version']} to v{rollback['to_version']}: {rollback['reason']}"
        )
    enough = bool(traffic) and traffic["total"] >= drift.MIN_OUTCOMES
    if enough and traffic["failure_rate"] > FAILURE_ALERT_RATE:
        found.append(
            f"failures: {traffic['failure_rate']:.0%} of {traffic['total']} attempts "
            "failed (no model in production, or the model could not score)"
        )
    if input_drift and input_drift["verdict"] == drift.DRIFT:
        drifted = [_label(r["feature"]) for r in input_drift["features"] if r["drifted"]]
        found.append(
            f"input drift: {len(drifted)} of {len(input_drift['features'])} features differ "
            f"from v{input_drift['version']}'s training data (p < {drift.ALPHA} and PSI ≥ "
            f"{drift.PSI_WARN}): " + ", ".join(drifted)
        )
    for row in (input_drift or {}).get("features", []):
        if row["psi_level"] == "alert":
            found.append(f"{_label(row['feature'])}: PSI {row['psi']:.2f} ≥ {drift.PSI_ALERT}")
    if prediction_drift and prediction_drift["psi_level"] == "alert":
        found.append(
            f"predictions: PSI {prediction_drift['psi']:.2f} ≥ {drift.PSI_ALERT} against "
            "the held-out predictions"
        )
    for item in versions:
        serving = production is not None and item["version"] == production.version
        if serving and item["accuracy_alert"]:
            found.append(
                f"live accuracy: v{item['version']} MAE {item['live']['mae']:.2f} is "
                f"{item['mae_ratio']:.2f}× its held-out MAE {item['test']['mae']:.2f} "
                f"({item['live']['n']} real scores)"
            )
    return found


def _label(feature: str) -> str:
    # Alerts are read by people (dashboard, monitor_report): the form's label, not the column.
    known = schema.FEATURES_BY_NAME.get(feature)
    return known.label if known else feature


RECORDED_ALERTS_SHOWN = 20


def recorded_alerts(*, limit: int = RECORDED_ALERTS_SHOWN) -> list[dict]:
    """Alerts raised by scheduled reports (``monitor_report --record``), newest first:
    ``[{"raised_at": datetime, "window": "24h", "alert": text}]``, at most ``limit``."""
    from predictor.models import MonitoringReport

    found = []
    for run in MonitoringReport.objects.exclude(alerts=[]).order_by("-created_at")[:limit]:
        found += [
            {"raised_at": run.created_at, "window": run.window, "alert": a} for a in run.alerts
        ]
    return found[:limit]


def last_recorded_report():
    """When the last scheduled report ran (``None`` when none has)."""
    from predictor.models import MonitoringReport

    return (
        MonitoringReport.objects.order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
