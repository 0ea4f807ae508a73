"""The monitoring dashboard at ``/admin/monitoring/`` (staff only)."""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from predictor.monitoring import alerts, windows
from predictor.monitoring import selectors as monitoring


@require_GET
def monitoring_dashboard(request):
    """``/admin/monitoring/``: volume, errors, latency, drift, live accuracy and versions
    over a window (``?window=24h|7d|30d|all``). An unknown window answers 400 with the
    default window and a message naming the allowed ones."""
    status = 200
    error = ""
    try:
        window = windows.window_from(request.GET.get("window"))
    except ValueError as exc:
        window, error, status = windows.window_from(None), str(exc), 400
    context = {
        **admin.site.each_context(request),
        # The dashboard needs the width more than the list of models.
        "is_nav_sidebar_enabled": False,
        "title": "Monitoring",
        "report": monitoring.report(window=window),
        "windows": [(key, label) for key, (label, _, _) in windows.WINDOWS.items()],
        "window_error": error,
        "recorded_alerts": alerts.recorded_alerts(),
        "last_recorded_report": alerts.last_recorded_report(),
    }
    return TemplateResponse(request, "admin/monitoring.html", context, status=status)
