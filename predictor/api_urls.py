from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from predictor import api

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
    path("auth/token/", api.AuthTokenCreate.as_view(), name="api-auth-token"),
    path("models/", api.ModelVersionList.as_view(), name="api-model-list"),
    path("models/<int:version>/", api.ModelVersionDetail.as_view(), name="api-model-detail"),
    path(
        "models/<int:version>/promote/",
        api.ModelVersionPromote.as_view(),
        name="api-model-promote",
    ),
    path("models/rollback/", api.ModelVersionRollback.as_view(), name="api-model-rollback"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
