"""Django admin for stored predictions and batches: read-only evidence."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F

from predictor.models import Batch, ModelVersion, Prediction
from studentperf.admin import EvidenceAdmin


class ModelVersionFilter(admin.SimpleListFilter):
    """Filter by model version without loading every version's artifact for the labels."""

    title = "model version"
    parameter_name = "model_version"

    def lookups(self, request, model_admin):
        versions = ModelVersion.objects.values_list("pk", "version", "status")
        return [(str(pk), f"v{version} ({status})") for pk, version, status in versions]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(model_version_id=self.value())
        return queryset


@admin.register(Prediction)
class PredictionAdmin(EvidenceAdmin):
    """Every stored prediction attempt, read-only: nobody edits or deletes a prediction."""

    list_display = (
        "id",
        "created_at",
        "channel",
        "status",
        "predicted",
        "actual_math_score",
        "version",
        "latency",
        "reference",
    )
    list_filter = ("status", "channel", ModelVersionFilter, "created_at")
    search_fields = ("id__exact", "reference", "owner__username", "session_key")
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(version_number=F("model_version__version"))

    # Rounded as the pages show them (one decimal point, whole milliseconds); the stored
    # value is on the prediction's own page.
    @admin.display(description="predicted math score", ordering="predicted_math_score")
    def predicted(self, obj):
        value = obj.predicted_math_score
        return f"{value:.1f}" if value is not None else "—"

    @admin.display(description="latency (ms)", ordering="latency_ms")
    def latency(self, obj):
        return f"{obj.latency_ms:.0f}" if obj.latency_ms is not None else "—"

    @admin.display(description="model", ordering="version_number")
    def version(self, obj):
        return f"v{obj.version_number}" if obj.version_number else "—"


@admin.register(Batch)
class BatchAdmin(EvidenceAdmin):
    list_display = ("id", "created_at", "source_name", "rows_total", "rows_scored", "owner")
    list_filter = ("created_at",)
    search_fields = ("source_name",)
