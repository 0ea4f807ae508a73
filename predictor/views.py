"""HTML views: parse, call one service or selector, render."""

from __future__ import annotations

from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from predictor import selectors, services, serving
from predictor.errors import ServiceError
from predictor.forms import PredictionForm, from_tutorial_post
from predictor.models import Prediction


def session_key(request) -> str:
    """The visitor's session key, creating the session on first use (anonymous ownership)."""
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


def _predict_from_post(request, data):
    form = PredictionForm(data)
    owner, key = request.user, session_key(request)
    raw = {k: data.get(k) for k in data if k != "csrfmiddlewaretoken"}
    if not form.is_valid():
        services.prediction_reject(
            errors=form.error_messages_by_field(),
            channel=Prediction.Channel.FORM,
            raw_payload=raw,
            features=form.valid_features(),
            owner=owner,
            session_key=key,
            reference=str(data.get("reference", "")),
        )
        return render(request, "predictor/home.html", {"form": form}, status=400)
    try:
        prediction = services.prediction_create(
            features=form.features(),
            channel=Prediction.Channel.FORM,
            raw_payload=raw,
            owner=owner,
            session_key=key,
            reference=form.cleaned_data["reference"],
        )
    except ServiceError as exc:
        return render(
            request,
            "predictor/home.html",
            {"form": form, "service_error": exc.message},
            status=exc.status_code,
        )
    return redirect("prediction-detail", pk=prediction.pk)


@require_http_methods(["GET", "POST"])
def home(request):
    """The prediction form; a valid POST stores the prediction and shows its page."""
    if request.method == "POST":
        return _predict_from_post(request, request.POST)
    return render(request, "predictor/home.html", {"form": PredictionForm()})


# The tutorial's HTML form posted here without a CSRF token; old pages and scripts that
# still do must keep working, and the route only ever creates a prediction.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def predictdata(request):
    """The tutorial's route: its field names (``ethnicity``), the same result page."""
    if request.method == "GET":
        return redirect("home")
    return _predict_from_post(request, from_tutorial_post(request.POST))


@require_GET
def prediction_detail(request, pk: int):
    """One prediction's page: score, range, reasons and what-if; someone else's is a 404."""
    result = selectors.prediction_result(pk=pk, user=request.user, session_key=session_key(request))
    if result is None:
        raise Http404("no such prediction")
    return render(request, "predictor/prediction_detail.html", {"result": result})


@require_GET
def model_list(request):
    """Model versions with their headline metrics."""
    return render(
        request, "predictor/model_list.html", {"versions": selectors.model_version_list()}
    )


@require_GET
def model_detail(request, version: int):
    """One model version's card, with its errors by subgroup and status history."""
    card = selectors.model_version_card(version=version)
    if card is None:
        raise Http404("no such model version")
    return render(request, "predictor/model_detail.html", {"card": card, "mv": card.model_version})


@require_GET
def healthz(request):
    """200 while the process lives."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def readyz(request):
    """200 when the database answers and a production model is loaded, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready", whatever its class
        return JsonResponse({"ready": False, "reason": f"database: {exc}"}, status=503)
    try:
        served = serving.active_model()
    except ServiceError as exc:
        return JsonResponse({"ready": False, "reason": exc.message}, status=503)
    return JsonResponse({"ready": True, "model_version": served.version})
