"""Monitoring reads: what the dashboard and ``monitor_report`` show, aggregated in the database.

Every function here runs a handful of GROUP BY queries over ``Prediction`` (counts per
hour, per category, per score; sums of errors; percentiles by the database) and hands the
small results to ``ml.drift`` for the statistics. No function loads the rows themselves.

Cost. Each query is answered from one of the ``prediction_*_idx`` covering indexes (see
``Prediction.Meta``). The volume query reads the window's range and sorts it; the input,
latency and accuracy queries read their index in the order they group or rank by, end to
end and without a sort, which favours the all-time window over the short ones. About 20
queries per report; ``bench/dashboard.py`` renders the page in 0.3–0.7 s over 100,000
predictions on SQLite. PostgreSQL hashes its GROUP BYs and computes percentiles itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    FloatField,
    QuerySet,
)
from django.db.models.functions import Cast, Round, Substr, TruncDay, TruncHour

from ml import drift, schema
from predictor.models import ModelVersion, ModelVersionEvent, Prediction
from predictor.monitoring import alerts as alert_lines
from predictor.monitoring.windows import Window
from predictor.registry import selectors as registry_selectors

PERCENTILES = (0.5, 0.95, 0.99)
TOP_REJECTION_REASONS = 8


def _in_window(window: Window) -> QuerySet[Prediction]:
    rows = Prediction.objects.order_by().filter(created_at__lte=window.until)
    if window.since is not None:
        rows = rows.filter(created_at__gt=window.since)
    return rows


def _scored(window: Window) -> QuerySet[Prediction]:
    return _in_window(window).filter(status=Prediction.Status.OK)


def report(*, window: Window) -> dict:
    """Everything the dashboard shows for ``window``, JSON-ready.

    ``{"window", "production", "traffic", "volume", "rejection_reasons", "latency",
    "drift", "prediction_drift", "versions", "history", "alerts"}``; each part is
    documented on the function that builds it.
    """
    serving_error = alert_lines.serving_fault()
    production = ModelVersion.objects.production().first()
    versions = model_versions(window=window)
    counted = volume(window=window)
    totals = traffic(volume=counted)
    input_drift = feature_drift(window=window, production=production)
    predictions = prediction_drift(window=window, production=production)
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
        "rejection_reasons": rejection_reasons(window=window),
        "latency": latency(window=window),
        "drift": input_drift,
        "prediction_drift": predictions,
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


def _bucket_expression(bucket: str):
    if connection.vendor == "sqlite":
        # SQLite stores the UTC time as ISO text; cutting the text is native, where
        # Django's Trunc* on SQLite calls a Python function once per row (5× slower).
        return Substr(Cast("created_at", CharField()), 1, 13 if bucket == "hour" else 10)
    trunc = TruncHour if bucket == "hour" else TruncDay
    return trunc("created_at", tzinfo=UTC)


def _bucket_start(value, bucket: str) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    text = str(value).replace(" ", "T")
    return datetime.fromisoformat(text + (":00" if bucket == "hour" else "T00:00")).replace(
        tzinfo=UTC
    )


def volume(*, window: Window) -> dict:
    """Attempts per hour or day (UTC) by channel and by status, one GROUP BY.

    Returns ``{"bucket", "buckets": [iso start], "by_channel": {channel: [n per bucket]},
    "by_status": {status: [n per bucket]}}``; buckets without traffic are filled with 0,
    from the window's start (or the first attempt, for all time) to its end.
    """
    rows = (
        _in_window(window)
        .annotate(bucket=_bucket_expression(window.bucket))
        .values("bucket", "channel", "status")
        .annotate(n=Count("*"))
    )
    counts: dict[tuple, int] = {}
    starts: set[datetime] = set()
    for row in rows:
        start = _bucket_start(row["bucket"], window.bucket)
        starts.add(start)
        counts[(start, row["channel"], row["status"])] = row["n"]
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


def rejection_reasons(*, window: Window) -> list[dict]:
    """The most common reasons for rejection: ``[{"field", "n", "share"}]``, most frequent
    first, where ``field`` is a key of ``Prediction.errors`` and ``share`` the fraction of
    rejected attempts naming it (an attempt can name several fields)."""
    rejected = _in_window(window).filter(status=Prediction.Status.REJECTED)
    total = rejected.count()
    if not total:
        return []
    where, params = rejected.values("id").query.get_compiler(using="default").as_sql()
    table = connection.ops.quote_name(Prediction._meta.db_table)
    errors = connection.ops.quote_name("errors")
    if connection.vendor == "postgresql":
        keys = f"jsonb_object_keys(p.{errors})"
        source = f"{table} p CROSS JOIN LATERAL {keys} AS k(key)"
    else:
        source = f"{table} p, json_each(p.{errors}) AS k"
    # Only quoted identifiers and Django's own compiled subquery are interpolated; every
    # value travels as a parameter.
    sql = (
        f"SELECT k.key, COUNT(*) FROM {source} WHERE p.id IN ({where}) "  # noqa: S608
        f"GROUP BY k.key ORDER BY COUNT(*) DESC, k.key LIMIT {TOP_REJECTION_REASONS}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [{"field": key, "n": n, "share": n / total} for key, n in rows]


class _PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def latency(*, window: Window) -> dict:
    """Scoring-path latency of scored attempts, in milliseconds: ``{"n", "p50", "p95",
    "p99"}`` (``None`` without data), interpolating linearly between order statistics as
    PostgreSQL's ``percentile_cont`` and numpy's default do.

    PostgreSQL computes ``percentile_cont`` itself. Elsewhere (SQLite) each percentile is
    an ``ORDER BY latency_ms LIMIT 2 OFFSET k`` query, which walks the
    ``prediction_latency_idx`` index in order: no sort, and two numbers come back.
    """
    # ">= 0" rather than "is not null" lets the database count on the latency index alone.
    # Batch rows carry their share of one vectorised call (microseconds each) and would
    # drown the one-student latency people wait for, so they are left out.
    rows = _scored(window).filter(latency_ms__gte=0).exclude(channel=Prediction.Channel.BATCH)
    if connection.vendor == "postgresql":
        return rows.aggregate(
            n=Count("*"), **{_pkey(p): _PercentileCont("latency_ms", p) for p in PERCENTILES}
        )
    n = rows.count()
    result = {"n": n}
    ordered = rows.order_by("latency_ms").values_list("latency_ms", flat=True)
    for p in PERCENTILES:
        if not n:
            result[_pkey(p)] = None
            continue
        position = (n - 1) * p
        below = int(position)
        pair = list(ordered[below : below + 2])
        low, high = pair[0], pair[-1]
        result[_pkey(p)] = low + (high - low) * (position - below)
    return result


def _pkey(p: float) -> str:
    return f"p{round(p * 100)}"


def live_counts(rows: QuerySet[Prediction]) -> tuple[dict, dict]:
    """Counts of the inputs of ``rows``: ``({categorical feature: {category: n}},
    {numeric feature: {value: n}})``.

    One GROUP BY over the five categories together (at most 240 combinations, summed
    here into one count per category) and one per score, each reading an index in
    the order it groups by, so the database never sorts the window's rows.
    """
    combinations = (
        rows.filter(**{f"{name}__isnull": False for name in schema.CATEGORICAL_FEATURES})
        .values(*schema.CATEGORICAL_FEATURES)
        .annotate(n=Count("*"))
        .order_by(*schema.CATEGORICAL_FEATURES)
    )
    categorical: dict[str, dict[str, int]] = {
        name: dict.fromkeys(schema.FEATURES_BY_NAME[name].choices, 0)
        for name in schema.CATEGORICAL_FEATURES
    }
    for row in combinations:
        for name in schema.CATEGORICAL_FEATURES:
            categorical[name][row[name]] = categorical[name].get(row[name], 0) + row["n"]
    numeric = {}
    for name in schema.NUMERIC_FEATURES:
        counted = (
            rows.filter(**{f"{name}__isnull": False})
            .values(name)
            .annotate(n=Count("*"))
            .order_by(name)
        )
        numeric[name] = {float(row[name]): row["n"] for row in counted}
    return categorical, numeric


def feature_drift(*, window: Window, production: ModelVersion | None) -> dict | None:
    """Input drift of scored attempts in the window against the production version's
    training data (``ml.drift.input_drift``), with ``"version"`` added; ``None`` when no
    version is in production."""
    if production is None:
        return None
    categorical, numeric = live_counts(_scored(window))
    result = drift.input_drift(production.reference_profile, categorical, numeric)
    result["version"] = production.version
    return result


def prediction_drift(*, window: Window, production: ModelVersion | None) -> dict | None:
    """The production version's live predictions (rounded to whole points, counted in the
    database) against its predictions on its held-out rows (``ml.drift.prediction_drift``).
    ``None`` when no version is in production."""
    if production is None:
        return None
    counted = (
        _scored(window)
        .filter(model_version=production)
        .annotate(point=Round("predicted_math_score"))
        .values("point")
        .annotate(n=Count("*"))
    )
    live = {float(row["point"]): row["n"] for row in counted}
    holdout = production.reference_profile.get("holdout_predictions", [])
    result = drift.prediction_drift(holdout, live)
    result["version"] = production.version
    return result


def live_accuracy_by_version(*, window: Window) -> dict[int, dict]:
    """Live accuracy and traffic per model version in the window
    (``registry.selectors.live_accuracy_by_version``)."""
    return registry_selectors.live_accuracy_by_version(since=window.since, until=window.until)


def model_versions(*, window: Window) -> list[dict]:
    """Every version side by side, newest first: test and live metrics, traffic served in
    the window, the live-accuracy alert, and its status history.

    Each item: ``{"version", "name", "algorithm", "status", "created_at", "test": {"mae",
    "rmse", "r2", "coverage"}, "live": {"served", "n", "mae", "rmse", "r2", "coverage"},
    "accuracy_alert": bool, "mae_ratio": live MAE / test MAE or None, "history": [event]}``
    with events ``{"at", "action", "from_version", "to_version", "actor", "reason"}``.
    """
    live = live_accuracy_by_version(window=window)
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
