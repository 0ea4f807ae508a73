from django.urls import path

from predictor import views

urlpatterns = [
    path("", views.home, name="home"),
    path("predictdata", views.predictdata, name="predictdata"),
    path("predictions/<int:pk>/", views.prediction_detail, name="prediction-detail"),
    path("models/", views.model_list, name="model-list"),
    path("models/<int:version>/", views.model_detail, name="model-detail"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
