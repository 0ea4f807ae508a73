"""Django admin registrations. Stored predictions are read-only."""

from django.contrib import admin

from predictor.models import Batch, ModelVersion, ModelVersionEvent, Prediction


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "status", "name", "created_at", "artifact_sha256")
    list_filter = ("status", "name")
    exclude = ("artifact",)
    readonly_fields = [f.name for f in ModelVersion._meta.fields if f.name != "artifact"]

    def has_add_permission(self, request):
        return False


@admin.register(ModelVersionEvent)
class ModelVersionEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "model_version", "previous_production", "actor_label")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "channel",
        "status",
        "predicted_math_score",
        "model_version",
    )
    list_filter = ("status", "channel", "model_version", "created_at")
    search_fields = ("reference",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "source_name", "rows_total", "rows_scored", "owner")
    list_filter = ("created_at",)
    search_fields = ("source_name",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
