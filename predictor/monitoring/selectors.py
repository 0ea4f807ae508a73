"""Monitoring reads: what the dashboard and ``monitor_report`` show.

Every figure comes from the window's hourly roll-ups plus a bounded scan of the rows no
roll-up covers yet (``rollups.window_figures``: the open hour, the part of the first
hour inside the window, and hours not rolled up or stale), read once per report and
handed to ``ml.drift`` for the statistics. No function reads the window's rows wholesale.
``bench/dashboard.py --rows 1000000`` gives the figures (README, Monitoring).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ml import drift, schema
from predictor.models import ModelVersion, ModelVersionEvent, Prediction
from predictor.monitoring import alerts as alert_lines
from predictor.monitoring import figures as fig
from predictor.monitoring import rollups
from predictor.monitoring.windows import Window
from predictor.registry import selectors as registry_selectors

PERCENTILES = (0.5, 0.95, 0.99)
TOP_REJECTION_REASONS = 8


def _figures(window: Window, figures: rollups.WindowFigures | None) -> rollups.WindowFigures:
    return figures if figures is not None else rollups.window_figures(window)


def report(*, window: Window) -> dict:
    """Everything the dashboard shows for ``window``, JSON-ready.

    ``{"window", "production", "traffic", "volume", "rejection_reasons", "latency",
    "drift", "prediction_drift", "fairness", "versions", "history", "serving_error",
    "alerts"}``; each part is documented on the function that builds it. The window's
    roll-ups are read once (``rollups.window_figures``) and shared by every part.
    """
    serving_error = alert_lines.serving_fault()
    production = ModelVersion.objects.production().first()
    figures = rollups.window_figures(window)
    versions = model_versions(window=window, figures=figures)
    counted = volume(window=window, figures=figures)
    totals = traffic(volume=counted)
    input_drift = feature_drift(window=window, production=production, figures=figures)
    predictions = prediction_drift(window=window, production=production, figures=figures)
    return {
        "window": {
            "key": window.key,
            "label": window.label,
            "since": window.since.isoformat() if window.since else None,
            "until": window.until.isoformat(),
            "bucket": window.bucket,
        },
        "production": _version_summary(production),
        "traffic": totals,
        "volume": counted,
        "rejection_reasons": rejection_reasons(window=window, figures=figures),
        "latency": latency(window=window, figures=figures),
        "drift": input_drift,
        "prediction_drift": predictions,
        "fairness": live_fairness(window=window, production=production, figures=figures),
        "versions": versions,
        "history": status_history(),
        "serving_error": serving_error,
        "alerts": alert_lines.alerts(
            serving_error=serving_error,
            automatic_rollbacks=alert_lines.automatic_rollbacks(window=window),
            production=production,
            input_drift=input_drift,
            prediction_drift=predictions,
            versions=versions,
            traffic=totals,
        ),
    }


def _version_summary(version: ModelVersion | None) -> dict | None:
    if version is None:
        return None
    return {"version": version.version, "name": version.name, "algorithm": version.algorithm}


def traffic(*, volume: dict) -> dict:
    """Totals of a ``volume`` result: ``{"total", "by_status": {status: n}, "by_channel":
    {channel: n}, "rejection_rate", "failure_rate"}`` (rates are fractions of all
    attempts, ``None`` without traffic)."""
    by_status = {s: sum(counts) for s, counts in volume["by_status"].items()}
    by_channel = {c: sum(counts) for c, counts in volume["by_channel"].items()}
    total = sum(by_status.values())
    return {
        "total": total,
        "by_status": by_status,
        "by_channel": by_channel,
        "rejection_rate": by_status["rejected"] / total if total else None,
        "failure_rate": by_status["failed"] / total if total else None,
    }


def volume(*, window: Window, figures: rollups.WindowFigures | None = None) -> dict:
    """Attempts per hour or day (UTC) by channel and by status.

    Returns ``{"bucket", "buckets": [iso start], "by_channel": {channel: [n per bucket]},
    "by_status": {status: [n per bucket]}}``; buckets without traffic are filled with 0,
    from the window's start (or the first attempt, for all time) to its end.
    """
    counts: dict[tuple, int] = {}
    starts: set[datetime] = set()
    for hour, attempts in _figures(window, figures).by_hour.items():
        start = hour if window.bucket == "hour" else hour.replace(hour=0)
        starts.add(start)
        for channel, by_status in attempts.items():
            for status, n in by_status.items():
                counts[(start, channel, status)] = counts.get((start, channel, status), 0) + n
    step = timedelta(hours=1) if window.bucket == "hour" else timedelta(days=1)
    buckets = _bucket_range(window, starts, step)
    by_channel = {
        c: [sum(counts.get((b, c, s), 0) for s in Prediction.Status.values) for b in buckets]
        for c in Prediction.Channel.values
    }
    by_status = {
        s: [sum(counts.get((b, c, s), 0) for c in Prediction.Channel.values) for b in buckets]
        for s in Prediction.Status.values
    }
    return {
        "bucket": window.bucket,
        "buckets": [b.isoformat() for b in buckets],
        "by_channel": by_channel,
        "by_status": by_status,
    }


def _bucket_range(window: Window, starts: set[datetime], step: timedelta) -> list[datetime]:
    def floor(moment: datetime) -> datetime:
        moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        return moment if step == timedelta(hours=1) else moment.replace(hour=0)

    if window.since is not None:
        first = floor(window.since + timedelta(microseconds=1))
    elif starts:
        first = min(starts)
    else:
        return []
    last = floor(window.until)
    buckets = []
    moment = first
    while moment <= last:
        buckets.append(moment)
        moment += step
    return buckets


def rejection_reasons(
    *, window: Window, figures: rollups.WindowFigures | None = None
) -> list[dict]:
    """The most common reasons for rejection: ``[{"field", "n", "share"}]``, most frequent
    first (then by field), at most ``TOP_REJECTION_REASONS``, where ``field`` is a key of
    ``Prediction.errors`` and ``share`` the fraction of rejected attempts naming it (an
    attempt can name several fields)."""
    total_figures = _figures(window, figures).total
    total = sum(s.get("rejected", 0) for s in total_figures.get("attempts", {}).values())
    if not total:
        return []
    ranked = sorted(total_figures.get("rejections", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"field": key, "n": n, "share": n / total} for key, n in ranked[:TOP_REJECTION_REASONS]]


def latency(*, window: Window, figures: rollups.WindowFigures | None = None) -> dict:
    """Scoring-path latency of scored attempts, in milliseconds: ``{"n", "p50", "p95",
    "p99"}`` (``None`` without data), from the roll-ups' latency histograms
    (``figures.latency_percentiles``: within 2.5 % of the exact order-statistic figure).

    Batch rows carry their share of one vectorised call (microseconds each) and would
    drown the one-student latency people wait for, so they are left out.
    """
    histogram = _figures(window, figures).total.get("latency", {})
    found = fig.latency_percentiles(histogram, PERCENTILES)
    return {"n": sum(histogram.values()), **{_pkey(p): found[p] for p in PERCENTILES}}


def _pkey(p: float) -> str:
    return f"p{round(p * 100)}"


def live_counts(figures: dict) -> tuple[dict, dict]:
    """Counts of the inputs of scored attempts in ``figures`` (``figures`` module shape):
    ``({categorical feature: {category: n}}, {numeric feature: {value: n}})``, every
    category of the schema present (0 when unseen)."""
    categorical: dict[str, dict[str, int]] = {
        name: dict.fromkeys(schema.FEATURES_BY_NAME[name].choices, 0)
        for name in schema.CATEGORICAL_FEATURES
    }
    for name, counts in figures.get("categories", {}).items():
        for category, n in counts.items():
            categorical[name][category] = categorical[name].get(category, 0) + n
    numeric = {
        name: {float(v): n for v, n in figures.get("numeric", {}).get(name, {}).items()}
        for name in schema.NUMERIC_FEATURES
    }
    return categorical, numeric


def feature_drift(
    *,
    window: Window,
    production: ModelVersion | None,
    figures: rollups.WindowFigures | None = None,
) -> dict | None:
    """Input drift of scored attempts in the window against the production version's
    training data (``ml.drift.input_drift``), with ``"version"`` added; ``None`` when no
    version is in production."""
    if production is None:
        return None
    categorical, numeric = live_counts(_figures(window, figures).total)
    result = drift.input_drift(production.reference_profile, categorical, numeric)
    result["version"] = production.version
    return result


def prediction_drift(
    *,
    window: Window,
    production: ModelVersion | None,
    figures: rollups.WindowFigures | None = None,
) -> dict | None:
    """The production version's live predictions (rounded to whole points, halves away
    from zero) against its predictions on its held-out rows (``ml.drift.prediction_drift``).
    ``None`` when no version is in production."""
    if production is None:
        return None
    scores = _figures(window, figures).version(production.pk).get("scores", {})
    live = {float(point): n for point, n in scores.items()}
    holdout = production.reference_profile.get("holdout_predictions", [])
    result = drift.prediction_drift(holdout, live)
    result["version"] = production.version
    return result


def _accuracy(figures: dict) -> dict:
    sums = figures.get("accuracy", {})
    return drift.accuracy_from_sums(
        n=sums.get("n", 0),
        sum_abs_error=sums.get("sum_abs_error", 0),
        sum_squared_error=sums.get("sum_squared_error", 0),
        sum_actual=sums.get("sum_actual", 0),
        sum_actual_squared=sums.get("sum_actual_squared", 0),
        n_covered=sums.get("n_covered", 0),
    )


def live_accuracy_by_version(
    *, window: Window, figures: rollups.WindowFigures | None = None
) -> dict[int, dict]:
    """Live accuracy and traffic per model version (by row id) in the window:
    ``{model_version_id: {"served": scored attempts, "n", "mae", "rmse", "r2",
    "coverage"}}`` where ``n`` counts those with a recorded actual score
    (``ml.drift.accuracy_from_sums``; the same figures as
    ``registry.selectors.live_accuracy_by_version`` computes from the rows)."""
    return {
        version_id: {"served": version_figures["accuracy"]["served"], **_accuracy(version_figures)}
        for version_id, version_figures in _figures(window, figures).by_version.items()
        if version_id is not None and version_figures.get("accuracy", {}).get("served")
    }


def live_fairness(
    *,
    window: Window,
    production: ModelVersion | None,
    figures: rollups.WindowFigures | None = None,
) -> dict | None:
    """Live error per group of each protected attribute for the production version's
    predictions in the window whose real score was recorded (issue 14.8).

    ``{"version", "min_count", "attributes": [{"attribute", "label", "groups": [{"group",
    "label", "n", "mae", "bias", "coverage", "enough"}]}]}``, attributes in
    ``figures.LIVE_FAIRNESS_ATTRIBUTES`` order and every group of the schema listed.
    ``bias`` is the mean of predicted − actual, in points (positive: the model
    over-predicts the group); ``coverage`` the share of real scores inside their
    interval; ``mae``, ``bias`` and ``coverage`` are ``None`` without real scores, and
    ``enough`` is false below ``min_count`` (``ml.drift.MIN_OUTCOMES``, 30) real scores,
    where the figures are too noisy to act on. ``None`` when no version is in production.
    """
    if production is None:
        return None
    groups = _figures(window, figures).version(production.pk).get("groups", {})
    attributes = []
    for name in fig.LIVE_FAIRNESS_ATTRIBUTES:
        feature = schema.FEATURES_BY_NAME[name]
        rows = []
        for group in feature.choices:
            sums = groups.get(name, {}).get(group, {})
            n = sums.get("n", 0)
            rows.append(
                {
                    "group": group,
                    "label": schema.category_label(group),
                    "n": n,
                    "mae": sums["sum_abs_error"] / n if n else None,
                    "bias": sums["sum_error"] / n if n else None,
                    "coverage": sums["n_covered"] / n if n else None,
                    "enough": n >= drift.MIN_OUTCOMES,
                }
            )
        attributes.append({"attribute": name, "label": feature.label, "groups": rows})
    return {
        "version": production.version,
        "min_count": drift.MIN_OUTCOMES,
        "attributes": attributes,
    }


def model_versions(*, window: Window, figures: rollups.WindowFigures | None = None) -> list[dict]:
    """Every version side by side, newest first: test and live metrics, traffic served in
    the window, the live-accuracy alert, and its status history.

    Each item: ``{"version", "name", "algorithm", "status", "created_at", "test": {"mae",
    "rmse", "r2", "coverage"}, "live": {"served", "n", "mae", "rmse", "r2", "coverage"},
    "accuracy_alert": bool, "mae_ratio": live MAE / test MAE or None, "history": [event]}``
    with events ``{"at", "action", "from_version", "to_version", "actor", "reason"}``.
    """
    live = live_accuracy_by_version(window=window, figures=figures)
    versions = list(
        ModelVersion.objects.only(
            "id", "version", "name", "algorithm", "status", "created_at", "metrics"
        )
    )
    events = (
        ModelVersionEvent.objects.select_related("model_version", "previous_production", "actor")
        .only(*registry_selectors.EVENT_FIELDS)
        .order_by("-created_at", "-id")
    )
    history: dict[int, list[dict]] = {}
    for event in events:
        item = _event(event)
        history.setdefault(event.model_version_id, []).append(item)
        if event.previous_production_id and event.action != ModelVersionEvent.Action.REGISTER:
            history.setdefault(event.previous_production_id, []).append(item)
    result = []
    empty = drift.accuracy_from_sums(
        n=0, sum_abs_error=0, sum_squared_error=0, sum_actual=0, sum_actual_squared=0, n_covered=0
    )
    for version in versions:
        metrics = version.metrics or {}
        test = {
            "mae": metrics.get("test_mae"),
            "rmse": metrics.get("test_rmse"),
            "r2": metrics.get("test_r2"),
            "coverage": metrics.get("interval_coverage"),
        }
        figures = live.get(version.pk, {"served": 0, **empty})
        ratio = figures["mae"] / test["mae"] if figures["mae"] is not None and test["mae"] else None
        result.append(
            {
                "version": version.version,
                "name": version.name,
                "algorithm": version.algorithm,
                "status": version.status,
                "created_at": version.created_at.isoformat(),
                "test": test,
                "live": figures,
                "mae_ratio": ratio,
                "accuracy_alert": drift.accuracy_alert(figures, test["mae"]),
                "history": history.get(version.pk, []),
            }
        )
    return result


def status_history(*, limit: int = 20) -> list[dict]:
    """The latest status changes of any version, newest first: ``[{"at", "action",
    "from_version", "to_version", "actor", "reason"}]``."""
    events = ModelVersionEvent.objects.select_related(
        "model_version", "previous_production", "actor"
    ).only(*registry_selectors.EVENT_FIELDS)[:limit]
    return [_event(e) for e in events]


def _event(event: ModelVersionEvent) -> dict:
    return {
        "at": event.created_at.isoformat(),
        "action": event.action,
        "from_version": event.previous_production.version if event.previous_production else None,
        "to_version": event.model_version.version,
        "actor": event.actor.get_username() if event.actor else event.actor_label,
        "reason": event.reason,
    }


def milliseconds_text(value: float | None) -> str | None:
    """A latency in milliseconds with the decimals it needs: three significant digits
    under 10 ms (the fast path scores in about 0.01 ms, which one decimal shows as 0.0),
    one decimal from 10 ms. ``None`` stays ``None``."""
    if value is None:
        return None
    return f"{value:.3g}" if value < 10 else f"{value:,.1f}"
