"""The model registry's pages (versions and their cards) and the health probes."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from predictor import queue
from predictor.errors import ServiceError
from predictor.registry import selectors, serving

logger = logging.getLogger(__name__)


@require_GET
def model_list(request):
    """Model versions with their headline metrics."""
    return render(
        request, "predictor/model_list.html", {"versions": selectors.model_version_list()}
    )


@require_GET
def model_detail(request, version: int):
    """One model version's card: plain summary, use, data, limits, fairness report, status
    history; technical details (hashes, paths, library versions) for staff only."""
    card = selectors.model_version_card(version=version)
    if card is None:
        raise Http404("no such model version")
    return render(
        request,
        "predictor/model_detail.html",
        {"card": card, "mv": card.model_version, "show_technical": request.user.is_staff},
    )


@require_GET
def healthz(request):
    """200 while the process lives."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def readyz(request):
    """200 when the database answers and a production model is loaded, else 503. The
    200 also says how many batch jobs wait for a worker and for how long (``queue``)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready", whatever its class
        return JsonResponse({"ready": False, "reason": f"database: {exc}"}, status=503)
    try:
        served = serving.active_model()
    except ServiceError as exc:
        return JsonResponse({"ready": False, "reason": exc.message}, status=503)
    except Exception:  # a probe answers in its own format whatever broke
        logger.exception("readyz: the serving layer failed")
        return JsonResponse({"ready": False, "reason": "the model could not be loaded"}, status=503)
    return JsonResponse(
        {"ready": True, "model_version": served.version, "queue": queue.queue_state()}
    )
