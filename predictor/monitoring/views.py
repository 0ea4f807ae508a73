"""The monitoring dashboard at ``/admin/monitoring/`` (staff only)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from predictor.monitoring import alerts, windows
from predictor.monitoring import selectors as monitoring
from predictor.monitoring.verdict import verdict


@require_GET
def monitoring_dashboard(request):
    """``/admin/monitoring/``: the verdict (``monitoring.verdict``) and its links, then
    volume, errors, latency, drift, live accuracy and versions over a window
    (``?window=24h|7d|30d|all``). An unknown window answers 400 with the default window
    and a message naming the allowed ones."""
    status = 200
    error = ""
    try:
        window = windows.window_from(request.GET.get("window"))
    except ValueError as exc:
        window, error, status = windows.window_from(None), str(exc), 400
    report = monitoring.report(window=window)
    found = verdict(report)
    context = {
        **admin.site.each_context(request),
        # The dashboard needs the width more than the list of models.
        "is_nav_sidebar_enabled": False,
        "title": "Monitoring",
        "report": report,
        "verdict": found,
        "verdict_links": verdict_links(report, found),
        "windows": [(key, label) for key, (label, _, _) in windows.WINDOWS.items()],
        "window_error": error,
        "recorded_alerts": alerts.recorded_alerts(),
        "last_recorded_report": alerts.last_recorded_report(),
    }
    return TemplateResponse(request, "admin/monitoring.html", context, status=status)


def verdict_links(report: dict, found: dict) -> dict:
    """Where the verdict's reader goes next: ``{"rows": the admin's prediction list
    filtered to the window (and to ``found["rows_status"]``), "card": the production
    version's card or None, "versions": the admin's version list (promote, roll back),
    "outcomes": the page that records real scores}``."""
    window = report["window"]
    lookups = {"created_at__lte": window["until"]}
    if window["since"]:
        lookups["created_at__gt"] = window["since"]
    if found["rows_status"]:
        lookups["status__exact"] = found["rows_status"]
    return {
        "rows": reverse("admin:predictor_prediction_changelist") + "?" + urlencode(lookups),
        "card": reverse("model-detail", args=[found["version"]]) if found["version"] else None,
        "versions": reverse("admin:predictor_modelversion_changelist"),
        "outcomes": reverse("outcome-upload"),
    }
