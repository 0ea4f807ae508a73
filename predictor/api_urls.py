import base64
import hashlib
import re

from csp.decorators import csp_update
from django.template.loader import get_template
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from predictor import accounts
from predictor.predictions import api
from predictor.registry import api as registry_api


def _swagger_style_hash() -> str:
    """CSP source for the one inline <style> of drf-spectacular's Swagger UI page, hashed
    from the installed template so that an upgrade cannot silently break the page."""
    source = get_template("drf_spectacular/swagger_ui.html").template.source
    style = re.search(r"<style>(.*?)</style>", source, re.DOTALL)
    if style is None:
        return "'self'"
    digest = hashlib.sha256(style.group(1).encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


# The split view serves Swagger UI's start-up script from this same URL (?script=), so
# the page needs no inline script; its stylesheet draws icons from data: URIs.
swagger_docs = csp_update({"style-src": [_swagger_style_hash()], "img-src": ["data:"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("predictions/", api.PredictionListCreate.as_view(), name="api-prediction-list"),
    path("predictions/<int:pk>/", api.PredictionDetail.as_view(), name="api-prediction-detail"),
    path(
        "predictions/<int:pk>/outcome/",
        api.PredictionOutcome.as_view(),
        name="api-prediction-outcome",
    ),
    path("predictions/outcomes/", api.PredictionOutcomeUpload.as_view(), name="api-outcomes"),
    path("predictions/batch/", api.PredictionBatchCreate.as_view(), name="api-batch"),
    path(
        "predictions/batch/<uuid:batch_id>/",
        api.PredictionBatchDetail.as_view(),
        name="api-batch-detail",
    ),
    path(
        "predictions/jobs/<uuid:job_id>/",
        api.PredictionBatchJobDetail.as_view(),
        name="api-batch-job",
    ),
    path("auth/token/", accounts.AuthTokenCreate.as_view(), name="api-auth-token"),
    path("models/", registry_api.ModelVersionList.as_view(), name="api-model-list"),
    path(
        "models/<int:version>/", registry_api.ModelVersionDetail.as_view(), name="api-model-detail"
    ),
    path(
        "models/<int:version>/promote/",
        registry_api.ModelVersionPromote.as_view(),
        name="api-model-promote",
    ),
    path(
        "models/rollback/", registry_api.ModelVersionRollback.as_view(), name="api-model-rollback"
    ),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", swagger_docs, name="api-docs"),
]
