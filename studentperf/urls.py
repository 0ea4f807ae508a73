from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("predictor.api_urls")),
    path("", include("predictor.urls")),
]

handler500 = "studentperf.views.server_error"
