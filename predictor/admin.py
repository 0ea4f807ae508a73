"""The admin site of studentperf: each concern registers its own models."""

from django.contrib import admin

from predictor.predictions import admin as predictions_admin  # noqa: F401 (registers)
from predictor.registry import admin as registry_admin  # noqa: F401 (registers)

# The product's name, not "Django administration", in the header and the tab title.
admin.site.site_header = "studentperf administration"
admin.site.site_title = "studentperf admin"
