from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from predictor import accounts
from predictor.predictions import views
from predictor.registry import views as registry_views

urlpatterns = [
    path("", views.home, name="home"),
    path("predictdata", views.predictdata, name="predictdata"),
    path("predictions/<int:pk>/", views.prediction_detail, name="prediction-detail"),
    path("predictions/<int:pk>/outcome/", views.prediction_outcome, name="prediction-outcome"),
    path("history/", views.history, name="history"),
    path("history/export.csv", views.history_export, name="history-export"),
    path("history/outcomes/", views.outcome_upload, name="outcome-upload"),
    path("batch/", views.batch_upload, name="batch"),
    path("batch/<uuid:batch_id>/", views.batch_detail, name="batch-detail"),
    path("batch/jobs/<uuid:job_id>/", views.batch_job_detail, name="batch-job-detail"),
    path("batch/<uuid:batch_id>.csv", views.batch_download, name="batch-download"),
    path(
        "batch/<uuid:batch_id>.xlsx",
        views.batch_download,
        {"file_format": "xlsx"},
        name="batch-download-xlsx",
    ),
    re_path(
        r"^batch/templates/(?P<kind>class|scores)-template\.(?P<extension>csv|xlsx)$",
        views.batch_template,
        name="batch-template",
    ),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("models/", registry_views.model_list, name="model-list"),
    path("models/<int:version>/", registry_views.model_detail, name="model-detail"),
    path("healthz", registry_views.healthz, name="healthz"),
    path("readyz", registry_views.readyz, name="readyz"),
]
