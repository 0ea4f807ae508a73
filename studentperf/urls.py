from django.contrib import admin
from django.urls import include, path

from predictor.monitoring.views import monitoring_dashboard

urlpatterns = [
    # Before admin.site.urls, whose catch-all would answer 404; admin_view sends anyone
    # but active staff to the admin login.
    path(
        "admin/monitoring/",
        admin.site.admin_view(monitoring_dashboard),
        name="admin-monitoring",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("predictor.api_urls")),
    path("", include("predictor.urls")),
]

handler404 = "studentperf.views.page_not_found"
handler500 = "studentperf.views.server_error"
